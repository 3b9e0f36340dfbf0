"""Trust statistics: the rollup counts what the records say, the nightly rebuild agrees with the
refresh after each commit, no published figure gives a count of 1 to 5 away, and no page or CSV
shows a child's identity or what was written about them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.models import Action, Concern
from safeguarding.services.allegations import allegation_record_update
from safeguarding.services.concerns import (
    action_add,
    concern_record,
    concern_screen,
    concern_status_set,
)
from tenants.models import School, Trust
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role, User
from trustplatform.accounts.services import totp_enrolment_begin, totp_enrolment_confirm
from trustplatform.statistics.models import (
    CategoryRollup,
    ConcernRollup,
    SchoolMonthRollup,
    SchoolSnapshot,
    TrustCategoryRollup,
    TrustConcernRollup,
    TrustMonthRollup,
    TrustSnapshot,
)
from trustplatform.statistics.selectors import school_statistics, trust_statistics
from trustplatform.statistics.services import (
    refresh_pending_key,
    school_statistics_refresh,
    statistics_rebuild,
    statistics_refresh_soon,
    trust_rollups_rewrite_all,
)
from trustplatform.statistics.suppression import (
    SUPPRESSED,
    Line,
    Sheet,
    is_small,
    suppress,
    suppress_list,
    suppress_two_way,
)
from trustplatform.statistics.tasks import (
    school_statistics_refresh_task,
    statistics_refresh_due_task,
)

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=LONDON)
# Invented, and never to be seen on a statistics page or in a CSV.
NAME_FIRST, NAME_LAST = "Zephyrine", "Quillfeather"
ACCOUNT = 'Zephyrine said "the man in the blue van gave me sweets again".'
DASHBOARD = "/portal/statistics/"
SCHOOL_PAGE = "/statistics/"
TABLES = ("schools", "months", "categories", "year-groups", "referrals", "summary")


# --- independent check of derivability -----------------------------------------------------


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by plain Gaussian elimination over the rationals (not the module's own algorithm)."""
    matrix = [row[:] for row in rows]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][col] != 0:
                factor = matrix[r][col] / matrix[rank][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def worked_out(values: list[int], lines: list[Line], hidden: list[bool]) -> list[int]:
    """Hidden entries holding 1 to 5 whose value a reader can work out from the published ones.

    One equation per line over the hidden entries; an entry is worked out when adding its unit
    vector to the system does not raise the rank (it is a combination of the equations).
    """
    unknowns = [i for i, h in enumerate(hidden) if h]
    if not unknowns:
        return []
    column = {entry: c for c, entry in enumerate(unknowns)}
    system = []
    for line in lines:
        row = [Fraction(0)] * len(unknowns)
        for i in line.parts:
            if hidden[i]:
                row[column[i]] += 1
        if hidden[line.total]:
            row[column[line.total]] -= 1
        if any(row):
            system.append(row)
    base = _rank(system) if system else 0
    found = []
    for i in unknowns:
        if not is_small(values[i]):
            continue
        unit = [Fraction(0)] * len(unknowns)
        unit[column[i]] = Fraction(1)
        if _rank([*system, unit]) == base:
            found.append(i)
    return found


counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=0, max_value=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=15))
def test_no_count_of_one_to_five_can_be_worked_out_from_a_list_and_its_total(
    values: list[int],
) -> None:
    cells, total = suppress_list(values)
    sheet = Sheet()
    entries = [sheet.entry(v) for v in values]
    sheet.total_of(entries)
    hidden = [c == SUPPRESSED for c in cells] + [total == SUPPRESSED]
    assert worked_out(sheet.values, sheet.lines, hidden) == []
    for value, cell in zip(values, cells, strict=True):
        assert cell == SUPPRESSED if is_small(value) else cell in {value, SUPPRESSED}
    assert total == SUPPRESSED or total == sum(values)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda width: st.lists(
            st.lists(counts, min_size=width, max_size=width), min_size=1, max_size=6
        )
    )
)
def test_no_count_of_one_to_five_can_be_worked_out_from_a_two_way_table_and_its_totals(
    rows: list[list[int]],
) -> None:
    published = suppress_two_way(rows)
    sheet = Sheet()
    grid = [[sheet.entry(v) for v in row] for row in rows]
    row_totals = [sheet.total_of(row) for row in grid]
    column_totals = [sheet.total_of([row[j] for row in grid]) for j in range(len(rows[0]))]
    grand = sheet.total_of(row_totals)
    sheet.line(column_totals, grand)
    shown = (
        [cell for row in published.cells for cell in row]
        + published.row_totals
        + published.column_totals
        + [published.total]
    )
    hidden = [value == SUPPRESSED for value in shown]
    assert worked_out(sheet.values, sheet.lines, hidden) == []
    # Every small count is hidden; every figure shown is the true one.
    for value, cell in zip(sheet.values, shown, strict=True):
        assert cell == SUPPRESSED if is_small(value) else cell in {value, SUPPRESSED}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(counts, min_size=2, max_size=12),
    st.lists(st.lists(st.integers(min_value=0, max_value=11), min_size=1), max_size=6),
)
def test_suppression_holds_for_any_lines_that_share_entries(
    values: list[int], groups: list[list[int]]
) -> None:
    # Linked tables: arbitrary sums over shared entries, as a page's tables share their totals.
    sheet = Sheet(values=list(values))
    for group in groups:
        parts = sorted({i % len(values) for i in group})
        sheet.total_of(parts)
    hidden = suppress(sheet.values, sheet.lines)
    assert worked_out(sheet.values, sheet.lines, hidden) == []
    assert all(hidden[i] for i, v in enumerate(sheet.values) if is_small(v))


def test_zero_is_shown_and_a_lone_small_cell_takes_a_neighbour_with_it() -> None:
    assert suppress_list([0, 12, 30]) == ([0, 12, 30], 42)
    cells, total = suppress_list([3, 12, 30, 0])
    assert cells == [SUPPRESSED, SUPPRESSED, 30, 0]
    assert total == 45


# --- data through the services ---------------------------------------------------------------


def _lead(world: World) -> User:
    return world.person("trust", Role.TRUST_SAFEGUARDING_LEAD)


def _record(world: World, school: School, pupils: list[int], codes: tuple[str, ...]) -> Concern:
    return concern_record(
        school=school,
        author=person(world.person("a", Role.STAFF), Role.STAFF),
        pupil_ids=pupils,
        category_ids=category_ids(*codes),
        account=ACCOUNT,
    )


def _make_records(world: World, school: School) -> dict[str, Any]:
    """In the current school: one concern about two children, eight about one child each."""
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    named = make_pupil(NAME_FIRST, NAME_LAST, year_group=3)
    others = [make_pupil(f"Invented{i}", "Pupil", year_group=7) for i in range(8)]
    first = _record(world, school, [named.pk, others[0].pk], ("neglect", "online-safety"))
    concern_screen(concern=first, screener=dsl, level=Concern.Level.HIGH, rationale="Risk.")
    concern_status_set(concern=first, actor=dsl, status=Concern.Status.OPEN)
    action_add(
        concern=first,
        actor=dsl,
        kind=Action.Kind.REFERRAL_SOCIAL_CARE,
        description="Front door.",
        due_on=NOW.date(),
    )
    for pupil in others:
        _record(world, school, [pupil.pk], ("bullying",))
    return {"named": named, "first": first}


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _rows(school: School) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]], tuple[Any, ...]]:
    concerns = set(
        ConcernRollup.objects.filter(school=school).values_list(
            "month",
            "year_group",
            "concerns",
            "screened_late",
            "referrals_social_care",
            "referrals_police",
            "referrals_early_help",
            "lado_referrals",
        )
    )
    categories = set(
        CategoryRollup.objects.filter(school=school).values_list(
            "month", "category_code", "year_group", "concerns"
        )
    )
    snapshot = SchoolSnapshot.objects.filter(school=school).values_list(
        "pupils_on_roll", "open_cases", "overdue_actions", "unscreened_over_24h", "refreshed_at"
    )
    return concerns, categories, tuple(snapshot.get())


def test_the_rollup_counts_each_child_in_a_concern_by_month_year_group_and_category(
    world: World, school_a: School, frozen: time_machine.Traveller
) -> None:
    with schema_context(school_a.schema_name):
        _make_records(world, school_a)
    frozen.move_to(NOW + dt.timedelta(days=2))
    school_statistics_refresh(school=school_a)

    june = dt.date(2026, 6, 1)
    concerns, categories, snapshot = _rows(school_a)
    # The two-child concern counts once for each child (Year 3 and Year 7), screened in time and
    # referred; the eight others wait unscreened for two days.
    assert concerns == {
        (june, 3, 1, 0, 1, 0, 0, 0),
        (june, 7, 9, 8, 1, 0, 0, 0),
    }
    assert categories == {
        (june, "neglect", 3, 1),
        (june, "neglect", 7, 1),
        (june, "online-safety", 3, 1),
        (june, "online-safety", 7, 1),
        (june, "bullying", 7, 8),
    }
    pupils, open_cases, overdue, unscreened, refreshed_at = snapshot
    assert (pupils, open_cases, overdue, unscreened) == (9, 1, 1, 8)
    assert refreshed_at == NOW + dt.timedelta(days=2)


def test_an_allegation_reported_to_the_lado_is_counted_and_the_other_school_is_untouched(
    world: World, school_a: School, school_b: School, frozen: time_machine.Traveller
) -> None:
    with schema_context(school_b.schema_name):
        make_pupil("Other", "School", year_group=9)
    school_statistics_refresh(school=school_b)
    before_b = _rows(school_b)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Invented", "Child", year_group=4)
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.DSL), Role.DSL),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("allegation-staff"),
            account=ACCOUNT,
            adult_name="An invented adult",
        )
        allegation_record_update(
            allegation=concern.allegation,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            lado_referred_at=NOW,
        )
    school_statistics_refresh(school=school_a)
    concerns, _, _ = _rows(school_a)
    assert concerns == {(dt.date(2026, 6, 1), 4, 1, 0, 0, 0, 0, 1)}
    assert _rows(school_b) == before_b


def _run_task_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The broker is the network edge: a sent refresh runs at once, in the sending schema."""
    sent: list[str] = []

    def apply_async(*args: Any, **kwargs: Any) -> None:
        from tenants.db import school_connection  # noqa: PLC0415

        sent.append(school_connection.schema_name)
        school_statistics_refresh_task.apply()

    monkeypatch.setattr(school_statistics_refresh_task, "apply_async", apply_async)
    return sent


def test_the_nightly_rebuild_agrees_with_the_refreshes_after_each_commit(  # noqa: PLR0917 - fixtures
    world: World,
    school_a: School,
    school_b: School,
    frozen: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = _run_task_here(monkeypatch)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    cache.clear()

    def step(school: School, work: Any) -> None:
        # Each service call is its own commit in production; the services ask for the refresh.
        with django_capture_on_commit_callbacks(execute=True), schema_context(school.schema_name):
            work()

    made: dict[str, Any] = {}
    step(school_a, lambda: made.update(_make_records(world, school_a)))
    frozen.move_to(NOW + dt.timedelta(hours=30))
    step(
        school_a,
        lambda: action_add(
            concern=made["first"], actor=dsl, kind=Action.Kind.REFERRAL_POLICE, due_on=None
        ),
    )
    step(
        school_b,
        lambda: _record(
            world, school_b, [make_pupil("Invented", "Bee", year_group=8).pk], ("fgm",)
        ),
    )
    frozen.move_to(NOW + dt.timedelta(days=40))  # a new month
    step(
        school_a,
        lambda: _record(world, school_a, [made["named"].pk], ("neglect",)),
    )
    a, b = school_a.schema_name, school_b.schema_name
    # Every commit asked for its own school's refresh (consecutive requests shown once).
    assert [s for i, s in enumerate(sent) if i == 0 or sent[i - 1] != s] == [a, b, a]
    sent_before_beat = len(sent)
    # No commit in school B since its concern was recorded 39 days ago, yet it has passed 24
    # hours unscreened: the quarter-hourly beat refreshes schools whose figures moved with time.
    assert statistics_refresh_due_task() >= 1
    assert sent[sent_before_beat:] == [b]
    incremental = (_rows(school_a), _rows(school_b))
    trust_incremental = _trust_rows(world.trust)
    assert trust_incremental == _sum_of_schools(world.trust)
    assert trust_incremental[0]  # not vacuous

    ConcernRollup.objects.all().delete()
    CategoryRollup.objects.all().delete()
    SchoolSnapshot.objects.all().delete()
    TrustConcernRollup.objects.all().delete()
    TrustCategoryRollup.objects.all().delete()
    statistics_rebuild(schools=[school_a, school_b])
    # The same counts; only the time of the refresh differs.
    assert _without_time(_rows(school_a), _rows(school_b)) == _without_time(*incremental)
    assert _trust_rows(world.trust) == _sum_of_schools(world.trust) == trust_incremental
    # The full nightly rebuild (every active school, then every trust) agrees too.
    statistics_rebuild()
    assert _trust_rows(world.trust) == trust_incremental
    assert _trust_rows(world.other_trust) == _sum_of_schools(world.other_trust)


def _trust_rows(trust: Trust) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    concerns = set(
        TrustConcernRollup.objects.filter(trust=trust).values_list(
            "month", "year_group", *_MEASURES
        )
    )
    categories = set(
        TrustCategoryRollup.objects.filter(trust=trust).values_list(
            "month", "category_code", "concerns"
        )
    )
    return concerns, categories


def _sum_of_schools(trust: Trust) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The trust's aggregate worked out here, in Python, from its schools' rollup rows."""
    concerns: dict[tuple[Any, ...], list[int]] = {}
    for month, year_group, *counts in ConcernRollup.objects.filter(school__trust=trust).values_list(
        "month", "year_group", *_MEASURES
    ):
        sums = concerns.setdefault((month, year_group), [0] * len(_MEASURES))
        sums[:] = [a + b for a, b in zip(sums, counts, strict=True)]
    categories: dict[tuple[Any, ...], int] = {}
    for month, code, n in CategoryRollup.objects.filter(school__trust=trust).values_list(
        "month", "category_code", "concerns"
    ):
        categories[month, code] = categories.get((month, code), 0) + n
    return (
        {(*key, *sums) for key, sums in concerns.items()},
        {(*key, n) for key, n in categories.items()},
    )


_MEASURES = (
    "concerns",
    "screened_late",
    "referrals_social_care",
    "referrals_police",
    "referrals_early_help",
    "lado_referrals",
)


def _month_rows(trust: Trust) -> set[tuple[Any, ...]]:
    return set(
        SchoolMonthRollup.objects.filter(trust=trust).values_list("school_id", "month", *_MEASURES)
    )


def _months_of_schools(trust: Trust) -> set[tuple[Any, ...]]:
    """Each school's months worked out here, in Python, from its rollup rows."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for school, month, *counts in ConcernRollup.objects.filter(school__trust=trust).values_list(
        "school_id", "month", *_MEASURES
    ):
        row = sums.setdefault((school, month), [0] * len(_MEASURES))
        row[:] = [a + b for a, b in zip(row, counts, strict=True)]
    return {(*key, *row) for key, row in sums.items()}


def test_the_trust_aggregate_is_the_sum_of_its_schools_after_every_refresh(
    world: World, school_a: School, school_b: School, school_c: School, frozen: Any
) -> None:
    with schema_context(school_c.schema_name):
        _record(world, school_c, [make_pupil("Invented", "Cee", year_group=5).pk], ("fgm",))
    school_statistics_refresh(school=school_c)
    other_trust = _trust_rows(world.other_trust)
    assert other_trust == _sum_of_schools(world.other_trust) and other_trust[0]

    with schema_context(school_a.schema_name):
        made = _make_records(world, school_a)
    school_statistics_refresh(school=school_a)
    assert _trust_rows(world.trust) == _sum_of_schools(world.trust)
    with schema_context(school_b.schema_name):
        for i in range(3):
            pupil = make_pupil(f"Invented{i}", "Birch", year_group=7)
            _record(world, school_b, [pupil.pk], ("bullying", "neglect"))
    school_statistics_refresh(school=school_b)
    both = _trust_rows(world.trust)
    assert both == _sum_of_schools(world.trust)
    # Each school's months (the dashboard's per-school table) are its rollup rows' sums.
    assert _month_rows(world.trust) == _months_of_schools(world.trust)
    assert (school_b.pk, dt.date(2026, 6, 1), 3, 0, 0, 0, 0, 0) in _month_rows(world.trust)
    june = dt.date(2026, 6, 1)
    # Year 7: eight concerns-about-a-child in A plus one (the two-child concern), three in B.
    assert (june, 7, 12) in {row[:3] for row in both[0]}
    assert (june, "bullying", 11) in both[1]
    assert (june, "neglect", 5) in both[1]  # two in A (one per child), three in B

    # A later month in school A and a corrected count: rewritten, still the sum.
    frozen.move_to(NOW + dt.timedelta(days=40))
    with schema_context(school_a.schema_name):
        _record(world, school_a, [made["named"].pk], ("neglect",))
    school_statistics_refresh(school=school_a)
    assert _trust_rows(world.trust) == _sum_of_schools(world.trust) != both
    assert _month_rows(world.trust) == _months_of_schools(world.trust)
    # Another trust's refresh never touches this trust's rows, nor this one's the other's.
    assert _trust_rows(world.other_trust) == other_trust

    # Rows lost or damaged are repaired by the nightly rewrite of every trust.
    snapshot = TrustSnapshot.objects.filter(trust=world.trust).values().get()
    hiding = _hiding_rows(world.trust)
    assert snapshot["most_in_need"] == [school_a.pk] and snapshot["open_cases"] > 0 and hiding
    TrustConcernRollup.objects.filter(trust=world.trust).update(concerns=999)
    TrustCategoryRollup.objects.filter(trust=world.trust).delete()
    SchoolMonthRollup.objects.filter(school=school_a).update(concerns=999)
    SchoolMonthRollup.objects.filter(school=school_b).delete()
    TrustSnapshot.objects.filter(trust=world.trust).update(open_cases=999, most_in_need=[])
    TrustMonthRollup.objects.filter(trust=world.trust).delete()
    assert trust_rollups_rewrite_all() >= 2
    assert _trust_rows(world.trust) == _sum_of_schools(world.trust)
    assert _month_rows(world.trust) == _months_of_schools(world.trust)
    assert TrustSnapshot.objects.filter(trust=world.trust).values().get() == snapshot
    assert _hiding_rows(world.trust) == hiding


def _hiding_rows(trust: Trust) -> list[dict[str, Any]]:
    """The trust's month rows of how many schools hide each figure, without their ids."""
    rows = TrustMonthRollup.objects.filter(trust=trust).order_by("month").values()
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def test_the_dashboard_reads_the_trust_aggregate_not_every_schools_rows(
    world: World, recorded: dict[str, Any]
) -> None:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as queries:
        stats = trust_statistics(trust=world.trust, today=NOW.date())
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(CategoryRollup._meta.db_table in q for q in sql)
    assert not any(ConcernRollup._meta.db_table in q for q in sql)
    # The per-school table is one query of the schools' months; the trust-wide tables read
    # only the trust's rows, and one row per month of how many schools hide a figure.
    per_school = [q for q in sql if SchoolMonthRollup._meta.db_table in q]
    assert len(per_school) == 1
    assert SchoolSnapshot._meta.db_table in per_school[0]
    # The trust's figures as of now, its schools without figures, with undelivered alerts, and
    # how many there are: a fixed number of queries whatever the number of schools.
    assert len(sql) <= 10
    # The dashboard's few schools: the trust's snapshot names them, and only their months are
    # read; the trust's figures as of now are its snapshot's, not a sum over every school.
    with CaptureQueriesContext(connection) as queries:
        trust_statistics(trust=world.trust, today=NOW.date(), most_in_need=1)
    sql = [q["sql"] for q in queries.captured_queries]
    per_school = [q for q in sql if SchoolMonthRollup._meta.db_table in q]
    assert len(per_school) == 1 and '"tenants_school"."id" IN (' in per_school[0]
    others = [q for q in sql if q not in per_school]
    assert not any("SUM(" in q and SchoolSnapshot._meta.db_table in q for q in others)
    assert len(sql) <= 10
    # The trust-wide tables add up to the same totals as the per-school table.
    months, years = stats.table("months"), stats.table("year-groups")
    schools = stats.table("schools")
    assert months is not None and years is not None and schools is not None
    assert months.total == ["Total", 22, 104.8] and years.total == ["Total", 22]
    assert schools.total is not None and schools.total[2] == 22


def _without_time(*rows: tuple[Any, Any, tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(concerns, categories, snapshot[:4]) for concerns, categories, snapshot in rows]


def test_commits_close_together_share_one_refresh(
    school_a: School, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        school_statistics_refresh_task, "apply_async", lambda **kw: sent.append("sent")
    )
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        statistics_refresh_soon(school_a.schema_name)
        statistics_refresh_soon(school_a.schema_name)
    assert sent == ["sent"]
    with schema_context(school_a.schema_name):
        assert cache.get(refresh_pending_key(school_a.schema_name))
        school_statistics_refresh_task.apply()  # the worker runs it: the marker goes
        assert cache.get(refresh_pending_key(school_a.schema_name)) is None
    with django_capture_on_commit_callbacks(execute=True):
        statistics_refresh_soon(school_a.schema_name)
    assert sent == ["sent", "sent"]


# --- the pages ------------------------------------------------------------------------------


@pytest.fixture
def recorded(world: World, school_a: School, school_b: School, frozen: Any) -> dict[str, Any]:
    with schema_context(school_a.schema_name):
        made = _make_records(world, school_a)
    with schema_context(school_b.schema_name):
        for i in range(12):
            pupil = make_pupil(f"Invented{i}", "Birch", year_group=10)
            _record(world, school_b, [pupil.pk], ("mental-health",))
    statistics_rebuild(schools=[school_a, school_b])
    with schema_context(school_a.schema_name):
        made["upn"] = made["named"].upn
    return made


def _all_outputs(client: Client, path: str) -> list[str]:
    page = client.get(path)
    assert page.status_code == 200
    outputs = [page.content.decode()]
    for table in TABLES:
        response = client.get(path, {"format": "csv", "table": table})
        if response.status_code == 200:
            assert response["Content-Type"].startswith("text/csv")
            outputs.append(response.content.decode())
    return outputs


def test_no_statistics_page_or_csv_shows_a_childs_identity_or_what_was_written(
    world: World, school_a: School, recorded: dict[str, Any]
) -> None:
    governor = world.person("a", Role.GOVERNOR)
    totp_enrolment_begin(user=governor)
    governor.refresh_from_db()
    import pyotp  # noqa: PLC0415

    totp_enrolment_confirm(user=governor, code=pyotp.TOTP(governor.totp_secret).now())
    governor.refresh_from_db()
    outputs = _all_outputs(school_client(None, _lead(world)), DASHBOARD)
    outputs += _all_outputs(school_client(school_a, governor), SCHOOL_PAGE)
    outputs += _all_outputs(school_client(school_a, world.person("a", Role.DSL)), SCHOOL_PAGE)
    assert len(outputs) == 3 + 5 + 4 + 4
    forbidden = (NAME_FIRST, NAME_LAST, recorded["upn"], "2015-03-14", "14 Mar 2015", "blue van")
    for text in outputs:
        for secret in forbidden:
            assert secret not in text


def test_the_trust_lead_sees_suppressed_cells_totals_and_rates(
    world: World, recorded: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = school_client(None, _lead(world))
    with django_assert_max_num_queries(20):
        page = client.get(DASHBOARD).content.decode()
    assert "Alder Lane Primary" in page and "Birchwood Academy" in page
    assert "Cedar Bank School" not in page
    assert "<svg" in page and "Figures as of" in page
    # Refreshed this minute (the clock is frozen): said as people say it.
    assert "just now." in page and "0\xa0minutes" not in page
    stats = trust_statistics(trust=world.trust, today=NOW.date())
    schools = stats.table("schools")
    assert schools is not None
    by_name = {row[0]: row for row in schools.rows}
    # Alder: 10 concerns about a child over 9 pupils; Birchwood: 12 over 12.
    assert by_name["Alder Lane Primary"][1:4] == [9, 10, 111.1]
    assert by_name["Birchwood Academy"][1:4] == [12, 12, 100.0]
    assert schools.total is not None and schools.total[:4] == ["Trust", 21, 22, 104.8]
    # One open case and one overdue action in Alder, none in Birchwood: hidden, and so is the
    # trust total that would equal it.
    open_cases = schools.headings.index("Open cases")
    assert by_name["Alder Lane Primary"][open_cases] == SUPPRESSED
    assert schools.total[open_cases] == SUPPRESSED
    months = stats.table("months")
    assert months is not None and months.rows[-1][:2] == ["Jun 2026", 22]
    categories = {row[0]: row[1] for row in stats.table("categories").rows}  # type: ignore[union-attr]
    assert categories["Neglect"] == SUPPRESSED
    assert categories["Bullying"] == 8
    download = client.get(DASHBOARD, {"format": "csv", "table": "schools"})
    assert "Alder Lane Primary,9,10,111.1" in download.content.decode()
    # Saved as a file, never shown as a page nor kept in a cache.
    assert download["Content-Disposition"].startswith('attachment; filename="')
    assert download["Content-Disposition"].endswith('.csv"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get(DASHBOARD, {"format": "csv", "table": "nonsense"}).status_code == 404


def test_another_trusts_lead_sees_only_their_own_trust(
    world: World, recorded: dict[str, Any]
) -> None:
    page = school_client(None, world.person("other_trust", Role.TRUST_SAFEGUARDING_LEAD)).get(
        DASHBOARD
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Cedar Bank School" in text
    assert "Alder Lane Primary" not in text and "Birchwood Academy" not in text
    stats = trust_statistics(trust=world.other_trust, today=NOW.date())
    assert stats.table("schools").total[2] == 0  # type: ignore[union-attr,index]


def test_a_school_sees_only_its_own_figures(
    world: World, school_a: School, school_b: School, recorded: dict[str, Any]
) -> None:
    dsl_a = school_client(school_a, world.person("a", Role.DSL))
    text = dsl_a.get(SCHOOL_PAGE).content.decode()
    assert "Alder Lane Primary" in text and "Birchwood Academy" not in text
    stats = school_statistics(school=school_a, today=NOW.date())
    months = stats.table("months")
    assert months is not None and months.total == ["Total", 10, 111.1]
    # School A's governor or DSL on school B's site: the same 404 as a page that is not there.
    assert school_client(school_b, world.person("a", Role.DSL)).get(SCHOOL_PAGE).status_code == 404
    assert school_client(school_b, world.person("a", Role.GOVERNOR)).get(
        SCHOOL_PAGE
    ).status_code in {
        302,
        404,
    }
    # A school's DSL has no trust dashboard; staff have no school page.
    assert school_client(None, world.person("a", Role.DSL)).get(DASHBOARD).status_code == 404
    staff = school_client(school_a, world.person("a", Role.STAFF))
    assert staff.get(SCHOOL_PAGE).status_code == 404
    assert Client(HTTP_HOST="localhost").get(DASHBOARD).status_code == 302

"""The trust lead's statistics over a fixed period: a month, a term or a school year.

The figures are written straight into the rollup (counts only, as the refresh writes them) and
the expected tables are worked out by hand below, not by the code under test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.models import School
from tests.conftest import World, school_client
from tests.trustplatform.test_statistics import worked_out
from trustplatform.accounts.models import Role
from trustplatform.schooldays.models import Term
from trustplatform.statistics.models import CategoryRollup, ConcernRollup, SchoolSnapshot
from trustplatform.statistics.periods import (
    PeriodError,
    TermSpan,
    default_period,
    parse_period,
    period_choices,
    previous_period,
)
from trustplatform.statistics.selectors import difference
from trustplatform.statistics.services import trust_rollups_rewrite_all
from trustplatform.statistics.suppression import SUPPRESSED, Line, Sheet, is_small

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=LONDON)
TODAY = NOW.date()
DASHBOARD = "/portal/statistics/"


def _month(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


# --- periods ----------------------------------------------------------------------------------


def test_a_month_key_names_that_calendar_month() -> None:
    period = parse_period("month:2026-02", today=TODAY)
    assert period.months == (_month(2026, 2),)
    assert period.label == "February 2026"


def test_a_school_year_runs_from_september_to_august_and_stops_at_this_month() -> None:
    period = parse_period("year:2025-26", today=TODAY)
    assert period.months == tuple(
        [_month(2025, m) for m in (9, 10, 11, 12)] + [_month(2026, m) for m in range(1, 7)]
    )
    assert period.label == "School year 2025/26"
    last_year = parse_period("year:2024-25", today=TODAY)
    assert last_year.months[0] == _month(2024, 9) and last_year.months[-1] == _month(2025, 8)
    assert len(last_year.months) == 12


def test_without_term_dates_the_standard_three_terms_are_used() -> None:
    autumn = parse_period("term:2025-autumn", today=TODAY)
    spring = parse_period("term:2025-spring", today=TODAY)
    summer = parse_period("term:2024-summer", today=TODAY)
    assert autumn.months == tuple(_month(2025, m) for m in (9, 10, 11, 12))
    assert spring.months == tuple(_month(2026, m) for m in (1, 2, 3))
    assert summer.months == tuple(_month(2025, m) for m in (4, 5, 6, 7, 8))
    assert "standard terms" in spring.note
    assert spring.label == "Spring term 2025/26"


def test_the_trusts_term_dates_decide_which_months_a_term_covers() -> None:
    dates = [
        # Two schools with a late Easter: April is mostly spring term (1 to 17 April).
        *(
            TermSpan(2025, name, first, last)
            for _ in range(2)
            for name, first, last in (
                ("autumn", dt.date(2025, 9, 3), dt.date(2025, 12, 19)),
                ("spring", dt.date(2026, 1, 5), dt.date(2026, 4, 17)),
                ("summer", dt.date(2026, 4, 27), dt.date(2026, 7, 22)),
            )
        ),
        # One school that breaks up for Easter on 27 March: outvoted.
        TermSpan(2025, "spring", dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
    ]
    spring = parse_period("term:2025-spring", today=TODAY, dates=dates)
    summer = parse_period("term:2025-summer", today=TODAY, dates=dates)
    autumn = parse_period("term:2025-autumn", today=TODAY, dates=dates)
    assert spring.months == tuple(_month(2026, m) for m in (1, 2, 3, 4))
    assert summer.months == (_month(2026, 5), _month(2026, 6))  # July, August not yet
    assert autumn.months == tuple(_month(2025, m) for m in (9, 10, 11, 12))
    assert "January 2026 to April 2026" in spring.note and "trust's term dates" in spring.note


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "not a period"),
        ("2026-02", "not a period"),
        ("month:2026-13", "does not exist"),
        ("month:2026-1", "not a period"),
        ("term:2025-winter", "not a period"),
        ("year:2025-27", "from one year into the next"),
        ("year:2025-2026", "not a period"),
        ("range:2026-01-01:2026-01-15", "not a period"),
        ("month:1999-12", "that far back"),
        ("month:2026-07", "not begun"),
        ("term:2026-autumn", "not begun"),
        ("year:2026-27", "not begun"),
    ],
)
def test_anything_but_a_fixed_period_is_refused_with_a_reason(key: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(key, today=TODAY)


def test_the_choices_are_fixed_periods_none_in_the_future_and_each_parses_back() -> None:
    groups = dict(period_choices(today=TODAY))
    assert [p.key for p in groups["School years"]] == [
        "year:2025-26",
        "year:2024-25",
        "year:2023-24",
    ]
    assert groups["Terms"][0].key == "term:2025-summer"
    assert groups["Months"][0].key == "month:2026-06" and len(groups["Months"]) == 24
    for periods in groups.values():
        for period in periods:
            assert parse_period(period.key, today=TODAY) == period
    assert default_period(TODAY).key == "year:2025-26"


def test_the_previous_period_is_the_one_of_the_same_kind_just_before() -> None:
    def before(key: str) -> str:
        return previous_period(parse_period(key, today=TODAY), today=TODAY).key

    assert before("month:2026-01") == "month:2025-12"
    assert before("term:2025-spring") == "term:2025-autumn"
    assert before("term:2025-autumn") == "term:2024-summer"
    assert before("year:2025-26") == "year:2024-25"


# --- the dashboard over a period ----------------------------------------------------------------


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _concerns(school: School, month: dt.date, year_group: int, n: int, **follow: int) -> None:
    ConcernRollup.objects.create(
        school=school, month=month, year_group=year_group, concerns=n, **follow
    )


def _categories(school: School, month: dt.date, code: str, year_group: int, n: int) -> None:
    CategoryRollup.objects.create(
        school=school, month=month, category_code=code, year_group=year_group, concerns=n
    )


@pytest.fixture
def figures(world: World, school_a: School, school_b: School, frozen: Any) -> None:
    """Alder: Jan 10 (6 referred to social care), Feb 4, Apr 20. Birchwood: Jan 8, Mar 12, May 7."""
    for school, pupils, open_cases in ((school_a, 100, 10), (school_b, 200, 7)):
        SchoolSnapshot.objects.update_or_create(
            school=school,
            defaults={"pupils_on_roll": pupils, "open_cases": open_cases, "refreshed_at": NOW},
        )
    _concerns(school_a, _month(2026, 1), 7, 10, referrals_social_care=6)
    _categories(school_a, _month(2026, 1), "neglect", 7, 10)
    _concerns(school_a, _month(2026, 2), 7, 4)
    _categories(school_a, _month(2026, 2), "neglect", 7, 4)
    _concerns(school_a, _month(2026, 4), 8, 20)
    _categories(school_a, _month(2026, 4), "bullying", 8, 20)
    _concerns(school_b, _month(2026, 1), 7, 8)
    _categories(school_b, _month(2026, 1), "bullying", 7, 8)
    _concerns(school_b, _month(2026, 3), 9, 12)
    _categories(school_b, _month(2026, 3), "bullying", 9, 12)
    _concerns(school_b, _month(2026, 5), 9, 7)
    _categories(school_b, _month(2026, 5), "bullying", 9, 7)
    trust_rollups_rewrite_all()


def _lead_client(world: World) -> Any:
    return school_client(None, world.person("trust", Role.TRUST_SAFEGUARDING_LEAD))


def _table(page: Any, key: str) -> Any:
    return page.context["stats"].table(key)


def test_the_trust_lead_chooses_a_term_and_sees_its_figures(world: World, figures: None) -> None:
    page = _lead_client(world).get(DASHBOARD, {"period": "term:2025-spring"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Spring term 2025/26 (January 2026 to March 2026)" in text
    assert '<option value="term:2025-spring" selected>' in text
    assert "Counted in whole months" in text
    schools = _table(page, "schools")
    # Spring (January to March): Alder 10 + 4 = 14 over 100 pupils; Birchwood 8 + 12 = 20 over 200.
    # Then: none screened late; 6 of Alder's referred to social care.
    # The trust's February (4) is hidden, so the term's total is too (docs/rules.md, "Small
    # numbers in statistics": a figure over several months is shown only when every month's is),
    # and one school's with it, else Birchwood's 20 would give the total away.
    assert [row[:4] for row in schools.rows] == [
        ["Alder Lane Primary", 100, SUPPRESSED, SUPPRESSED],
        ["Birchwood Academy", 200, 20, 10.0],
    ]
    assert schools.total[:4] == ["Trust", 300, SUPPRESSED, SUPPRESSED]
    # Each month as on its own page: January 18, February's 4 hidden, March 12.
    months = _table(page, "months")
    assert [row[:2] for row in months.rows] == [
        ["Jan 2026", 18],
        ["Feb 2026", SUPPRESSED],
        ["Mar 2026", 12],
    ]
    assert months.total[:2] == ["Total", SUPPRESSED]
    # Neglect is Alder's January 10 and February 4: hidden over the term as in February.
    assert [row[:2] for row in _table(page, "categories").rows] == [
        ["Neglect", SUPPRESSED],
        ["Bullying", 20],
    ]


def test_a_month_and_a_school_year_add_up_their_own_months(world: World, figures: None) -> None:
    client = _lead_client(world)
    april = client.get(DASHBOARD, {"period": "month:2026-04"})
    assert [row[:3] for row in _table(april, "schools").rows] == [
        ["Alder Lane Primary", 100, 20],
        ["Birchwood Academy", 200, 0],
    ]
    year = client.get(DASHBOARD, {"period": "year:2025-26"})
    # 10 + 4 + 20 = 34 and 8 + 12 + 7 = 27: Alder's year hidden with its February's 4, as on
    # its own page, and the trust's 61 with it.
    assert [row[2] for row in _table(year, "schools").rows] == [SUPPRESSED, 27]
    assert _table(year, "schools").total[2] == SUPPRESSED


def test_a_bad_period_says_so_and_shows_the_school_year(world: World, figures: None) -> None:
    page = _lead_client(world).get(DASHBOARD, {"period": "range:2026-01-01:2026-01-15"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "That is not a period the statistics can show." in text
    assert "School year 2025/26 (September 2025 to June 2026)" in text
    assert _table(page, "schools").total[2] == SUPPRESSED


def test_a_csv_download_carries_the_period_and_its_suppression(world: World, figures: None) -> None:
    page = _lead_client(world).get(DASHBOARD, {"period": "term:2025-spring"})
    assert "?period=term%3A2025-spring&amp;format=csv&amp;table=months" in page.content.decode()
    download = _lead_client(world).get(
        DASHBOARD, {"period": "term:2025-spring", "format": "csv", "table": "months"}
    )
    text = download.content.decode()
    assert "Jan 2026,18," in text and "Feb 2026,c,c" in text and "Mar 2026,12," in text
    assert "Total,c,c" in text
    assert "Period: Spring term 2025/26 (January 2026 to March 2026)." in text


def test_the_trusts_term_dates_move_april_into_the_spring_term(
    world: World, school_a: School, school_b: School, figures: None
) -> None:
    for school in (school_a, school_b):
        for name, first_day, last_day in (
            ("autumn", dt.date(2025, 9, 3), dt.date(2025, 12, 19)),
            ("spring", dt.date(2026, 1, 5), dt.date(2026, 4, 17)),
            ("summer", dt.date(2026, 4, 27), dt.date(2026, 7, 22)),
        ):
            Term.objects.create(
                school=school,
                academic_year=2025,
                name=name,
                first_day=first_day,
                last_day=last_day,
            )
    page = _lead_client(world).get(DASHBOARD, {"period": "term:2025-spring"})
    assert "Spring term 2025/26 (January 2026 to April 2026)" in page.content.decode()
    # April's 20 in Alder joins the spring term: 14 + 20 = 34.
    assert [row[2] for row in _table(page, "schools").rows] == [SUPPRESSED, 20]


# --- two periods compared -----------------------------------------------------------------------


def test_the_trust_lead_compares_a_term_with_the_one_before(world: World, figures: None) -> None:
    page = _lead_client(world).get(
        DASHBOARD, {"period": "term:2025-summer", "compare": "term:2025-spring"}
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "compared with Spring term 2025/26 (January 2026 to March 2026)" in text
    assert '<option value="term:2025-spring" selected>' in text
    schools = _table(page, "schools")
    # Summer so far (April to June): Alder 20, Birchwood 7. Spring: Alder 14, Birchwood 20.
    # The spring's total is hidden with February's 4, and so Alder's spring figure with it.
    assert schools.rows == [
        ["Alder Lane Primary", 100, 20, SUPPRESSED, SUPPRESSED, 20.0, SUPPRESSED],
        ["Birchwood Academy", 200, 7, 20, -13, 3.5, 10.0],
    ]
    assert schools.total == ["Trust", 300, 27, SUPPRESSED, SUPPRESSED, 9.0, SUPPRESSED]
    assert _table(page, "categories").rows == [
        ["Bullying", 27, 20, "+7"],
        ["Neglect", 0, SUPPRESSED, SUPPRESSED],
    ]
    referrals = {row[0]: row[1:] for row in _table(page, "referrals").rows}
    assert referrals["Referred to children's social care"] == [0, 6, -6]
    # Each period's months as on their own pages: only the spring's February hidden.
    assert [row[1] for row in _table(page, "months-first").rows] == [20, 7, 0]
    assert [row[1] for row in _table(page, "months-second").rows] == [18, SUPPRESSED, 12]


def test_a_difference_is_hidden_whenever_either_figure_is(world: World, figures: None) -> None:
    page = _lead_client(world).get(
        DASHBOARD, {"period": "month:2026-02", "compare": "month:2026-01"}
    )
    schools = _table(page, "schools")
    # February: Alder's 4 is hidden, and the trust's total with it (else total less Birchwood's
    # 0 gives it away); their differences from January are hidden too, Birchwood's is not.
    assert [row[:5] for row in schools.rows] == [
        ["Alder Lane Primary", 100, SUPPRESSED, 10, SUPPRESSED],
        ["Birchwood Academy", 200, 0, 8, -8],
    ]
    assert schools.total is not None and schools.total[2:5] == [SUPPRESSED, 18, SUPPRESSED]
    download = _lead_client(world).get(
        DASHBOARD,
        {
            "period": "month:2026-02",
            "compare": "month:2026-01",
            "format": "csv",
            "table": "schools",
        },
    )
    text = download.content.decode()
    assert "Alder Lane Primary,100,c,10,c," in text
    assert "Period: February 2026 compared with January 2026." in text


def test_periods_sharing_a_month_are_not_compared(world: World, figures: None) -> None:
    page = _lead_client(world).get(
        DASHBOARD, {"period": "year:2025-26", "compare": "term:2025-spring"}
    )
    text = page.content.decode()
    assert "shares months with School year 2025/26, so the two cannot be compared" in text
    assert page.context["stats"].compare_key == ""
    assert _table(page, "schools").total[2] == SUPPRESSED


def _two_way_sheet(grid: list[list[int]], sheet: Sheet) -> tuple[list[int], int]:
    """Schools by months with both totals, as a period's page has them: (row totals, total)."""
    cells = [[sheet.entry(v) for v in row] for row in grid]
    rows = [sheet.total_of(row) for row in cells]
    columns = [sheet.total_of([row[j] for row in cells]) for j in range(len(grid[0]))]
    total = sheet.total_of(rows)
    sheet.line(columns, total)
    return rows, total


small_or_not = st.integers(0, 12) | st.integers(0, 6)
grids = st.integers(min_value=1, max_value=4).flatmap(
    lambda schools: st.integers(min_value=1, max_value=3).flatmap(
        lambda months: st.tuples(
            *(
                st.lists(
                    st.lists(
                        st.integers(0, 12) | st.integers(0, 6), min_size=months, max_size=months
                    ),
                    min_size=schools,
                    max_size=schools,
                )
                for _ in range(2)
            )
        )
    )
)


@settings(max_examples=200, deadline=None)
@given(grids)
def test_no_hidden_count_can_be_worked_out_from_two_periods_and_their_differences(
    periods: tuple[list[list[int]], list[list[int]]],
) -> None:
    first, second = periods
    sheet = Sheet()
    rows_a, total_a = _two_way_sheet(first, sheet)
    rows_b, total_b = _two_way_sheet(second, sheet)
    # Each period is suppressed on its own, as on its own page.
    hidden = [
        *Sheet(sheet.values[: total_a + 1], _lines_below(sheet, total_a + 1)).publish().hidden
    ]
    offset = total_a + 1
    later = Sheet(
        sheet.values[offset:],
        [
            Line(tuple(i - offset for i in line.parts), line.total - offset)
            for line in sheet.lines
            if line.total >= offset
        ],
    ).publish()
    hidden += later.hidden
    shown = [SUPPRESSED if h else v for v, h in zip(sheet.values, hidden, strict=True)]
    # Every published difference is one more relation a reader has.
    for a, b in [*zip(rows_a, rows_b, strict=True), (total_a, total_b)]:
        published = difference(shown[a], shown[b])
        assert (published == SUPPRESSED) == (hidden[a] or hidden[b])
        if isinstance(published, int):
            bigger, smaller = (a, b) if published >= 0 else (b, a)
            gap = sheet.entry(abs(published))
            hidden.append(False)
            sheet.line([smaller, gap], bigger)
    assert worked_out(sheet.values, sheet.lines, hidden) == []
    # And at the least: no hidden count is a published total less the published other parts.
    for line in sheet.lines:
        unknown = [i for i in line.members if hidden[i]]
        assert len(unknown) != 1 or not is_small(sheet.values[unknown[0]])


def _lines_below(sheet: Sheet, end: int) -> list[Line]:
    return [line for line in sheet.lines if line.total < end]


# --- one school ---------------------------------------------------------------------------------


def test_the_per_school_table_leads_to_one_schools_months_and_categories(
    world: World, school_a: School, figures: None
) -> None:
    client = _lead_client(world)
    page = client.get(DASHBOARD, {"period": "term:2025-spring"}).content.decode()
    link = f"/portal/statistics/school/{school_a.pk}/?period=term%3A2025-spring"
    assert f'<a href="{link}">Alder Lane Primary</a>' in page
    school = client.get(link)
    assert school.status_code == 200
    text = school.content.decode()
    assert "Safeguarding statistics: Alder Lane Primary" in text
    assert "Birchwood Academy" not in text
    assert "Back to the whole trust" in text
    # Alder in spring: January 10, as on January's own page; February's 4 hidden, and so the
    # term's total (14) and its neglect concerns (all of them), else 14 - 10 would give it away.
    assert [row[:2] for row in _table(school, "months").rows] == [
        ["Jan 2026", 10],
        ["Feb 2026", SUPPRESSED],
        ["Mar 2026", 0],
    ]
    assert _table(school, "months").total[:2] == ["Total", SUPPRESSED]
    assert [row[:2] for row in _table(school, "categories").rows] == [["Neglect", SUPPRESSED]]
    download = client.get(link + "&format=csv&table=months").content.decode()
    assert "Feb 2026,c,c" in download and "Period: Spring term 2025/26" in download


def test_one_schools_figures_are_refused_outside_its_trust(
    world: World, school_a: School, school_c: School, figures: None
) -> None:
    own = f"/portal/statistics/school/{school_a.pk}/"
    assert _lead_client(world).get(f"/portal/statistics/school/{school_c.pk}/").status_code == 404
    assert _lead_client(world).get("/portal/statistics/school/999999/").status_code == 404
    other_lead = world.person("other_trust", Role.TRUST_SAFEGUARDING_LEAD)
    assert school_client(None, other_lead).get(own).status_code == 404
    assert school_client(None, world.person("a", Role.DSL)).get(own).status_code == 404
    assert school_client(None, None).get(own).status_code == 302


def _worked_out(trust: Any, school: Any, other: Any) -> dict[str, int]:
    """The school's hidden cells that the trust's cell less the other school's gives away."""
    others = {row[0]: row[1] for row in other.rows}
    trusts = {row[0]: row[1] for row in trust.rows}
    return {
        label: trusts[label] - others.get(label, 0)
        for label, shown, *_ in school.rows
        if shown == SUPPRESSED
        and isinstance(trusts.get(label), int)
        and isinstance(others.get(label, 0), int)
    }


def _month_pages(world: World, schools: tuple[School, School], period: str) -> tuple[Any, ...]:
    client = _lead_client(world)
    return (
        client.get(DASHBOARD, {"period": period}),
        *(client.get(f"{DASHBOARD}school/{s.pk}/", {"period": period}) for s in schools),
    )


def test_a_year_group_one_school_hides_is_hidden_on_the_trusts_page_too(
    world: World, school_a: School, school_b: School, frozen: Any
) -> None:
    """Alder's May: year 7 3, year 8 10, year 9 12, so its page hides years 7 and 8; Birchwood's
    May: 20 in each. The trust's year 7 (23) less Birchwood's 20 would give Alder's 3 away."""
    may = _month(2026, 5)
    for year_group, alder, birchwood in ((7, 3, 20), (8, 10, 20), (9, 12, 20)):
        _concerns(school_a, may, year_group, alder)
        _categories(school_a, may, "bullying", year_group, alder)
        _concerns(school_b, may, year_group, birchwood)
        _categories(school_b, may, "neglect", year_group, birchwood)
    trust_rollups_rewrite_all()
    trust, alder, birchwood = _month_pages(world, (school_a, school_b), "month:2026-05")
    assert [row[:2] for row in _table(alder, "year-groups").rows] == [
        ["Year 7", SUPPRESSED],
        ["Year 8", SUPPRESSED],
        ["Year 9", 12],
    ]
    assert [row[:2] for row in _table(birchwood, "year-groups").rows] == [
        ["Year 7", 20],
        ["Year 8", 20],
        ["Year 9", 20],
    ]
    years = [_table(page, "year-groups") for page in (trust, alder, birchwood)]
    assert _worked_out(*years) == {}
    # Exactly one school hides years 7 and 8 of May: the trust's are hidden with them.
    assert [row[:2] for row in years[0].rows] == [
        ["Year 7", SUPPRESSED],
        ["Year 8", SUPPRESSED],
        ["Year 9", 32],
    ]
    assert years[0].total[:2] == ["Total", 85]
    # Over the school year, as in May (shown only when shown for every month).
    year, *_ = _month_pages(world, (school_a, school_b), "year:2025-26")
    assert [row[1] for row in _table(year, "year-groups").rows] == [SUPPRESSED, SUPPRESSED, 32]


def test_a_category_one_school_hides_is_hidden_on_the_trusts_page_too(
    world: World, school_a: School, school_b: School, frozen: Any
) -> None:
    """Alder's May: 3 neglect and 17 bullying, so its page hides both; Birchwood's: 30 neglect.
    The trust's neglect (33) less Birchwood's 30 would give Alder's 3 away."""
    may = _month(2026, 5)
    _concerns(school_a, may, 7, 10)
    _concerns(school_a, may, 8, 10)
    _categories(school_a, may, "neglect", 7, 3)
    _categories(school_a, may, "bullying", 7, 7)
    _categories(school_a, may, "bullying", 8, 10)
    _concerns(school_b, may, 7, 30)
    _categories(school_b, may, "neglect", 7, 30)
    trust_rollups_rewrite_all()
    trust, alder, birchwood = _month_pages(world, (school_a, school_b), "month:2026-05")
    assert [row[:2] for row in _table(alder, "categories").rows] == [
        ["Neglect", SUPPRESSED],
        ["Bullying", SUPPRESSED],
    ]
    categories = [_table(page, "categories") for page in (trust, alder, birchwood)]
    assert _worked_out(*categories) == {}
    assert [row[:2] for row in categories[0].rows] == [
        ["Neglect", SUPPRESSED],
        ["Bullying", SUPPRESSED],
    ]
    assert _table(trust, "months").total[:2] == ["Total", 50]


# --- a school's own page over a period ----------------------------------------------------------

SCHOOL_PAGE = "/statistics/"


def _alder_dsl(world: World, school_a: School) -> Any:
    return school_client(school_a, world.person("a", Role.DSL))


def test_a_schools_own_page_offers_the_fixed_periods_and_the_period_changes_its_counts(
    world: World, school_a: School, figures: None
) -> None:
    client = _alder_dsl(world, school_a)
    default = client.get(SCHOOL_PAGE)
    assert default.status_code == 200
    text = default.content.decode()
    assert '<option value="year:2025-26" selected>' in text
    assert '<option value="term:2025-spring">' in text and '<option value="month:2026-04">' in text
    assert 'name="compare"' not in text  # one period at a time on a school's page
    assert "Birchwood Academy" not in text
    # The school year so far: Alder's 10 + 4 + 20; February's 4 hidden, and the year's total.
    year = _table(default, "months")
    assert year.total[:2] == ["Total", SUPPRESSED]
    assert [row[1] for row in year.rows if row[1]] == [10, SUPPRESSED, 20]

    spring = client.get(SCHOOL_PAGE, {"period": "term:2025-spring"})
    assert "Spring term 2025/26 (January 2026 to March 2026)" in spring.content.decode()
    assert '<option value="term:2025-spring" selected>' in spring.content.decode()
    assert [row[:2] for row in _table(spring, "months").rows] == [
        ["Jan 2026", 10],
        ["Feb 2026", SUPPRESSED],
        ["Mar 2026", 0],
    ]
    assert _table(spring, "months").total[:2] == ["Total", SUPPRESSED]
    assert [row[:2] for row in _table(spring, "categories").rows] == [["Neglect", SUPPRESSED]]

    april = client.get(SCHOOL_PAGE, {"period": "month:2026-04"})
    assert _table(april, "months").total[:2] == ["Total", 20]
    assert [row[:2] for row in _table(april, "year-groups").rows] == [["Year 8", 20]]
    assert [row[:2] for row in _table(april, "categories").rows] == [["Bullying", 20]]

    download = client.get(
        SCHOOL_PAGE, {"period": "term:2025-spring", "format": "csv"} | {"table": "months"}
    )
    body = download.content.decode()
    assert "Jan 2026,10," in body and "Feb 2026,c,c" in body and "Total,c,c" in body
    assert "Period: Spring term 2025/26" in body


def test_a_schools_terms_follow_its_own_calendar(
    world: World, school_a: School, school_b: School, figures: None
) -> None:
    # Alder breaks up for Easter on 17 April (April is mostly its spring term); Birchwood on
    # 27 March. Each school's page follows its own dates.
    for school, spring_ends, summer_starts in (
        (school_a, dt.date(2026, 4, 17), dt.date(2026, 4, 27)),
        (school_b, dt.date(2026, 3, 27), dt.date(2026, 4, 13)),
    ):
        for name, first_day, last_day in (
            ("autumn", dt.date(2025, 9, 3), dt.date(2025, 12, 19)),
            ("spring", dt.date(2026, 1, 5), spring_ends),
            ("summer", summer_starts, dt.date(2026, 7, 22)),
        ):
            Term.objects.create(
                school=school,
                academic_year=2025,
                name=name,
                first_day=first_day,
                last_day=last_day,
            )
    spring = _alder_dsl(world, school_a).get(SCHOOL_PAGE, {"period": "term:2025-spring"})
    text = spring.content.decode()
    assert "Spring term 2025/26 (January 2026 to April 2026)" in text
    assert "by the school's term dates" in spring.context["stats"].period_note
    # Alder's April 20 joins its spring term: 10 + 4 + 20 = 34, hidden with February's 4.
    assert [row[1] for row in _table(spring, "months").rows] == [10, SUPPRESSED, 0, 20]
    assert _table(spring, "months").total[:2] == ["Total", SUPPRESSED]
    birchwood = school_client(school_b, world.person("b", Role.DSL)).get(
        SCHOOL_PAGE, {"period": "term:2025-spring"}
    )
    # Birchwood's spring is January to March: 8 + 12 (May's 7 is summer).
    assert "Spring term 2025/26 (January 2026 to March 2026)" in birchwood.content.decode()
    assert _table(birchwood, "months").total[:2] == ["Total", 20]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("range:2026-01-01:2026-01-15", "That is not a period the statistics can show."),
        ("month:2026-13", "That month does not exist."),
        ("year:2026-27", "That period has not begun yet."),
        ("term:2025-spring<script>", "That is not a period the statistics can show."),
    ],
)
def test_a_bad_period_on_a_schools_page_says_so_and_shows_the_school_year(
    world: World, school_a: School, figures: None, key: str, message: str
) -> None:
    page = _alder_dsl(world, school_a).get(SCHOOL_PAGE, {"period": key})
    assert page.status_code == 200
    text = page.content.decode()
    assert message in text
    assert "School year 2025/26 (September 2025 to June 2026)" in text
    assert [row[1] for row in _table(page, "months").rows if row[1]] == [10, SUPPRESSED, 20]


def test_a_schools_page_over_a_period_is_refused_to_others(
    world: World, school_a: School, school_b: School, figures: None
) -> None:
    spring = {"period": "term:2025-spring"}
    # Birchwood's DSL on Alder's site, Alder's staff, anonymous: as without a period.
    assert school_client(school_a, world.person("b", Role.DSL)).get(
        SCHOOL_PAGE, spring
    ).status_code in {302, 404}
    assert (
        school_client(school_a, world.person("a", Role.STAFF)).get(SCHOOL_PAGE, spring).status_code
        == 404
    )
    anonymous = school_client(school_a).get(SCHOOL_PAGE, spring)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    # Alder's DSL asking Birchwood's site for its figures: the same 404 as a missing page.
    assert _alder_dsl(world, school_b).get(SCHOOL_PAGE, spring).status_code == 404

"""The school home page: a dashboard for those who read records, a simple home for the rest."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Action, Concern
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.allegations import allegation_case_manager_set
from safeguarding.services.concerns import action_add, concern_record, concern_screen
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role

SECTIONS = (
    "awaiting-screening",
    "overdue-actions",
    "allegations",
    "assigned-to-me",
    "unread-alerts",
    "recent-activity",
)


def section(html: str, name: str) -> str | None:
    """The HTML of one dashboard section, or None when the page has no such section."""
    found = re.search(rf'<section[^>]*id="{name}"[^>]*>(.*?)</section>', html, re.S)
    return found.group(1) if found else None


def count_of(html: str, name: str) -> int:
    body = section(html, name)
    assert body is not None, f"no section {name}"
    found = re.search(r'<span class="count"[^>]*>(\d+)</span>', body)
    assert found is not None
    return int(found.group(1))


def _concern(
    school: School,
    world: World,
    first: str,
    *,
    year_group: int = 5,
    code: str = "neglect",
    adult_user_id: int | None = None,
) -> Concern:
    return concern_record(
        school=school,
        author=person(world.person("a", Role.STAFF), Role.STAFF),
        pupil_ids=[make_pupil(first, "Quillfeather", year_group=year_group).pk],
        category_ids=category_ids(code),
        account="Came in hungry again.",
        adult_name="Mr Invented Adult" if code == "allegation-staff" and not adult_user_id else "",
        adult_user_id=adult_user_id,
    )


def _overdue_action(concern: Concern, world: World, *, assignee: Role | None = None) -> Action:
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    who = world.person("a", assignee) if assignee else None
    action = action_add(
        concern=concern,
        actor=dsl,
        kind=Action.Kind.PARENTS_INFORMED,
        assignee=person(who, assignee) if who and assignee else None,
        due_on=timezone.localdate(),
    )
    # Due yesterday: the service refuses a due date in the past, so time moves instead.
    Action.objects.filter(pk=action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    return action


def test_the_dsl_sees_what_waits_for_them_each_one_click_from_its_page(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        new = _concern(school_a, world, "Marisol")
        screened = _concern(school_a, world, "Tobiah")
        concern_screen(
            concern=screened,
            screener=person(world.person("a", Role.DSL), Role.DSL),
            level=Concern.Level.LOW,
            rationale="One-off",
        )
        overdue = _overdue_action(screened, world)
        mine = action_add(
            concern=screened,
            actor=person(world.person("a", Role.DEPUTY_DSL), Role.DEPUTY_DSL),
            kind=Action.Kind.CONVERSATION_PUPIL,
            assignee=person(world.person("a", Role.DSL), Role.DSL),
        )
        allegation = _concern(school_a, world, "Ottilie", code="allegation-staff")

    page = school_client(school_a, world.person("a", Role.DSL)).get("/").text

    awaiting = section(page, "awaiting-screening")
    assert awaiting is not None
    assert f'href="/concerns/{new.pk}/"' in awaiting
    assert "Marisol" in awaiting
    assert "Screening due" in awaiting
    assert f"/concerns/{screened.pk}/" not in awaiting
    assert count_of(page, "awaiting-screening") == 1
    overdue_html = section(page, "overdue-actions") or ""
    assert f'href="/concerns/{screened.pk}/#action-{overdue.pk}"' in overdue_html
    assert count_of(page, "overdue-actions") == 1
    assigned = section(page, "assigned-to-me") or ""
    assert f'href="/concerns/{screened.pk}/#action-{mine.pk}"' in assigned
    allegations = section(page, "allegations") or ""
    assert f'href="/allegations/{allegation.pk}/"' in allegations
    assert "LADO" in allegations
    alerts = section(page, "unread-alerts") or ""
    assert f"/concerns/{new.pk}/" in alerts
    assert count_of(page, "unread-alerts") >= 2
    recent = section(page, "recent-activity") or ""
    assert "/chronology/" in recent


def test_a_deputy_sees_no_allegations_and_nothing_assigned_to_someone_else(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        concern = _concern(school_a, world, "Marisol")
        _overdue_action(concern, world, assignee=Role.DSL)
        _concern(school_a, world, "Ottilie", code="allegation-staff")

    page = school_client(school_a, world.person("a", Role.DEPUTY_DSL)).get("/").text

    assert count_of(page, "awaiting-screening") == 1  # the allegation is not theirs to see
    assert section(page, "allegations") is None
    assert "Ottilie" not in page
    assert count_of(page, "overdue-actions") == 1
    assert "Nothing is assigned to you" in (section(page, "assigned-to-me") or "")


def test_an_allegation_is_never_on_the_dashboard_of_the_adult_it_is_about(
    world: World, school_a: School
) -> None:
    head = world.person("a", Role.HEADTEACHER)
    with schema_context(school_a.schema_name):
        about_head = _concern(
            school_a, world, "Ottilie", code="allegation-staff", adult_user_id=head.pk
        )
        other = _concern(school_a, world, "Peregrine", code="allegation-staff")

    page = school_client(school_a, head).get("/").text
    allegations = section(page, "allegations") or ""

    assert f"/allegations/{other.pk}/" in allegations
    assert f"/allegations/{about_head.pk}/" not in page
    assert "Ottilie" not in page
    assert count_of(page, "allegations") == 1


def test_a_key_holder_sees_only_the_concerns_their_grant_allows(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        granted = _concern(school_a, world, "Marisol", year_group=6, code="bullying")
        other_category = _concern(school_a, world, "Tobiah", year_group=6, code="neglect")
        other_year = _concern(school_a, world, "Wilhelmina", year_group=2, code="bullying")
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[6],
            actor=world.person("a", Role.DSL),
        )

    page = school_client(school_a, world.person("a", Role.KEY_HOLDER)).get("/").text

    assert count_of(page, "awaiting-screening") == 1
    assert f"/concerns/{granted.pk}/" in page
    assert f"/concerns/{other_category.pk}/" not in page
    assert f"/concerns/{other_year.pk}/" not in page
    assert "Tobiah" not in page
    assert "Wilhelmina" not in page
    assert section(page, "allegations") is None


@pytest.mark.parametrize("role", [Role.STAFF, Role.GOVERNOR, Role.SCHOOL_ADMIN])
def test_people_who_read_no_records_get_a_simple_home_without_child_data(
    world: World, school_a: School, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        _concern(school_a, world, "Marisol")

    page = school_client(school_a, world.person("a", role)).get("/").text

    assert all(section(page, name) is None for name in SECTIONS if name != "assigned-to-me")
    assert "Marisol" not in page
    assert "/concerns/" not in page.replace("/concerns/new/", "").replace("/concerns/mine/", "")
    if role == Role.STAFF:
        assert 'href="/concerns/new/"' in page
        assert 'href="/concerns/mine/"' in page


def test_staff_see_the_tasks_given_to_them_without_the_concern(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        concern = _concern(school_a, world, "Marisol")
        _overdue_action(concern, world, assignee=Role.STAFF)

    page = school_client(school_a, world.person("a", Role.STAFF)).get("/").text
    assigned = section(page, "assigned-to-me") or ""

    assert "Parents/carers informed" in assigned
    assert f"/concerns/{concern.pk}/" not in page
    assert "Marisol" not in page


def test_another_schools_dsl_sees_nothing_of_this_school(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        _concern(school_a, world, "Marisol")

    page = school_client(school_a, world.person("b", Role.DSL)).get("/").text

    assert all(section(page, name) is None for name in SECTIONS)
    assert "Marisol" not in page


def test_the_dashboard_runs_the_same_number_of_queries_for_1_or_12_of_everything(
    world: World, school_a: School
) -> None:
    client = school_client(school_a, world.person("a", Role.DSL))

    def fill(count: int) -> None:
        with schema_context(school_a.schema_name):
            for n in range(count):
                concern = _concern(school_a, world, f"Pupil{n}")
                _overdue_action(concern, world, assignee=Role.DSL)
                _concern(school_a, world, f"Adult{n}", code="allegation-staff")

    fill(1)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/").status_code == 200
    fill(11)
    with CaptureQueriesContext(connection) as twelve:
        page = client.get("/").text

    assert count_of(page, "awaiting-screening") == 12
    assert len(twelve.captured_queries) == len(one.captured_queries)


def test_the_case_manager_sees_the_allegation_about_the_headteacher_and_no_other_governor_does(
    world: World, school_a: School
) -> None:
    head = world.person("a", Role.HEADTEACHER)
    chair = with_two_factor(world.person("a", Role.GOVERNOR))
    with schema_context(school_a.schema_name):
        allegation_case_manager_set(
            school=school_a, actor=world.person("a", Role.DSL), user_id=chair.pk
        )
        about_head = _concern(
            school_a, world, "Ottilie", code="allegation-staff", adult_user_id=head.pk
        )
        other = _concern(school_a, world, "Peregrine", code="allegation-staff")

    page = school_client(school_a, chair).get("/").text
    allegations = section(page, "allegations") or ""

    assert f'href="/allegations/{about_head.pk}/"' in allegations
    assert f"/allegations/{other.pk}/" not in page
    assert "Ottilie" not in page  # the allegation's page, not the child's name
    assert section(page, "awaiting-screening") is None
    governor_b = school_client(school_a, world.person("b", Role.GOVERNOR)).get("/").text
    assert section(governor_b, "allegations") is None

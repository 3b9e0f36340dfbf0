"""A child's page: the safeguarding flags with their dates, set and ended by the DSL and deputies
only and each written to the chronology; the MIS flags as imported; and each section shown only
to those who may read it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry, ChronologyEntry, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from safeguarding.services.pupil_import import pupil_import_apply, pupil_import_preview
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, person
from tests.safeguarding.fixtures import enrol, flag_set, make_upn, with_two_factor
from trustplatform.accounts.models import Role
from trustplatform.hashchain import chain_verify

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

FLAG = "child_in_need_plan"


def _weeks_ago(weeks: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(weeks=weeks)


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _change(
    client: Client,
    pupil: Pupil,
    *,
    flag: str = FLAG,
    change: str = "set",
    on: str | dt.date = "",
    note: str = "",
) -> Response:
    return client.post(
        f"/pupils/{pupil.pk}/flags/",
        {
            "flag": flag,
            "change": change,
            f"{flag}-on_date": on.isoformat() if isinstance(on, dt.date) else on,
            f"{flag}-note": note,
        },
    )


def _entries(school: School, pupil: Pupil) -> list[ChronologyEntry]:
    with schema_context(school.schema_name):
        return list(
            ChronologyEntry.objects.filter(pupil=pupil, kind=ChronologyEntry.Kind.FLAG_CHANGE)
        )


# --- setting and ending flags -------------------------------------------------------------------


def test_the_dsl_sets_child_in_need_from_a_date_and_it_is_signed_in_the_chained_chronology(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Imelda")
    client = school_client(school_a, dsl)
    began = _weeks_ago(4)

    response = _change(client, pupil, on=began, note="Agreed at the strategy meeting.")
    assert response.status_code == 302
    assert response["Location"] == f"/pupils/{pupil.pk}/#flags"

    page = client.get(response["Location"]).text
    assert f'<strong>Yes</strong>, since <time datetime="{began.isoformat()}">' in page
    assert _long(began) in page

    [entry] = _entries(school_a, pupil)
    assert entry.title == f"Child in need: set from {_long(began)}"
    assert entry.body == "Agreed at the strategy meeting."
    assert (entry.author_id, entry.author_name, entry.author_role) == (
        dsl.pk,
        dsl.full_name,
        "dsl",
    )
    assert entry.details == {"flag": FLAG, "set": True, "date": began.isoformat()}
    with schema_context(school_a.schema_name):
        assert chain_verify(ChronologyEntry) is None
        pupil.refresh_from_db()
    assert pupil.child_in_need_plan and pupil.child_in_need_plan_since == began
    # On the child's page among the newest entries, and in the full chronology.
    assert entry.title in page
    chronology = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert entry.title in chronology and dsl.full_name in chronology


def test_a_deputy_sets_and_ends_a_child_protection_plan_each_a_chronology_entry(
    world: World, school_a: School
) -> None:
    deputy = world.person("a", Role.DEPUTY_DSL)
    with schema_context(school_a.schema_name):
        pupil = enrol()
    client = school_client(school_a, deputy)
    flag = "child_protection_plan"

    assert _change(client, pupil, flag=flag, on=_weeks_ago(10)).status_code == 302
    ended = _change(client, pupil, flag=flag, change="end", on=_weeks_ago(1), note="Plan ended.")
    assert ended.status_code == 302

    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
        assert chain_verify(ChronologyEntry) is None
    assert not pupil.child_protection_plan and pupil.child_protection_plan_since is None
    titles = [e.title for e in _entries(school_a, pupil)]
    assert titles == [
        f"Child protection plan: set from {_long(_weeks_ago(10))}",
        f"Child protection plan: ended from {_long(_weeks_ago(1))}",
    ]
    assert {e.author_name for e in _entries(school_a, pupil)} == {deputy.full_name}
    page = client.get(f"/pupils/{pupil.pk}/").text
    assert "Set “Child protection plan”" in page


@pytest.mark.parametrize(
    ("place", "role"),
    [
        ("a", Role.STAFF),
        ("a", Role.KEY_HOLDER),
        ("a", Role.HEADTEACHER),
        ("a", Role.GOVERNOR),
        ("a", Role.SCHOOL_ADMIN),
        ("b", Role.DSL),
        ("c", Role.DSL),
    ],
)
def test_only_the_dsl_and_deputies_change_a_flag(
    world: World, school_a: School, place: str, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(year_group=7)
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[7],
            actor=world.person("a", Role.DSL),
        )
    user = world.person(place, role)
    if role in {Role.STAFF, Role.GOVERNOR, Role.SCHOOL_ADMIN}:
        user = with_two_factor(user)  # so the refusal is for the role, not for two-factor
    client = school_client(school_a, user)
    assert _change(client, pupil, on=_weeks_ago(1)).status_code == 404
    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
    assert not pupil.child_in_need_plan
    assert _entries(school_a, pupil) == []


def test_an_anonymous_visitor_is_sent_to_sign_in_and_changes_nothing(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
    response = _change(school_client(school_a), pupil, on=_weeks_ago(1))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert _entries(school_a, pupil) == []


@pytest.mark.parametrize(
    "case",
    [
        (False, "set", "", "This field is required."),
        (False, "set", "3rd of May", "Enter a valid date."),
        (False, "set", "future", "The date is in the future"),
        (False, "set", "before birth", "before the child&#x27;s date of birth"),
        (True, "set", "last week", "Child in need is already set, since"),
        (False, "end", "last week", "Child in need is not set, so there is nothing to end."),
        (True, "end", "before it began", "The date is before child in need began"),
    ],
)
def test_a_refused_change_says_why_keeps_what_was_typed_and_changes_nothing(
    world: World, school_a: School, case: tuple[bool, str, str, str]
) -> None:
    already_set, change, on, message = case
    with schema_context(school_a.schema_name):
        pupil = enrol()
        if already_set:
            flag_set(pupil, FLAG, on=_weeks_ago(3))
    day = {
        "future": timezone.localdate() + dt.timedelta(days=1),
        "before birth": pupil.date_of_birth - dt.timedelta(days=1),
        "last week": _weeks_ago(1),
        "before it began": _weeks_ago(5),
    }.get(on, on)
    before = _entries(school_a, pupil)
    client = school_client(school_a, world.person("a", Role.DSL))

    response = _change(client, pupil, change=change, on=day, note="Sntnoteword kept as typed.")

    assert response.status_code == 400
    assert message in response.text
    assert "Sntnoteword kept as typed." in response.text  # nothing typed is lost
    assert _entries(school_a, pupil) == before
    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
    assert pupil.child_in_need_plan is already_set


def test_a_flag_that_is_not_on_the_list_is_refused(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
    client = school_client(school_a, world.person("a", Role.DSL))
    response = _change(client, pupil, flag="sen", on=_weeks_ago(1))
    assert response.status_code == 302
    assert "Choose a flag from the list." in client.get(response["Location"]).text
    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
    assert not pupil.sen and _entries(school_a, pupil) == []


# --- the sections of the page -------------------------------------------------------------------


def test_each_section_shows_only_what_the_reader_may_see(world: World, school_a: School) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    head = world.person("a", Role.HEADTEACHER)
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Perdita", year_group=7)
        flag_set(pupil, "looked_after", on=_weeks_ago(8))
        granted = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("bullying"),
            account="Sntgranted: pushed in the lunch queue.",
        )
        outside = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("sexual-abuse"),
            account="Sntoutside: outside the key holder's grant.",
        )
        allegation = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("allegation-staff"),
            account="Sntallegation: about the headteacher.",
            adult_user_id=head.pk,
        )
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[7],
            actor=world.person("a", Role.DSL),
        )

    def page(role: Role) -> str:
        response = school_client(school_a, world.person("a", role)).get(f"/pupils/{pupil.pk}/")
        assert response.status_code == 200, role
        return response.text

    def concern_link(concern_id: int) -> str:
        return f'href="/concerns/{concern_id}/"'

    dsl = page(Role.DSL)
    for concern in (granted, outside, allegation):
        assert concern_link(concern.pk) in dsl
    assert 'id="sharing"' in dsl and f'href="/pupils/{pupil.pk}/disclosures/"' in dsl
    assert f'href="/pupils/{pupil.pk}/chronology/"' in dsl
    assert f'href="/pupils/{pupil.pk}/documents/"' in dsl
    assert "Set “Child in need”" in dsl and "End “Looked after”" in dsl

    # The headteacher reads every record but the allegation about them, and sets no flag.
    headteacher = page(Role.HEADTEACHER)
    assert concern_link(granted.pk) in headteacher and concern_link(outside.pk) in headteacher
    assert concern_link(allegation.pk) not in headteacher
    assert "Set “Child in need”" not in headteacher

    # A deputy sees no allegation (docs/rules.md), and sets flags.
    deputy = page(Role.DEPUTY_DSL)
    assert concern_link(allegation.pk) not in deputy
    assert "Set “Child in need”" in deputy

    # A key holder: the flags, and only what lies wholly inside the grant.
    key_holder = page(Role.KEY_HOLDER)
    assert f'since <time datetime="{_weeks_ago(8).isoformat()}">' in key_holder
    assert concern_link(granted.pk) in key_holder
    assert concern_link(outside.pk) not in key_holder
    assert concern_link(allegation.pk) not in key_holder
    assert 'id="sharing"' not in key_holder and "/disclosures/" not in key_holder
    assert "Set “Child in need”" not in key_holder
    # The flag change has no category: not a key holder's chronology entry.
    assert "Looked after: set from" not in key_holder


def test_viewing_the_page_is_written_to_the_access_log(world: World, school_a: School) -> None:
    deputy = world.person("a", Role.DEPUTY_DSL)
    with schema_context(school_a.schema_name):
        pupil = enrol()
    school_client(school_a, deputy).get(f"/pupils/{pupil.pk}/")
    with schema_context(school_a.schema_name):
        logged = list(AccessLogEntry.objects.values_list("action", "pupil_id", "user_id"))
    assert logged == [(AccessAction.VIEWED_RECORD, pupil.pk, deputy.pk)]


# --- SEN, pupil premium and free school meals from the MIS --------------------------------------


def test_sen_pupil_premium_and_free_school_meals_come_from_the_import_and_show_read_only(
    world: World, school_a: School
) -> None:
    upn = make_upn(81)
    with_columns = (
        "UPN,Legal Surname,Legal Forename,Date of Birth,Sex,Year Group,SEN,Pupil Premium,FSM\n"
        f"{upn},Ferrand,Tilly,01/02/2015,F,5,Y,N,Y\n"
    ).encode()
    without = (f"UPN,Legal Surname,Legal Forename\n{upn},Ferrand,Matilda\n").encode()
    with schema_context(school_a.schema_name):
        pupil_import_apply(with_columns, actor_id=1)
        pupil = Pupil.objects.get(upn=upn)
        assert (pupil.sen, pupil.pupil_premium, pupil.free_school_meals) == (True, False, True)
        # A file without those columns changes the name and leaves them as they were.
        pupil_import_apply(without, actor_id=1)
        pupil.refresh_from_db()
    assert pupil.legal_first_name == "Matilda"
    assert (pupil.sen, pupil.pupil_premium, pupil.free_school_meals) == (True, False, True)

    page = school_client(school_a, world.person("a", Role.DSL)).get(f"/pupils/{pupil.pk}/").text
    mis = page.split('id="mis-flags"')[1].split("</dl>")[0]
    assert "<dt>Free school meals</dt><dd>Yes</dd>" in mis
    assert "<dt>Pupil premium</dt><dd>No</dd>" in mis
    assert "<dt>SEN support</dt><dd>Yes</dd>" in mis
    assert "<input" not in mis  # read-only


def test_a_bad_free_school_meals_value_is_refused_by_row_and_nothing_is_imported(
    school_a: School,
) -> None:
    upn, other = make_upn(82), make_upn(83)
    csv = (
        "UPN,Legal Surname,Legal Forename,Date of Birth,Sex,Year Group,Free School Meals\n"
        f"{upn},Ferrand,Tilly,01/02/2015,F,5,Y\n"
        f"{other},Ferrand,Otto,01/02/2016,M,4,sometimes\n"
    ).encode()
    with schema_context(school_a.schema_name):
        enrol(serial=82, first="Tilly", free_school_meals=False)
        preview = pupil_import_preview(csv)
        [problem] = preview.error_rows
        assert problem.number == 3
        assert problem.errors == ("Free School Meals: “sometimes” is not a yes or no; use Y or N.",)
        with pytest.raises(ValidationError, match="Nothing was imported: 1 row has problems"):
            pupil_import_apply(csv, actor_id=1)
        assert not Pupil.objects.get(upn=upn).free_school_meals
        assert not Pupil.objects.filter(upn=other).exists()


def test_the_page_asks_the_database_as_often_whatever_the_number_of_records(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        pupil = enrol()
    client = school_client(school_a, world.person("a", Role.DSL))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/pupils/{pupil.pk}/").status_code == 200
        return len(captured)

    # The first request also finds the school of its host, which each process then keeps for a
    # few seconds (docs/architecture.md, "Routing by subdomain"): not a cost of the records.
    queries()
    counts = []
    for _ in range(2):
        with schema_context(school_a.schema_name):
            for _ in range(3):
                concern_record(
                    school=school_a,
                    author=staff,
                    pupil_ids=[pupil.pk],
                    category_ids=category_ids("bullying", "online-safety"),
                    account="Sntcount: one more concern.",
                )
        counts.append(queries())
    assert counts[0] == counts[1]

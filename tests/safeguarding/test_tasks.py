"""My tasks: the actions the DSL assigns to a member of staff, their email, and completing them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import AccessLogEntry, Action, ChronologyEntry, Concern
from safeguarding.services.concerns import action_add, concern_record
from safeguarding.tasks import concern_alert_emails_task
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

ACCOUNT = "Said her uncle shouts at night."


def _concern(world: World, school: School, first: str = "Tamsin", last: str = "Ockwell") -> Concern:
    return concern_record(
        school=school,
        author=person(world.person("a", Role.KEY_HOLDER), Role.KEY_HOLDER),
        pupil_ids=[make_pupil(first, last).pk],
        category_ids=category_ids("neglect"),
        account=ACCOUNT,
    )


def _assign(
    world: World,
    concern: Concern,
    *,
    description: str = "Ask how the weekend went",
    due_on: dt.date | None = None,
    to: Role = Role.STAFF,
) -> Action:
    return action_add(
        concern=concern,
        actor=person(world.person("a", Role.DSL), Role.DSL),
        kind=Action.Kind.CONVERSATION_PUPIL,
        description=description,
        assignee=person(world.person("a", to), to),
        due_on=due_on,
    )


def test_the_assignment_email_links_to_my_tasks_and_says_nothing_of_the_child(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        concern = _concern(world, school_a)
        _assign(world, concern, description="Check the bruise on her arm")
        mail.outbox.clear()
        concern_alert_emails_task.apply(args=[concern.pk]).get()

    staff_email = world.person("a", Role.STAFF).email
    [message] = [m for m in mail.outbox if m.to == [staff_email]]
    text = f"{message.subject} {message.body}"
    assert "http://alder.localhost:8000/tasks/" in message.body
    for detail in ("Tamsin", "Ockwell", "bruise", "uncle", "conversation", "concerns/"):
        assert detail.lower() not in text.lower()


def test_my_tasks_shows_the_pupil_and_the_action_only_open_first_by_due_date(
    world: World, school_a: School
) -> None:
    today = timezone.localdate()
    with schema_context(school_a.schema_name):
        later = _assign(
            world, _concern(world, school_a, "Later", "Pupil"), due_on=today + dt.timedelta(days=9)
        )
        sooner = _assign(
            world, _concern(world, school_a, "Sooner", "Pupil"), due_on=today + dt.timedelta(days=2)
        )
        done = _assign(world, _concern(world, school_a, "Done", "Pupil"), description="Phone home")
        Action.objects.filter(pk=done.pk).update(completed_at=timezone.now(), outcome="Rang mum")
        # Someone else's task is not on this page.
        _assign(world, _concern(world, school_a, "Other", "Child"), to=Role.KEY_HOLDER)

    page = school_client(school_a, world.person("a", Role.STAFF)).get("/tasks/")

    assert page.status_code == 200
    text = page.text
    assert text.index("Sooner Pupil") < text.index("Later Pupil") < text.index("Done Pupil")
    assert "Ask how the weekend went" in text and "Further conversation with the pupil" in text
    assert "Rang mum" in text
    assert "Other Child" not in text
    # Nothing of the concern: neither its account nor its categories.
    assert ACCOUNT not in text and "Neglect" not in text
    assert later.pk and sooner.pk


def test_opening_my_tasks_is_written_to_the_access_log(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        action = _assign(world, _concern(world, school_a))
        pupil_id = action.concern.pupils.get().pk

    school_client(school_a, world.person("a", Role.STAFF)).get("/tasks/")

    with schema_context(school_a.schema_name):
        entry = AccessLogEntry.objects.get(object_type="action", object_id=str(action.pk))
    assert entry.user_id == world.person("a", Role.STAFF).pk
    assert entry.pupil_id == pupil_id and entry.action == "viewed_record"


def test_the_assignee_completes_a_task_with_a_note_and_the_chronology_records_it(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        action = _assign(world, _concern(world, school_a))
    client = school_client(school_a, world.person("a", Role.STAFF))

    refused = client.post(f"/tasks/{action.pk}/complete/", {"outcome": "  "}, follow=True)
    assert "Write a note of what was done" in refused.text
    with schema_context(school_a.schema_name):
        assert Action.objects.get(pk=action.pk).completed_at is None

    done = client.post(f"/tasks/{action.pk}/complete/", {"outcome": "Talked at lunch; fine."})
    assert done.status_code == 302

    with schema_context(school_a.schema_name):
        action.refresh_from_db()
        assert action.completed_at is not None and action.outcome == "Talked at lunch; fine."
        entry = ChronologyEntry.objects.get(action=action, kind="action_completed")
        assert entry.body == "Talked at lunch; fine."
        assert entry.author_id == world.person("a", Role.STAFF).pk
    # The DSL sees it done on the concern's page.
    case = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/concerns/{action.concern_id}/"
    )
    assert "Talked at lunch; fine." in case.text


def test_someone_elses_task_is_the_same_404_as_no_task(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        action = _assign(world, _concern(world, school_a), to=Role.KEY_HOLDER)
    client = school_client(school_a, world.person("a", Role.STAFF))

    other = client.post(f"/tasks/{action.pk}/complete/", {"outcome": "Not mine"})
    missing = client.post("/tasks/999999/complete/", {"outcome": "Nothing"})

    assert other.status_code == missing.status_code == 404
    with schema_context(school_a.schema_name):
        assert Action.objects.get(pk=action.pk).completed_at is None


def test_a_task_completed_twice_says_so_and_keeps_the_first_note(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        action = _assign(world, _concern(world, school_a))
    client = school_client(school_a, world.person("a", Role.STAFF))
    client.post(f"/tasks/{action.pk}/complete/", {"outcome": "First"})
    again = client.post(f"/tasks/{action.pk}/complete/", {"outcome": "Second"}, follow=True)

    assert "already completed" in again.text
    with schema_context(school_a.schema_name):
        assert Action.objects.get(pk=action.pk).outcome == "First"


def test_an_action_cannot_be_given_to_a_governor_who_sees_no_child_data(
    world: World, school_a: School
) -> None:
    governor = world.person("a", Role.GOVERNOR)
    with schema_context(school_a.schema_name):
        concern = _concern(world, school_a)
        with pytest.raises(ValidationError) as refused:
            _assign(world, concern, to=Role.GOVERNOR)
        assert "a governor is given no tasks" in str(refused.value)
        assert not Action.objects.filter(assignee_id=governor.pk).exists()
    dsl = school_client(school_a, world.person("a", Role.DSL))

    # Not offered on the concern's page, and refused if posted all the same.
    page = dsl.get(f"/concerns/{concern.pk}/").text
    choices = page[
        page.index('name="assignee"') : page.index("</select>", page.index('name="assignee"'))
    ]
    assert f'value="{world.person("a", Role.STAFF).pk}"' in choices
    assert f'value="{governor.pk}"' not in choices
    posted = dsl.post(
        f"/concerns/{concern.pk}/actions/",
        {"kind": Action.Kind.CONVERSATION_PUPIL, "assignee": governor.pk},
    )
    assert posted.status_code == 200
    with schema_context(school_a.schema_name):
        assert not Action.objects.filter(assignee_id=governor.pk).exists()


def test_a_governor_has_no_task_list(world: World, school_a: School) -> None:
    governor = school_client(school_a, world.person("a", Role.GOVERNOR))

    assert governor.get("/tasks/").status_code == 404

"""Printing a chronology or a concern from its page: the print is written to the access log."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry, Concern, Pupil
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def _concern(world: World, school: School) -> tuple[Pupil, Pupil, Concern]:
    first, second = make_pupil("Wilhelmina", "Crossthwaite"), make_pupil("Benedek", "Sallow")
    concern = concern_record(
        school=school,
        author=person(world.person("a", Role.STAFF), Role.STAFF),
        pupil_ids=[first.pk, second.pk],
        category_ids=category_ids("bullying"),
        account="They said older pupils take their dinner money every Monday.",
    )
    return first, second, concern


def _printed(school: School) -> list[tuple[str, str, int | None, str]]:
    with schema_context(school.schema_name):
        return list(
            AccessLogEntry.objects.filter(action=AccessAction.PRINTED)
            .order_by("pk")
            .values_list("user_name", "object_type", "pupil_id", "user_role")
        )


def test_printing_a_chronology_is_logged_for_its_pupil(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, _ = _concern(world, school_a)
    dsl = world.person("a", Role.DSL)
    client = school_client(school_a, dsl)

    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert f'action="/pupils/{pupil.pk}/chronology/printed/"' in page
    assert "safeguarding/print.js" in page
    response = client.post(f"/pupils/{pupil.pk}/chronology/printed/")

    assert response.status_code == 204
    assert _printed(school_a) == [(dsl.full_name, "pupil", pupil.pk, Role.DSL)]


def test_printing_a_concern_is_logged_for_each_child_on_it(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        first, second, concern = _concern(world, school_a)
    deputy = world.person("a", Role.DEPUTY_DSL)
    client = school_client(school_a, deputy)

    assert (
        f'action="/concerns/{concern.pk}/printed/"' in client.get(f"/concerns/{concern.pk}/").text
    )
    response = client.post(f"/concerns/{concern.pk}/printed/")

    assert response.status_code == 204
    assert sorted(_printed(school_a), key=lambda row: row[2] or 0) == sorted(
        [
            (deputy.full_name, "concern", first.pk, Role.DEPUTY_DSL),
            (deputy.full_name, "concern", second.pk, Role.DEPUTY_DSL),
        ],
        key=lambda row: row[2] or 0,
    )


def test_opening_the_page_is_not_a_print(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, concern = _concern(world, school_a)
    client = school_client(school_a, world.person("a", Role.DSL))

    client.get(f"/pupils/{pupil.pk}/chronology/")
    client.get(f"/concerns/{concern.pk}/")

    assert _printed(school_a) == []
    assert client.get(f"/pupils/{pupil.pk}/chronology/printed/").status_code == 405


@pytest.mark.parametrize(
    ("place", "role"), [("a", Role.STAFF), ("a", Role.GOVERNOR), ("b", Role.DSL)]
)
def test_weaker_roles_and_other_schools_cannot_log_a_print(
    world: World, school_a: School, place: str, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, concern = _concern(world, school_a)
    client = school_client(school_a, world.person(place, role))

    assert client.post(f"/pupils/{pupil.pk}/chronology/printed/").status_code in {403, 404}
    assert client.post(f"/concerns/{concern.pk}/printed/").status_code in {403, 404}
    assert _printed(school_a) == []


def test_a_key_holder_prints_only_what_lies_inside_their_grant(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, concern = _concern(world, school_a)
    # No grant: the key holder reads none of it, and prints none of it.
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.post(f"/pupils/{pupil.pk}/chronology/printed/").status_code == 404
    assert client.post(f"/concerns/{concern.pk}/printed/").status_code == 404
    assert _printed(school_a) == []


def test_anonymous_is_sent_to_sign_in(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, concern = _concern(world, school_a)
    for path in (f"/pupils/{pupil.pk}/chronology/printed/", f"/concerns/{concern.pk}/printed/"):
        response = school_client(school_a).post(path)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert _printed(school_a) == []


def test_a_print_is_logged_only_with_the_pages_csrf_token(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, _, _ = _concern(world, school_a)
    client = school_client(school_a, world.person("a", Role.DSL))
    client.handler.enforce_csrf_checks = True
    path = f"/pupils/{pupil.pk}/chronology/printed/"

    assert client.post(path).status_code == 403
    assert _printed(school_a) == []

    page = client.get(f"/pupils/{pupil.pk}/chronology/")
    token = page.context["csrf_token"]
    assert client.post(path, {"csrfmiddlewaretoken": str(token)}).status_code == 204
    assert len(_printed(school_a)) == 1

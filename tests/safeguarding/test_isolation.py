"""A row written in one school's schema is invisible from every other school."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from safeguarding.models import Category
from tenants.models import School
from tests.conftest import World, http_get, school_client, signed_in_cookie
from trustplatform.accounts.models import Role

MARKER = "Isolation marker category"


def test_a_row_written_in_school_a_is_invisible_from_school_b_through_the_orm(
    school_a: School, school_b: School, school_c: School
) -> None:
    with schema_context(school_a.schema_name):
        Category.objects.create(name=MARKER)
        assert Category.objects.filter(name=MARKER).count() == 1

    for other in (school_b, school_c):
        with schema_context(other.schema_name):
            assert not Category.objects.filter(name=MARKER).exists()


def test_the_public_schema_holds_no_school_rows(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        Category.objects.create(name=MARKER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.safeguarding_category')")
        assert cursor.fetchone()[0] is None


def test_a_row_written_in_school_a_is_invisible_from_school_b_over_http(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_a.schema_name):
        Category.objects.create(name=MARKER)

    staff_a = world.person("a", Role.STAFF)
    staff_b = world.person("b", Role.STAFF)
    assert MARKER in school_client(school_a, staff_a).get("/guidance/").text
    assert MARKER not in school_client(school_b, staff_b).get("/guidance/").text


def test_isolation_holds_through_a_real_http_server(
    world: World, server_url: str, django_db_blocker: object
) -> None:
    # Committed for real so that the server's own connections can see it, then removed.
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        with schema_context(world.school_a.schema_name):
            marker = Category.objects.create(name=MARKER)
        try:
            cookie_a = signed_in_cookie(world.person("a", Role.STAFF), world.school_a)
            cookie_b = signed_in_cookie(world.person("b", Role.STAFF), world.school_b)
            status_a, page_a = http_get(server_url, world.school_a, "/guidance/", cookie_a)
            status_b, page_b = http_get(server_url, world.school_b, "/guidance/", cookie_b)
        finally:
            with schema_context(world.school_a.schema_name):
                marker.delete()

    assert (status_a, status_b) == (200, 200)
    assert MARKER in page_a
    assert MARKER not in page_b

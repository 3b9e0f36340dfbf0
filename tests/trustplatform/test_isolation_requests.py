"""Requests to one school's site see that school's rows only, also when ids coincide across
schools and when many requests to two schools run at once on one server.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils.html import escape
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker

from safeguarding.models import Category
from tenants.models import School
from tests.conftest import World, http_get, school_client, signed_in_cookie
from trustplatform.accounts.models import Role

REQUESTS_PER_SCHOOL = 50
WORKERS = 16


def guidance_page(school: School, user_place: str, world: World) -> str:
    response = school_client(school, world.person(user_place, Role.STAFF)).get("/guidance/")
    assert response.status_code == 200
    return response.text


def test_a_category_renamed_in_school_a_keeps_its_name_in_school_b_under_the_same_id(
    world: World, db: None
) -> None:
    # Every school's categories are cloned from one template schema, so their ids coincide.
    with schema_context(world.school_a.schema_name):
        in_a = Category.objects.order_by("pk").first()
        assert in_a is not None
    with schema_context(world.school_b.schema_name):
        in_b = Category.objects.get(pk=in_a.pk)
    assert in_b.name == in_a.name
    original, renamed = in_a.name, f"Renamed at Alder only {uuid4().hex[:8]}"

    # No service renames a category yet; the schema is what is under test here.
    with schema_context(world.school_a.schema_name):
        in_a.name = renamed
        in_a.save(update_fields=["name"])

    page_a = guidance_page(world.school_a, "a", world)
    page_b = guidance_page(world.school_b, "b", world)
    assert f"<h2>{escape(renamed)}</h2>" in page_a
    assert f"<h2>{escape(original)}</h2>" not in page_a
    assert f"<h2>{escape(original)}</h2>" in page_b
    assert renamed not in page_b
    with schema_context(world.school_b.schema_name):
        assert Category.objects.get(pk=in_a.pk).name == original


def test_concurrent_requests_to_two_schools_each_see_only_their_own_rows(
    world: World, server_url: str, django_db_blocker: DjangoDbBlocker
) -> None:
    # No `db` fixture: the server's own connections must see these rows, so they are committed
    # for real and removed again at the end.
    marker = {
        world.school_a.pk: f"Concurrency marker of Alder {uuid4().hex}",
        world.school_b.pk: f"Concurrency marker of Birchwood {uuid4().hex}",
    }
    other = {world.school_a.pk: world.school_b, world.school_b.pk: world.school_a}
    with django_db_blocker.unblock():
        created: list[tuple[School, Category]] = []
        cookies: dict[int, str] = {}
        try:
            for school in (world.school_a, world.school_b):
                with schema_context(school.schema_name):
                    created.append((school, Category.objects.create(name=marker[school.pk])))
            cookies = {
                world.school_a.pk: signed_in_cookie(world.person("a", Role.STAFF), world.school_a),
                world.school_b.pk: signed_in_cookie(world.person("b", Role.STAFF), world.school_b),
            }
            # A, B, A, B, ...: neighbouring requests on the server's threads alternate schools.
            schools = [world.school_a, world.school_b] * REQUESTS_PER_SCHOOL

            def fetch(school: School) -> tuple[School, int, str]:
                status, page = http_get(server_url, school, "/guidance/", cookies[school.pk])
                return school, status, page

            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                results = list(pool.map(fetch, schools))
        finally:
            for school, category in created:
                with schema_context(school.schema_name):
                    category.delete()
            for cookie in cookies.values():
                SessionStore(
                    session_key=cookie.removeprefix(f"{settings.SESSION_COOKIE_NAME}=")
                ).delete()

    assert len(results) == 2 * REQUESTS_PER_SCHOOL
    wrong = [
        (school.slug, status)
        for school, status, page in results
        if status != 200 or marker[school.pk] not in page or marker[other[school.pk].pk] in page
    ]
    assert wrong == []

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.models import School
from tenants.services import school_domain_change, school_suspend
from tests.conftest import World, school_client
from trustplatform import middleware


def test_each_school_subdomain_shows_its_own_school(school_a: School, school_b: School) -> None:
    page_a = school_client(school_a).get("/")
    page_b = school_client(school_b).get("/")

    assert page_a.status_code == 200
    assert "Alder Lane Primary" in page_a.text
    assert "Birchwood Academy" not in page_a.text
    assert "Birchwood Academy" in page_b.text
    assert "Alder Lane Primary" not in page_b.text


def test_the_root_domain_shows_the_public_site_and_no_school(school_a: School) -> None:
    page = Client(HTTP_HOST="localhost").get("/")

    assert page.status_code == 200
    assert "Safeguarding Records" in page.text
    assert school_a.name not in page.text


def test_an_unknown_subdomain_gets_a_clear_not_found_page(world: World, db: None) -> None:
    page = Client(HTTP_HOST="nosuchschool.localhost").get("/guidance/")

    assert page.status_code == 404
    assert "School not found" in page.text
    assert "nosuchschool.localhost" in page.text
    assert "Traceback" not in page.text


def test_a_host_outside_the_platform_is_refused(world: World, db: None) -> None:
    page = Client(HTTP_HOST="evil.example.com").get("/")

    assert page.status_code == 400
    assert "Traceback" not in page.text


def test_a_suspended_school_shows_a_suspended_page_on_every_path(school_a: School) -> None:
    school_suspend(school=school_a)
    client = school_client(school_a)

    for path in ("/", "/guidance/", "/anything"):
        page = client.get(path)
        assert page.status_code == 403
        assert "this site is suspended" in page.text
        assert "No records have been removed" in page.text


def test_an_unknown_page_of_a_school_is_a_plain_404(school_a: School) -> None:
    page = school_client(school_a).get("/no-such-page/")

    assert page.status_code == 404
    assert "Page not found" in page.text
    assert "Traceback" not in page.text


def test_healthz_answers_on_the_root_and_on_every_school(school_a: School) -> None:
    school_suspend(school=school_a)
    for client in (Client(HTTP_HOST="localhost"), school_client(school_a)):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}


def test_a_school_suspended_after_its_pages_were_served_is_suspended_at_once(
    school_a: School,
) -> None:
    school_a.refresh_from_db()  # another test may have suspended this instance, then rolled back
    client = school_client(school_a)
    assert client.get("/").status_code == 200  # the school of this host is now kept in memory

    school_suspend(school=school_a)

    assert client.get("/").status_code == 403


def test_the_school_of_a_host_is_looked_up_once_then_kept_for_a_few_seconds(
    school_a: School,
) -> None:
    client = school_client(school_a)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if "tenants_domain" in q["sql"]]

    # The seconds pass (time_machine does not move time.monotonic(): the entry is aged by hand).
    for host, (_, school) in list(middleware._schools_by_host.items()):
        middleware._schools_by_host[host] = (0.0, school)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert [q for q in queries.captured_queries if "tenants_domain" in q["sql"]]


def test_a_school_moved_to_another_address_is_found_there_and_not_at_the_old_one(
    school_a: School,
) -> None:
    old = school_client(school_a)
    assert old.get("/").status_code == 200

    school_domain_change(school=school_a, slug="alder-moved")

    assert old.get("/guidance/").status_code == 404
    assert school_client(School.objects.get(pk=school_a.pk)).get("/").status_code == 200

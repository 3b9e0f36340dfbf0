from __future__ import annotations

from django.test import Client

from tenants.models import School
from tenants.services import school_suspend
from tests.conftest import World, school_client


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

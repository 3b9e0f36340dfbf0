"""The school site's menu, its unread-alerts count, and the pupil search box on every page."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

LINKS = {
    "Dashboard": "/",
    "Record a concern": "/concerns/new/",
    "My tasks": "/tasks/",
    "Concerns": "/concerns/",
    "Pupils": "/pupils/",
    "Agencies and information sharing": "/agencies/",
    "Access log": "/access-log/",
    "Categories": "/categories/",
    "Staff and roles": "/staff/",
    "School calendar": "/calendar/",
    "Policies": "/policies/",
    "Statistics": "/statistics/",
    "Alerts": "/alerts/",
}
EXPECTED = {
    Role.STAFF: {"Dashboard", "Record a concern", "My tasks", "Alerts"},
    Role.KEY_HOLDER: {
        "Dashboard",
        "Record a concern",
        "My tasks",
        "Concerns",
        "Pupils",
        "Alerts",
    },
    Role.DEPUTY_DSL: {
        "Dashboard",
        "Record a concern",
        "My tasks",
        "Concerns",
        "Pupils",
        "Agencies and information sharing",
        "Staff and roles",
        "School calendar",
        "Policies",
        "Statistics",
        "Alerts",
    },
    Role.DSL: set(LINKS),
    Role.HEADTEACHER: {
        "Dashboard",
        "Record a concern",
        "My tasks",
        "Concerns",
        "Pupils",
        "Agencies and information sharing",
        "Staff and roles",
        "School calendar",
        "Policies",
        "Statistics",
        "Alerts",
    },
    # Statistics and staff management need the second factor, which these two have not set up.
    Role.GOVERNOR: {"Dashboard", "School calendar", "Policies", "Alerts"},
    Role.SCHOOL_ADMIN: {"Dashboard", "My tasks", "School calendar", "Alerts"},
}


def menu_links(html: str) -> dict[str, str]:
    """The menu's links, by their text (an unread count in a link's text is left out)."""
    menu = re.search(r'<nav[^>]*id="site-menu"[^>]*>(.*?)</nav>', html, re.S)
    assert menu is not None, "no site menu"
    links = re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', menu.group(1), re.S)
    return {re.sub(r"<[^>]+>.*", "", text, flags=re.S).strip(): href for href, text in links}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_menu_shows_each_role_the_links_it_may_use(
    world: World, school_a: School, role: Role
) -> None:
    page = school_client(school_a, world.person("a", role)).get("/").text
    links = menu_links(page)
    shown = {name for name in LINKS if links.get(name) == LINKS[name]}
    assert shown == EXPECTED[role]


def test_every_link_in_the_menu_opens_for_the_person_shown_it(
    world: World, school_a: School
) -> None:
    for role in EXPECTED:
        client = school_client(school_a, world.person("a", role))
        for name, href in menu_links(client.get("/").text).items():
            if href.startswith("/"):
                assert client.get(href).status_code == 200, (role, name, href)


def test_the_menu_counts_unread_alerts(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[make_pupil("Marisol", "Quillfeather").pk],
            category_ids=category_ids("neglect"),
            account="Came in hungry again.",
        )
    page = school_client(school_a, world.person("a", Role.DSL)).get("/concerns/").text
    assert re.search(r'href="/alerts/"[^>]*>Alerts <span class="badge"[^>]*>1<', page)


def test_anonymous_and_other_schools_people_get_no_menu(world: World, school_a: School) -> None:
    for client in (school_client(school_a), school_client(school_a, world.person("b", Role.DSL))):
        page = client.get("/").text
        assert 'href="/concerns/' not in page
        assert 'id="site-pupil-search"' not in page


@pytest.mark.parametrize("path", ["/", "/concerns/", "/alerts/", "/accounts/"])
def test_readers_find_a_pupil_search_that_posts_on_every_page(
    world: World, school_a: School, path: str
) -> None:
    page = school_client(school_a, world.person("a", Role.DEPUTY_DSL)).get(path).text
    search = re.search(r'<form[^>]*id="site-pupil-search"[^>]*>', page)
    assert search is not None
    assert 'method="post"' in search.group(0)
    assert 'action="/pupils/"' in search.group(0)


@pytest.mark.parametrize("role", [Role.STAFF, Role.GOVERNOR, Role.SCHOOL_ADMIN])
def test_people_who_read_no_records_get_no_pupil_search(
    world: World, school_a: School, role: Role
) -> None:
    page = school_client(school_a, world.person("a", role)).get("/").text
    assert 'id="site-pupil-search"' not in page


def test_the_search_by_post_lists_only_pupils_the_reader_may_see(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        make_pupil("Perpetua", "Quenby", year_group=6)
        make_pupil("Perpetua", "Younger", year_group=2)
        make_pupil("Someone", "Else", year_group=6)
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[6],
            actor=world.person("a", Role.DSL),
        )
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    results = client.post("/pupils/", {"q": "perpetua", "status": "all"}).text

    assert "Quenby, Perpetua" in results
    assert "Younger" not in results
    assert "Else, Someone" not in results


def test_a_name_in_the_query_string_is_not_searched_for_nor_shown(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        make_pupil("Perpetua", "Quenby")
        make_pupil("Someone", "Else")
    client = school_client(school_a, world.person("a", Role.DSL))

    page = client.get("/pupils/?q=Quenby").text

    assert 'value="Quenby"' not in page
    assert "Else, Someone" in page  # the whole list: no search was made

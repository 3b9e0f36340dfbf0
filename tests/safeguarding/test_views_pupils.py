from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry, FamilyLink, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.pupil_import import MAX_ROWS
from safeguarding.services.pupils import family_link_add
from tenants.models import School
from tests.authz import SCHOOL_ACTORS
from tests.conftest import World, school_client
from tests.safeguarding.authz_pupils import POST_VARIANTS
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import (
    enrol,
    fixture_bytes,
    flag_set,
    make_upn,
    with_two_factor,
)
from tests.trustplatform.test_authorization_matrix import _request, expected
from trustplatform.accounts.models import Role

READER_PAGES = ("/pupils/", "/pupils/{id}/")
IMPORT_PAGES = ("/pupils/manage/", "/pupils/new/", "/pupils/import/", "/pupils/{id}/edit/")


def _admin_client(world: World, school: School, place: str = "a") -> Client:
    # The world's school administrators have no two-factor; importing pupils needs it.
    return school_client(school, with_two_factor(world.person(place, Role.SCHOOL_ADMIN)))


def _log(school: School) -> list[tuple[str, int | None, int]]:
    with schema_context(school.schema_name):
        return list(AccessLogEntry.objects.values_list("action", "pupil_id", "user_id"))


# --- refusals -----------------------------------------------------------------------------------


def test_every_pupil_page_sends_anonymous_visitors_to_sign_in(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
    client = school_client(school_a)
    for path in (*READER_PAGES, *IMPORT_PAGES):
        response = client.get(path.format(id=pupil.pk))
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path
    search = client.post("/pupils/search/", {"q": "Wren"})
    assert search.status_code == 302
    assert "/login/" in search["Location"]


def test_staff_cannot_open_pupil_pages_but_can_search_while_recording(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Tamsin")
    client = school_client(school_a, world.person("a", Role.STAFF))
    for path in (*READER_PAGES, *IMPORT_PAGES):
        assert client.get(path.format(id=pupil.pk)).status_code == 404, path
    for path in (f"/pupils/{pupil.pk}/family/", "/pupils/import/confirm/"):
        assert client.post(path).status_code == 404, path
    assert "Tamsin" in client.post("/pupils/search/", {"q": "tams"}).text


def test_another_schools_user_gets_the_same_404_as_for_a_missing_page(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
    for place in ("b", "c"):
        client = school_client(school_a, world.person(place, Role.DSL))
        for path in READER_PAGES:
            assert client.get(path.format(id=pupil.pk)).status_code == 404, (place, path)
        assert client.post("/pupils/search/", {"q": "Wren"}).status_code == 404
        admin = _admin_client(world, school_a, place)
        for path in IMPORT_PAGES:
            assert admin.get(path.format(id=pupil.pk)).status_code == 404, (place, path)


def test_a_pupil_of_another_school_is_a_404_even_for_its_own_id(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Aurelia")
    dsl_b = school_client(school_b, world.person("b", Role.DSL))
    assert dsl_b.get(f"/pupils/{pupil.pk}/").status_code == 404
    assert "Aurelia" not in dsl_b.get("/pupils/", {"status": "all"}).text


# --- the list and the record --------------------------------------------------------------------


def test_the_dsl_finds_pupils_by_name_or_upn_and_filters_by_year_and_roll(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        enrol(first="Juniper", last="Haverstock", year_group=7, serial=11)
        enrol(first="Kit", last="Loxley", year_group=8, preferred_first_name="Kitty")
        leaver = enrol(first="Lark", last="Mossop", year_group=8)
        leaver.leaving_date = leaver.date_of_birth.replace(year=2025)
        leaver.save()
    client = school_client(school_a, world.person("a", Role.DSL))

    everyone = client.get("/pupils/").text
    assert "Haverstock, Juniper" in everyone and "Loxley, Kitty" in everyone
    assert "Mossop" not in everyone  # on roll by default
    assert "Mossop" in client.get("/pupils/", {"status": "leavers"}).text
    by_name = client.post("/pupils/", {"q": "kitty lox"}).text
    assert "Loxley" in by_name and "Haverstock" not in by_name
    by_upn = client.post("/pupils/", {"q": make_upn(11).lower()}).text
    assert "Haverstock" in by_upn and "Loxley" not in by_upn
    leavers_by_name = client.post("/pupils/", {"q": "mossop", "status": "leavers"}).text
    assert "Mossop" in leavers_by_name
    # A name in a query string (an old bookmark) is not searched for.
    from_a_link = client.get("/pupils/", {"q": "kitty lox"}).text
    assert "Haverstock" in from_a_link and "kitty lox" not in from_a_link
    year_8 = client.get("/pupils/", {"year_group": "8"}).text
    assert "Loxley" in year_8 and "Haverstock" not in year_8
    odd = client.get("/pupils/", {"year_group": "forty"})
    assert odd.status_code == 200 and "not understood" in odd.text


def test_listing_pupils_writes_nothing_to_the_access_log(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        enrol()
    client = school_client(school_a, world.person("a", Role.DSL))
    assert client.post("/pupils/", {"q": "wren"}).status_code == 200
    assert _log(school_a) == []


def test_opening_a_pupil_is_written_to_the_access_log_with_how_it_was_opened(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = flag_set(enrol(first="Marigold"), "child_protection_plan")
    dsl = world.person("a", Role.DSL)
    client = school_client(school_a, dsl)

    listed = client.get("/pupils/").text
    assert f'href="/pupils/{pupil.pk}/?from=search"' in listed
    found = client.post("/pupils/", {"q": "marigold"}).text
    assert f'href="/pupils/{pupil.pk}/?from=search"' in found
    page = client.get(f"/pupils/{pupil.pk}/", {"from": "search"})
    assert page.status_code == 200
    assert "Marigold" in page.text and pupil.upn in page.text
    assert "Child protection plan" in page.text
    client.get(f"/pupils/{pupil.pk}/")

    assert sorted(_log(school_a)) == sorted(
        [
            (AccessAction.OPENED_SEARCH_RESULT, pupil.pk, dsl.pk),
            (AccessAction.VIEWED_RECORD, pupil.pk, dsl.pk),
        ]
    )


def test_the_pupil_page_leaves_a_place_for_the_chronology(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
    page = school_client(school_a, world.person("a", Role.HEADTEACHER)).get(f"/pupils/{pupil.pk}/")
    assert page.status_code == 200
    assert "safeguarding/pupils/_chronology.html" in [t.name for t in page.templates]


def test_a_key_holder_sees_only_the_year_groups_granted_to_them(
    world: World, school_a: School
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    with schema_context(school_a.schema_name):
        mine = enrol(first="Nell", year_group=7)
        other = enrol(first="Oswin", year_group=9)
        family_link_add(pupil=mine, relative=other, relationship="sibling")
        key_holder_access_set(
            school=school_a,
            key_holder=key_holder,
            category_ids=category_ids("bullying"),
            year_groups=[7],
            actor=world.person("a", Role.DSL),
        )
    client = school_client(school_a, key_holder)

    listed = client.get("/pupils/", {"status": "all"}).text
    assert "Nell" in listed and "Oswin" not in listed
    assert "Year 9" not in listed  # not even offered as a filter
    assert "Oswin" not in client.get("/pupils/", {"year_group": "9"}).text

    page = client.get(f"/pupils/{mine.pk}/")
    assert page.status_code == 200
    assert "Oswin" not in page.text and "1 more family link" in page.text
    assert client.get(f"/pupils/{other.pk}/").status_code == 404
    assert _log(school_a) == [(AccessAction.VIEWED_RECORD, mine.pk, key_holder.pk)]


def test_a_key_holder_without_a_grant_sees_no_pupils(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Perdita")
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))
    listed = client.get("/pupils/")
    assert "Perdita" not in listed.text and "not been given access" in listed.text
    assert client.get(f"/pupils/{pupil.pk}/").status_code == 404


@pytest.mark.parametrize("search", [False, True])
@pytest.mark.parametrize("how_many", [3, 75])
def test_the_list_page_takes_the_same_queries_however_many_pupils(
    world: World,
    school_a: School,
    how_many: int,
    search: bool,
    django_assert_max_num_queries: Any,
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    with schema_context(school_a.schema_name):
        for n in range(how_many):
            enrol(first=f"Quinn{n}", year_group=7, serial=n + 1)
        key_holder_access_set(
            school=school_a,
            key_holder=key_holder,
            category_ids=category_ids("bullying"),
            year_groups=[7],
            actor=world.person("a", Role.DSL),
        )
    for user in (world.person("a", Role.DSL), key_holder):
        client = school_client(school_a, user)
        # Domain, session, user, membership, count and page, and a key holder's grant (3):
        # 9 statements, each after django-tenants' own SET search_path. None per pupil.
        with django_assert_max_num_queries(18):
            if search:
                response = client.post("/pupils/", {"q": "quinn", "page": "1"})
            else:
                response = client.get("/pupils/")
        assert response.status_code == 200
        assert response.text.count("?from=search") == min(how_many, 50)


def _urls_in(page: str) -> list[str]:
    """Every URL the page links to, submits to or loads."""
    return re.findall(r'(?:href|action|src|formaction)="([^"]*)"', page)


def test_searching_for_a_pupil_never_puts_the_name_in_a_url(world: World, school_a: School) -> None:
    # Browser history, server and proxy logs and the Referer all see URLs: a child's name is
    # POSTed, its results rendered at once (no redirect to a URL carrying it), and its pages
    # asked for by POST. Nor is it kept in the session, which lives in the public schema.
    with schema_context(school_a.schema_name):
        for n in range(60):
            enrol(first=f"Zinnia{n}", last="Abernethy", year_group=7, serial=n + 1)
        enrol(first="Other", last="Child", year_group=7, serial=99)
    client = school_client(school_a, world.person("a", Role.DSL))

    form = client.get("/pupils/").text
    assert re.search(r'<form method="post" action="/pupils/"[^>]*role="search"', form)
    assert "csrfmiddlewaretoken" in form

    first = client.post("/pupils/", {"q": "Abernethy", "year_group": "7", "status": "on_roll"})
    assert first.status_code == 200 and not first.has_header("Location")
    assert "no-store" in first["Cache-Control"]
    assert "60 pupils, page 1 of 2" in first.text and "Child, Other" not in first.text
    urls = _urls_in(first.text)
    assert any(url.endswith("?from=search") for url in urls)
    assert not any("abernethy" in url.lower() or "q=" in url for url in urls), urls
    # The next page is a POST carrying the search in hidden fields, not a link.
    assert '<input type="hidden" name="q" value="Abernethy">' in first.text
    assert 'name="page" value="2"' in first.text

    second = client.post("/pupils/", {"q": "Abernethy", "year_group": "7", "page": "2"})
    assert "page 2 of 2" in second.text and "Child, Other" not in second.text
    assert not any("abernethy" in url.lower() for url in _urls_in(second.text))

    assert not any("abernethy" in str(value).lower() for value in client.session.values())


def test_the_searches_by_post_are_checked_for_csrf(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Verity", last="Ashdown", serial=61)
    asked = (
        (school_client(school_a, world.person("a", Role.DSL)), "/pupils/", {"q": "ashdown"}),
        (_admin_client(world, school_a), "/pupils/manage/", {"upn": make_upn(61)}),
    )
    answers = []
    for client, path, data in asked:
        client.handler.enforce_csrf_checks = True
        assert client.post(path, data).status_code == 403, path
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(path).text)
        assert match, path
        answers.append(client.post(path, data | {"csrfmiddlewaretoken": match.group(1)}))
    assert "Ashdown, Verity" in answers[0].text
    assert answers[1]["Location"] == f"/pupils/{pupil.pk}/edit/"


def test_the_list_without_a_name_pages_by_links_carrying_only_the_filters(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        for n in range(55):
            enrol(first=f"Yarrow{n}", year_group=8, serial=n + 1)
    client = school_client(school_a, world.person("a", Role.DSL))
    page = client.get("/pupils/", {"year_group": "8"}).text
    assert 'href="/pupils/?year_group=8&amp;status=on_roll&amp;page=2"' in page
    assert 'name="q" value=""' in page
    # The same filters POSTed without a name render the same list.
    posted = client.post("/pupils/", {"q": "", "year_group": "8"}).text
    assert 'href="/pupils/?year_group=8&amp;status=on_roll&amp;page=2"' in posted


@pytest.mark.parametrize(
    ("name", "actor"), [(name, actor) for name in POST_VARIANTS for actor in SCHOOL_ACTORS]
)
def test_the_pages_answer_the_same_people_by_post(
    world: World, db: None, name: str, actor: str
) -> None:
    # The matrix asks each URL with one method; these pages take a search by POST as well.
    row = POST_VARIANTS[name]
    assert _request(world, POST_VARIANTS, name, actor, world.school_a) == expected(row, actor)


# --- the search used while recording a concern ---------------------------------------------------


def test_the_recording_search_shows_only_name_year_group_and_form(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(
            first="Rosalind",
            last="Quarrie",
            year_group=5,
            form="5Q",
            sen=True,
        )
        flag_set(pupil, "looked_after")
        leaver = enrol(first="Rosamund", last="Quarrie")
        leaver.leaving_date = leaver.date_of_birth.replace(year=2024)
        leaver.save()
    response = school_client(school_a, world.person("a", Role.STAFF)).post(
        "/pupils/search/", {"q": "ros quar"}
    )
    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment  # a fragment for HTMX, not a page
    assert "Rosalind Quarrie" in fragment and "Year 5, 5Q" in fragment
    assert f'name="pupils" value="{pupil.pk}"' in fragment
    assert "Rosamund" not in fragment  # leavers are not on roll
    for private in (pupil.upn, "2014", "SEN", "ooked", "/pupils/"):
        assert private not in fragment
    assert _log(school_a) == []


def test_the_recording_search_needs_two_letters_and_shows_at_most_twenty(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        for n in range(25):
            enrol(first=f"Sorrel{n}", last="Tansley")
    client = school_client(school_a, world.person("a", Role.STAFF))
    too_short = client.post("/pupils/search/", {"q": "t"}).text
    assert "at least 2 letters" in too_short and "Tansley" not in too_short
    many = client.post("/pupils/search/", {"q": "tansley"}).text
    assert many.count('name="pupils"') == 20
    assert "Only the first 20" in many


def test_the_recording_search_never_finds_another_schools_pupils(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_a.schema_name):
        enrol(first="Umberto", last="Vellacott")
    with schema_context(school_b.schema_name):
        enrol(first="Ulrika", last="Vellacott")
    found_in_b = school_client(school_b, world.person("b", Role.STAFF)).post(
        "/pupils/search/", {"q": "vellacott"}
    )
    assert "Ulrika" in found_in_b.text and "Umberto" not in found_in_b.text
    # School A's staff asking school B's site are not members there.
    from_a = school_client(school_b, world.person("a", Role.STAFF)).post(
        "/pupils/search/", {"q": "vellacott"}
    )
    assert from_a.status_code == 404


# --- enrolling and changing pupils --------------------------------------------------------------


def _pupil_form(**overrides: Any) -> dict[str, Any]:
    return {
        "upn": make_upn(31),
        "legal_first_name": "Wilhelmina",
        "legal_last_name": "Yarrowby",
        "preferred_first_name": "Billie",
        "preferred_last_name": "",
        "date_of_birth": "2013-10-02",
        "sex": "F",
        "year_group": "7",
        "form": "7Y",
        "admission_date": "2024-09-04",
        "leaving_date": "",
        "flags": ["sen", "young_carer"],
    } | overrides


def test_the_school_administrator_enrols_and_changes_a_pupil(
    world: World, school_a: School
) -> None:
    client = _admin_client(world, school_a)
    form = client.get("/pupils/new/")
    assert form.status_code == 200
    # Every input has its label, and the flags are a group with a legend.
    for name in ("upn", "legal_first_name", "date_of_birth", "sex", "year_group"):
        assert f'<label for="id_{name}">' in form.text
    assert "<legend>What the MIS records about the pupil</legend>" in form.text

    created = client.post("/pupils/new/", _pupil_form())
    assert created.status_code == 302
    with schema_context(school_a.schema_name):
        pupil = Pupil.objects.get(upn=make_upn(31))
    assert created["Location"] == f"/pupils/{pupil.pk}/edit/"
    assert pupil.sen and pupil.young_carer and not pupil.eal
    assert pupil.preferred_first_name == "Billie"

    edit = client.get(f"/pupils/{pupil.pk}/edit/")
    assert 'value="Yarrowby"' in edit.text
    changed = client.post(
        f"/pupils/{pupil.pk}/edit/",
        _pupil_form(year_group="8", form="8Y", leaving_date="2025-07-18", flags=["eal"]),
    )
    assert changed.status_code == 302
    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
    assert (pupil.year_group, pupil.form, pupil.eal, pupil.sen) == (8, "8Y", True, False)
    assert not pupil.on_roll


def test_enrolment_shows_the_services_problems_beside_the_fields(
    world: World, school_a: School
) -> None:
    client = _admin_client(world, school_a)
    response = client.post("/pupils/new/", _pupil_form(upn="B123456789012"))
    assert response.status_code == 200
    assert "wrong check letter" in response.text
    with schema_context(school_a.schema_name):
        assert not Pupil.objects.exists()


def test_opening_a_pupil_to_change_it_is_written_to_the_access_log(
    world: World, school_a: School
) -> None:
    admin = with_two_factor(world.person("a", Role.SCHOOL_ADMIN))
    with schema_context(school_a.schema_name):
        pupil = enrol()
    school_client(school_a, admin).get(f"/pupils/{pupil.pk}/edit/")
    assert _log(school_a) == [(AccessAction.VIEWED_RECORD, pupil.pk, admin.pk)]


def test_the_administrator_finds_a_pupil_to_change_by_upn(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=41)
    client = _admin_client(world, school_a)
    found = client.post("/pupils/manage/", {"upn": make_upn(41).lower()})
    assert found["Location"] == f"/pupils/{pupil.pk}/edit/"
    missing = client.post("/pupils/manage/", {"upn": make_upn(42)})
    assert "No pupil at this school has that UPN." in missing.text
    assert make_upn(42) not in " ".join(_urls_in(missing.text))
    # A UPN in a query string is not looked up: the page just offers the form.
    from_a_link = client.get("/pupils/manage/", {"upn": make_upn(41)})
    assert from_a_link.status_code == 200 and make_upn(41) not in from_a_link.text
    assert 'method="post"' in from_a_link.text and "csrfmiddlewaretoken" in from_a_link.text


def test_family_links_are_added_and_removed_from_the_pupils_page(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, sister = enrol(first="Xanthe"), enrol(first="Yolanda", serial=51)
    client = _admin_client(world, school_a)

    added = client.post(
        f"/pupils/{pupil.pk}/family/", {"relative_upn": make_upn(51), "relationship": "sibling"}
    )
    assert added["Location"] == f"/pupils/{pupil.pk}/edit/"
    with schema_context(school_a.schema_name):
        link = FamilyLink.objects.get()
    assert (link.pupil_id, link.relative_id) == (pupil.pk, sister.pk)
    page = client.get(f"/pupils/{sister.pk}/edit/").text
    assert "Xanthe" in page and "Sibling" in page

    unknown = client.post(
        f"/pupils/{pupil.pk}/family/",
        {"relative_upn": make_upn(52), "relationship": "sibling"},
        follow=True,
    )
    assert "No pupil at this school has that UPN." in unknown.text

    removed = client.post(
        f"/pupils/{sister.pk}/family/{pupil.pk}/remove/", {"back": "detail", "confirmed": "yes"}
    )
    assert removed["Location"] == f"/pupils/{sister.pk}/"
    with schema_context(school_a.schema_name):
        assert not FamilyLink.objects.exists()


def test_messages_never_name_a_pupil(world: World, school_a: School) -> None:
    # Messages live in the session, in the public schema, which holds no child data.
    client = _admin_client(world, school_a)
    response = client.post("/pupils/new/", _pupil_form(), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages and not any("Wilhelmina" in m or "Yarrowby" in m for m in messages)


# --- the CSV import -----------------------------------------------------------------------------


def _upload(client: Client, data: bytes, name: str = "pupils.csv") -> Any:
    return client.post(
        "/pupils/import/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    )


def _token(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "no confirm button"
    return match.group(1)


def test_an_import_is_uploaded_previewed_confirmed_and_reported(
    world: World, school_a: School
) -> None:
    client = _admin_client(world, school_a)
    assert client.get("/pupils/import/").status_code == 200

    preview = _upload(client, fixture_bytes("pupils_sims.csv"))
    assert preview.status_code == 200
    assert "no-store" in preview["Cache-Control"]
    assert "Check the import" in preview.text and "Quillfeather" in preview.text
    with schema_context(school_a.schema_name):
        assert not Pupil.objects.exists()  # nothing until confirmed

    confirmed = client.post("/pupils/import/confirm/", {"token": _token(preview.text)})
    assert confirmed["Location"] == "/pupils/import/"
    with schema_context(school_a.schema_name):
        assert Pupil.objects.count() == 5
    result = client.get("/pupils/import/").text
    assert "Import complete" in result and "5 pupils added" in result
    assert "1 marked as leaver" in result
    assert "Import complete" not in client.get("/pupils/import/").text  # shown once

    # The same file again: nothing to do, so nothing to confirm.
    again = _upload(client, fixture_bytes("pupils_sims.csv"))
    assert "already up to date" in again.text and 'name="token"' not in again.text


def test_a_preview_with_problems_shows_them_and_offers_no_confirmation(
    world: World, school_a: School
) -> None:
    client = _admin_client(world, school_a)
    preview = _upload(client, fixture_bytes("pupils_broken.csv"))
    assert preview.status_code == 200
    assert "cannot be imported yet" in preview.text
    assert "Year Group: “Year 14” is not a year group" in preview.text
    assert 'name="token"' not in preview.text
    with schema_context(school_a.schema_name):
        assert not Pupil.objects.exists()


def test_an_unusable_file_is_refused_on_the_upload_page(world: World, school_a: School) -> None:
    client = _admin_client(world, school_a)
    response = _upload(client, "UPN,Surname\nA,Zoë\n".encode("cp1252"))
    assert response.status_code == 200
    assert "not UTF-8" in response.text and "Check the import" not in response.text


def test_a_changed_or_foreign_confirmation_is_refused(
    world: World, school_a: School, school_b: School
) -> None:
    client = _admin_client(world, school_a)
    token = _token(_upload(client, fixture_bytes("pupils_sims.csv")).text)

    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = client.post("/pupils/import/confirm/", {"token": tampered}, follow=True)
    assert "expired or could not be read" in refused.text

    # Signed for school A and this user: school B's administrator cannot replay it there.
    client_b = _admin_client(world, school_b, "b")
    client_b.post("/pupils/import/confirm/", {"token": token})
    with schema_context(school_b.schema_name):
        assert not Pupil.objects.exists()
    with schema_context(school_a.schema_name):
        assert not Pupil.objects.exists()


def test_a_full_size_export_fits_the_confirmation(world: World, school_a: School) -> None:
    header = fixture_bytes("pupils_sims.csv").decode("utf-8-sig").splitlines()[0]
    rows = [
        f"{make_upn(n)},Zabriskie{n},Amadeus{n},Zed{n},Ama{n},14/03/2012,M,8,8Z,01/09/2019,,"
        f"N,N,N,N,N,Y,Y,N,{n} Long Example Road Somewhere"
        for n in range(1, MAX_ROWS + 1)
    ]
    client = _admin_client(world, school_a)
    preview = _upload(client, "\n".join([header, *rows]).encode())
    token = _token(preview.text)
    assert len(token) < 1_000_000
    client.post("/pupils/import/confirm/", {"token": token})
    with schema_context(school_a.schema_name):
        assert Pupil.objects.count() == MAX_ROWS


def test_the_school_administrator_finds_the_pupil_pages_from_the_home_page(
    world: World, db: None
) -> None:
    admin = with_two_factor(world.person("a", Role.SCHOOL_ADMIN))
    home = school_client(world.school_a, admin).get("/").content.decode()
    assert 'href="/pupils/manage/"' in home
    staff_home = school_client(world.school_a, world.person("a", Role.STAFF)).get("/")
    assert 'href="/pupils/manage/"' not in staff_home.content.decode()

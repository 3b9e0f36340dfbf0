"""Nothing about a child leaves by side channels: page titles, messages, PDF metadata
(docs/rules.md, "No side channels").

A page's <title> ends up in browser history, tab lists and synced devices; a Django message
travels in a cookie. Neither may carry a child's name; the visible page may.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import Pupil
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from tests.safeguarding.test_sharing import make_agency, make_request, person_of
from trustplatform.accounts.models import Role

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NAMES = ("Tamsin", "Quillfeather")


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match, "the page has no <title>"
    return match.group(1)


def _assert_no_name(text: str) -> None:
    for name in NAMES:
        assert name not in text


@pytest.fixture
def documents_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    return tmp_path / "documents"


@pytest.fixture
def pupil(school_a: School) -> Pupil:
    with schema_context(school_a.schema_name):
        return make_pupil(*NAMES)


@pytest.fixture
def dsl_client(world: World, school_a: School) -> Client:
    return school_client(school_a, world.person("a", Role.DSL))


def test_no_page_about_a_pupil_has_the_childs_name_in_its_title(
    world: World, school_a: School, pupil: Pupil, dsl_client: Client, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        disclosure = make_request(world, pupil, make_agency(person_of(world, Role.DSL)))
    paths = [
        f"/pupils/{pupil.pk}/",
        f"/pupils/{pupil.pk}/chronology/",
        f"/pupils/{pupil.pk}/documents/",
        f"/pupils/{pupil.pk}/documents/upload/",
        f"/pupils/{pupil.pk}/exports/",
        f"/pupils/{pupil.pk}/disclosures/",
        f"/pupils/{pupil.pk}/disclosures/new/",
        f"/disclosures/{disclosure.pk}/",
        f"/disclosures/{disclosure.pk}/decide/",
    ]
    for path in paths:
        response = dsl_client.get(path)
        assert response.status_code == 200, path
        assert "Quillfeather" in response.text, path  # the page itself still names the child
        _assert_no_name(_title(response.text))


def test_the_upload_message_does_not_repeat_the_file_name(
    school_a: School, pupil: Pupil, dsl_client: Client, documents_root: Path
) -> None:
    upload = SimpleUploadedFile(
        "Tamsin Quillfeather strategy meeting.pdf", PDF, content_type="application/pdf"
    )
    response = dsl_client.post(
        f"/pupils/{pupil.pk}/documents/upload/",
        {"file": upload, "overview": "Minutes of the strategy meeting"},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert shown == ["The document is stored on the record and in its chronology."]


def test_the_pdf_title_does_not_name_the_child(school_a: School, pupil: Pupil) -> None:
    with schema_context(school_a.schema_name):
        html = render_to_string(
            "safeguarding/exports/pdf.html", {"pupil": pupil, "rows": [], "stamp": None}
        )
    assert "Quillfeather" in html  # the document itself names the child
    _assert_no_name(_title(html))

"""Documents on a pupil's record: what is accepted, where it is kept, and who gets it back."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import itertools
import socket
import struct
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import (
    AccessLogEntry,
    Category,
    ChronologyEntry,
    Concern,
    Document,
    Pupil,
    Source,
)
from safeguarding.scanning import (
    CHUNK_BYTES,
    ScannerError,
    ScanResult,
    clamd_instream,
    scan_bytes,
)
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.chronology import Person
from safeguarding.services.documents import document_upload
from safeguarding.storage import PrivateDocumentStorage, document_storage
from tenants.db import OWNER_ALIAS, owner_connection
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role

# --- invented files ----------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(16)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48)
HTML = b"<!DOCTYPE html><html><body><script>steal(document.cookie)</script></body></html>"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MACROS = "application/vnd.ms-word.document.macroEnabled.main+xml"


def ooxml(main_part: str, content_type: str, *, extra: tuple[str, ...] = ()) -> bytes:
    """A minimal Office Open XML package: the manifest, and the main part it names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{content_type}"/></Types>',
        )
        package.writestr(main_part, "<document/>")
        for name in extra:
            package.writestr(name, b"\x00")
    return buffer.getvalue()


DOCX = ooxml("word/document.xml", WORD_MAIN)
XLSX = ooxml("xl/workbook.xml", EXCEL_MAIN)
DOCM = ooxml("word/document.xml", WORD_MACROS, extra=("word/vbaProject.bin",))


def ole2(*streams: str) -> bytes:
    """A minimal OLE2 compound file (512-byte sectors): one FAT sector, one directory sector."""
    end_of_chain, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 44, 1, 1, 0, 4096)  # 1 FAT sector; directory at sector 1
    struct.pack_into("<IIII", header, 60, end_of_chain, 0, end_of_chain, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end_of_chain, *([free] * 126))
    directory = bytearray(512)
    for index, (name, kind) in enumerate([("Root Entry", 5), *((s, 2) for s in streams)]):
        encoded = (name + "\0").encode("utf-16-le")
        directory[index * 128 : index * 128 + len(encoded)] = encoded
        struct.pack_into("<HB", directory, index * 128 + 64, len(encoded), kind)
    return bytes(header) + fat + bytes(directory)


DOC = ole2("WordDocument", "1Table")
XLS = ole2("Workbook")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- fixtures ----------------------------------------------------------------------------------

_upns = itertools.count(1)


def make_pupil(year_group: int = 5) -> Pupil:
    """An invented pupil in the current school's schema."""
    return Pupil.objects.create(
        upn=f"D{next(_upns):012d}",
        legal_first_name="Maisie",
        legal_last_name="Thornbury",
        date_of_birth=dt.date(2015, 6, 2),
        sex=Pupil.Sex.FEMALE,
        year_group=year_group,
    )


def person_of(world: World, place: str, role: Role) -> Person:
    user = world.person(place, role)
    return Person(user_id=user.pk, name=user.full_name, role=role.value)


@pytest.fixture
def documents_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """Documents stored under the test's own folder; no virus scanner unless a test sets one."""
    root = tmp_path / "documents"
    settings.SCHOOL_DOCUMENTS_ROOT = root
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    return root


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def nothing_written(school: School, root: Path) -> bool:
    with schema_context(school.schema_name):
        rows = Document.objects.count() + ChronologyEntry.objects.count()
    return rows == 0 and not files_under(root)


# --- what is accepted --------------------------------------------------------------------------


def test_a_good_pdf_is_stored_privately_with_its_sha256_and_a_chronology_entry(
    world: World, school_a: School, documents_root: Path
) -> None:
    dsl = person_of(world, "a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
        document = document_upload(
            pupil=pupil,
            uploaded_file=upload("strategy meeting minutes.pdf", PDF),
            overview="Minutes of the strategy meeting",
            author=dsl,
        )
        entry = ChronologyEntry.objects.get(document_id=document.pk)

    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (document.content_type, document.size) == ("application/pdf", len(PDF))
    assert document.original_name == "strategy meeting minutes.pdf"
    assert (document.uploaded_by_id, document.uploaded_by_role) == (dsl.user_id, "dsl")
    assert document.scanned is False  # no scanner configured in this test
    # Kept under <root>/<school's schema>/<random name>: never the uploader's file name.
    [stored] = files_under(documents_root)
    assert stored.read_bytes() == PDF
    assert stored.parent == documents_root / school_a.schema_name
    assert "strategy" not in stored.name
    assert stored.stat().st_mode & 0o077 == 0  # readable by the app's own account only

    assert entry.kind == ChronologyEntry.Kind.DOCUMENT
    assert entry.source == Source.UPLOAD
    assert entry.title == "Document uploaded: Minutes of the strategy meeting"
    assert (entry.author_id, entry.author_name) == (dsl.user_id, dsl.name)
    assert entry.occurred_at == document.uploaded_at
    assert entry.details == {
        "original_name": "strategy meeting minutes.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": document.sha256,
        "scanned": False,
    }


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("photo.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
        ("IMG_0042.HEIC", HEIC, "image/heic"),
        ("letter.docx", DOCX, DOCX_TYPE),
        ("register.xlsx", XLSX, XLSX_TYPE),
        ("old letter.doc", DOC, "application/msword"),
        ("old register.xls", XLS, "application/vnd.ms-excel"),
    ],
)
@pytest.mark.django_db
def test_each_accepted_kind_is_recognised_by_its_content(
    world: World, documents_root: Path, name: str, data: bytes, content_type: str
) -> None:
    with schema_context(world.school_a.schema_name):
        document = document_upload(
            pupil=make_pupil(),
            uploaded_file=upload(name, data),
            overview="An invented file",
            author=person_of(world, "a", Role.DSL),
        )
    assert document.content_type == content_type


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", EXE, "contents are a Windows program"),
        ("report.pdf", HTML, "contents are a web page or script"),
        ("report.pdf", PNG, "ends in .pdf but its contents are a PNG image"),
        ("report.docx", XLSX, "ends in .docx but its contents are an Excel workbook"),
        ("report.docx", DOCM, "contains macros"),
        ("report.doc", ole2("WordDocument", "Macros"), "contains macros"),
        ("report.docx", ole2("EncryptedPackage"), "protected by a password"),
        ("report.pdf", b"PK\x03\x04not really a zip", "damaged"),
        ("report", PDF, "has no extension but its contents are a PDF"),
        ("report.txt", b"Just some text", "not a kind of file the record recognises"),
    ],
)
@pytest.mark.django_db
def test_a_disguised_or_unaccepted_file_is_refused_and_nothing_is_written(
    world: World, documents_root: Path, name: str, data: bytes, message: str
) -> None:
    school_a = world.school_a
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as refused:
        document_upload(
            pupil=make_pupil(),
            uploaded_file=upload(name, data),
            overview="Looks harmless",
            author=person_of(world, "a", Role.DSL),
        )
    assert message in refused.value.message_dict["file"][0]
    assert nothing_written(school_a, documents_root)


def test_an_oversized_upload_is_refused_and_nothing_is_written(
    world: World, school_a: School, documents_root: Path, settings: SettingsWrapper
) -> None:
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    big_pdf = PDF + bytes(1024 * 1024)
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as refused:
        document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("scan.pdf", big_pdf),
            overview="A very large scan",
            author=person_of(world, "a", Role.DSL),
        )
    assert "the largest the record accepts is 1.0 MB" in refused.value.message_dict["file"][0]
    assert nothing_written(school_a, documents_root)


def test_an_upload_needs_a_brief_description(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as refused:
        document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("a.pdf", PDF),
            overview="   ",
            author=person_of(world, "a", Role.DSL),
        )
    assert "overview" in refused.value.message_dict
    assert nothing_written(school_a, documents_root)


def test_a_stored_document_can_never_be_changed_or_removed(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        document = document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("a.pdf", PDF),
            overview="Letter",
            author=person_of(world, "a", Role.DSL),
        )
        for attempt in (
            lambda: Document.objects.filter(pk=document.pk).update(sha256="0" * 64),
            lambda: Document.objects.filter(pk=document.pk).delete(),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                attempt()


def test_a_document_can_only_be_about_one_of_the_pupils_own_concerns(
    world: World, school_a: School, documents_root: Path
) -> None:
    dsl = person_of(world, "a", Role.DSL)
    with schema_context(school_a.schema_name):
        someone_elses = Concern.objects.create(
            occurred_at=timezone.now(),
            account="An invented account.",
            author_id=dsl.user_id,
            author_name=dsl.name,
            author_role=dsl.role,
        )
        someone_elses.pupils.add(make_pupil())
        with pytest.raises(ValidationError) as refused:
            document_upload(
                pupil=make_pupil(),
                uploaded_file=upload("a.pdf", PDF),
                overview="Letter",
                author=dsl,
                concern=someone_elses,
            )
    assert "concern" in refused.value.message_dict
    assert not files_under(documents_root)


# --- the upload page ---------------------------------------------------------------------------


def test_the_dsl_uploads_a_document_through_the_page(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/documents/upload/"
    assert 'enctype="multipart/form-data"' in client.get(url).text

    response = client.post(url, {"file": upload("letter.pdf", PDF), "overview": "Letter from GP"})

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        document = Document.objects.get(pupil=pupil)
    assert document.overview == "Letter from GP"
    listing = client.get(f"/pupils/{pupil.pk}/documents/")
    assert "Letter from GP" in listing.text
    assert f"/documents/{document.pk}/" in listing.text


def test_a_refused_upload_says_why_on_the_page_and_writes_nothing(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
    client = school_client(school_a, world.person("a", Role.DSL))

    response = client.post(
        f"/pupils/{pupil.pk}/documents/upload/",
        {"file": upload("invoice.pdf", HTML), "overview": "Invoice"},
    )

    assert response.status_code == 200
    assert "The document was not saved" in response.text
    assert "contents are a web page or script" in response.text
    assert nothing_written(school_a, documents_root)


def test_the_default_size_limit_is_ten_megabytes(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
    client = school_client(school_a, world.person("a", Role.DSL))

    response = client.post(
        f"/pupils/{pupil.pk}/documents/upload/",
        {"file": upload("scan.pdf", PDF + bytes(10 * 1024 * 1024)), "overview": "Scan"},
    )

    assert "the largest the record accepts is 10.0 MB" in response.text
    assert nothing_written(school_a, documents_root)


@pytest.mark.parametrize(
    ("place", "role"),
    [("a", Role.STAFF), ("a", Role.KEY_HOLDER), ("a", Role.GOVERNOR), ("b", Role.DSL)],
)
def test_others_cannot_open_the_upload_page(
    world: World, school_a: School, documents_root: Path, place: str, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
    client = school_client(school_a, world.person(place, role))
    url = f"/pupils/{pupil.pk}/documents/upload/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"file": upload("a.pdf", PDF), "overview": "x"}).status_code == 404
    assert nothing_written(school_a, documents_root)


def test_anonymous_is_sent_to_sign_in_for_upload_and_download(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
        document = document_upload(
            pupil=pupil,
            uploaded_file=upload("a.pdf", PDF),
            overview="Letter",
            author=person_of(world, "a", Role.DSL),
        )
    client = school_client(school_a)
    for url in (f"/pupils/{pupil.pk}/documents/upload/", f"/documents/{document.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


# --- getting a file back -----------------------------------------------------------------------


@pytest.fixture
def stored(world: World, school_a: School, documents_root: Path) -> Document:
    with schema_context(school_a.schema_name):
        return document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("Police letter (final).pdf", PDF),
            overview="Letter from the police",
            author=person_of(world, "a", Role.DSL),
        )


@pytest.mark.parametrize("role", [Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER])
def test_a_reader_of_the_pupil_downloads_it_as_an_attachment_and_the_access_is_logged(
    world: World, school_a: School, stored: Document, role: Role
) -> None:
    user = world.person("a", role)
    response = school_client(school_a, user).get(f"/documents/{stored.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    # A neutral name: the uploaded one may name the child, and downloads lists keep it.
    assert f'filename="document-{stored.pk}.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert {"private", "no-store"} <= {
        directive.strip() for directive in response["Cache-Control"].split(",")
    }
    with schema_context(school_a.schema_name):
        logged = AccessLogEntry.objects.get(object_type="document", object_id=str(stored.pk))
    assert (logged.user_id, logged.action, logged.pupil_id) == (
        user.pk,
        "exported",
        stored.pupil_id,
    )


@pytest.mark.parametrize(
    ("place", "role"),
    [
        ("a", Role.STAFF),
        ("a", Role.KEY_HOLDER),  # no grant covers this document
        ("a", Role.GOVERNOR),
        ("a", Role.SCHOOL_ADMIN),
        ("b", Role.DSL),
        ("c", Role.DSL),
    ],
)
def test_anyone_else_gets_the_same_404_as_for_a_missing_document(
    world: World, school_a: School, stored: Document, place: str, role: Role
) -> None:
    client = school_client(school_a, world.person(place, role))
    assert client.get(f"/documents/{stored.pk}/").status_code == 404
    with schema_context(school_a.schema_name):
        assert not AccessLogEntry.objects.filter(object_type="document").exists()


def test_a_row_pointing_outside_this_schools_folder_is_not_served(
    world: World, school_a: School, school_b: School, stored: Document
) -> None:
    # Defence in depth: even a row naming another school's file (which no service writes) is
    # refused rather than served.
    with schema_context(school_a.schema_name):
        stray = Document.objects.create(
            pupil=stored.pupil,
            file=f"{school_b.schema_name}/{'0' * 32}",
            original_name="stray.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            overview="Stray",
            uploaded_by_id=1,
            uploaded_by_name="Nobody",
            uploaded_by_role="dsl",
        )
    client = school_client(school_a, world.person("a", Role.DSL))
    assert client.get(f"/documents/{stray.pk}/").status_code == 404


def test_a_missing_document_is_a_404(world: World, school_a: School, stored: Document) -> None:
    client = school_client(school_a, world.person("a", Role.DSL))
    assert client.get(f"/documents/{stored.pk + 1000}/").status_code == 404


def test_the_dsl_must_have_passed_two_factor_to_download(
    world: World, school_a: School, stored: Document
) -> None:
    # Their password alone does not sign them in.
    client = school_client(school_a, world.person("a", Role.DSL), two_factor=False)
    response = client.get(f"/documents/{stored.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(databases=["default", OWNER_ALIAS])
def test_a_school_a_document_is_never_served_on_school_bs_site_even_with_the_same_id(
    world: World, school_a: School, school_b: School, stored: Document
) -> None:
    # School B's next document gets the very id of school A's one (ids are per schema). Setting a
    # sequence is the owner's (docs/security.md, "Database roles"); it is not transactional, so
    # the application's connection takes the next id from it at once.
    with owner_connection(), schema_context(school_b.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('safeguarding_document', 'id'), %s, false)",
            [stored.pk],
        )
    with schema_context(school_b.schema_name):
        other = document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("b.png", PNG),
            overview="School B's own photo",
            author=person_of(world, "b", Role.DSL),
        )
    assert other.pk == stored.pk

    on_b = school_client(school_b, world.person("b", Role.DSL)).get(f"/documents/{stored.pk}/")
    assert b"".join(on_b.streaming_content) == PNG  # type: ignore[attr-defined]
    # School A's DSL on school B's site is nobody there.
    a_dsl_on_b = school_client(school_b, world.person("a", Role.DSL))
    assert a_dsl_on_b.get(f"/documents/{stored.pk}/").status_code == 404


def test_a_key_holder_gets_documents_of_concerns_in_their_grant_only(
    world: World, school_a: School, documents_root: Path
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    dsl = person_of(world, "a", Role.DSL)
    with schema_context(school_a.schema_name):
        granted, other = Category.objects.filter(sensitivity="standard")[:2]
        pupil = make_pupil(year_group=5)
        key_holder_access_set(
            school=school_a,
            key_holder=key_holder,
            category_ids=[granted.pk],
            year_groups=[5],
            actor=world.person("a", Role.DSL),
        )
        documents = {}
        for label, category in (("granted", granted), ("other", other), ("none", None)):
            concern = None
            if category is not None:
                concern = Concern.objects.create(
                    occurred_at=timezone.now(),
                    account="An invented account.",
                    author_id=dsl.user_id,
                    author_name=dsl.name,
                    author_role=dsl.role,
                )
                concern.pupils.add(pupil)
                concern.categories.add(category)
            documents[label] = document_upload(
                pupil=pupil,
                uploaded_file=upload(f"{label}.pdf", PDF),
                overview=f"Document {label}",
                author=dsl,
                concern=concern,
            )
    client = school_client(school_a, key_holder)

    assert client.get(f"/documents/{documents['granted'].pk}/").status_code == 200
    assert client.get(f"/documents/{documents['other'].pk}/").status_code == 404
    assert client.get(f"/documents/{documents['none'].pk}/").status_code == 404
    listing = client.get(f"/pupils/{pupil.pk}/documents/").text
    assert "Document granted" in listing
    assert "Document other" not in listing and "Document none" not in listing


# --- no other way to the file ------------------------------------------------------------------


def test_a_document_has_no_url_but_the_permission_checked_view(
    world: World, school_a: School, stored: Document, documents_root: Path
) -> None:
    with pytest.raises(ValueError, match="no public URL"):
        stored.file.url  # noqa: B018 - the property itself must refuse
    with pytest.raises(ValueError, match="no public URL"):
        document_storage().url(stored.file.name)

    name = stored.file.name
    dsl = school_client(school_a, world.person("a", Role.DSL))
    for guess in (f"/{name}", f"/media/{name}", f"/static/{name}", f"/documents/{name}"):
        assert dsl.get(guess).status_code == 404, guess

    # The folder is outside everything a web server or Django serves.
    stored_path = Path(document_storage().path(name)).resolve()
    served = [Path(app.path, "static").resolve() for app in apps.get_app_configs()]
    served += [Path(folder).resolve() for folder in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        served.append(Path(settings.STATIC_ROOT).resolve())
    if settings.MEDIA_ROOT:
        served.append(Path(settings.MEDIA_ROOT).resolve())
    assert not any(stored_path.is_relative_to(folder) for folder in served)


def test_by_default_documents_live_outside_the_code_and_static_folders(
    settings: SettingsWrapper,
) -> None:
    del settings.SCHOOL_DOCUMENTS_ROOT
    root = Path(PrivateDocumentStorage().location)
    assert root == (Path(settings.BASE_DIR) / ".data" / "documents").resolve()
    assert not root.is_relative_to(Path(settings.BASE_DIR) / "trustplatform" / "static")


# --- virus scanning through clamd --------------------------------------------------------------


class FakeClamd:
    """A tiny clamd on a real local socket, answering INSTREAM the way clamd does."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.received: list[bytes] = []
        # Called while each stream is being scanned, before the verdict is sent back.
        self.during_scan: Callable[[], None] | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exactly(self, conn: socket.socket, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            with conn:
                command = self._read_exactly(conn, len(b"zINSTREAM\0"))
                assert command == b"zINSTREAM\0"
                stream = b""
                while length := struct.unpack("!I", self._read_exactly(conn, 4))[0]:
                    stream += self._read_exactly(conn, length)
                self.received.append(stream)
                if self.during_scan is not None:
                    self.during_scan()
                verdict = "Eicar-Test-Signature FOUND" if b"EICAR-STANDARD" in stream else "OK"
                conn.sendall(f"stream: {verdict}\0".encode())


@contextlib.contextmanager
def _serving(listener: socket.socket) -> Iterator[FakeClamd]:
    clamd = FakeClamd(listener)
    try:
        yield clamd
    finally:
        # Shut down before closing: a thread still blocked in accept() on a closed socket would
        # accept on whatever socket reuses its descriptor next, such as the HTTP test server's.
        listener.shutdown(socket.SHUT_RDWR)
        clamd.thread.join(timeout=5)
        listener.close()


@pytest.fixture
def clamd_socket(settings: SettingsWrapper) -> Iterator[tuple[str, FakeClamd]]:
    # A short folder: Unix socket paths are limited to about 100 bytes.
    folder = tempfile.mkdtemp(prefix="clamd-", dir="/tmp")
    path = f"{folder}/clamd.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    settings.CLAMD_SOCKET = path
    settings.CLAMD_HOST = ""
    with _serving(listener) as clamd:
        yield path, clamd
    Path(path).unlink(missing_ok=True)
    Path(folder).rmdir()


@pytest.fixture
def clamd_tcp(settings: SettingsWrapper) -> Iterator[tuple[tuple[str, int], FakeClamd]]:
    # Port 0: the system picks a free port for each test, so parallel runs never share one.
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()[:2]
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST, settings.CLAMD_PORT = host, port
    with _serving(listener) as clamd:
        yield (host, port), clamd


def test_the_scanner_reports_a_clean_stream_in_several_chunks(
    clamd_tcp: tuple[tuple[str, int], FakeClamd],
) -> None:
    address, clamd = clamd_tcp
    data = PDF + bytes(3 * CHUNK_BYTES + 7)
    assert clamd_instream(data, address=address, timeout=5) == ScanResult(scanned=True)
    assert clamd.received == [data]


def test_a_scanner_on_the_configured_tcp_port_scans_uploads(
    clamd_tcp: tuple[tuple[str, int], FakeClamd],
) -> None:
    _, clamd = clamd_tcp
    assert scan_bytes(PDF) == ScanResult(scanned=True)
    assert clamd.received == [PDF]


def test_the_scanner_reports_what_it_found(clamd_socket: tuple[str, FakeClamd]) -> None:
    path, _ = clamd_socket
    result = clamd_instream(EICAR, address=path, timeout=5)
    assert result.infected
    assert result.signature == "Eicar-Test-Signature"


def test_without_clamd_configured_nothing_is_scanned(settings: SettingsWrapper) -> None:
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    assert scan_bytes(PDF) == ScanResult(scanned=False)


def test_a_configured_scanner_that_does_not_answer_is_an_error(settings: SettingsWrapper) -> None:
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST, settings.CLAMD_PORT = "127.0.0.1", port
    with pytest.raises(ScannerError):
        scan_bytes(PDF)


def test_an_infected_upload_is_refused_and_nothing_is_written(
    world: World, school_a: School, documents_root: Path, clamd_socket: tuple[str, FakeClamd]
) -> None:
    # EICAR's test string inside an otherwise valid PDF.
    infected = PDF + EICAR
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as refused:
        document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("attachment.pdf", infected),
            overview="Attachment from an email",
            author=person_of(world, "a", Role.DSL),
        )
    assert "found Eicar-Test-Signature" in refused.value.message_dict["file"][0]
    assert nothing_written(school_a, documents_root)


def test_a_clean_upload_is_recorded_as_scanned(
    world: World, school_a: School, documents_root: Path, clamd_socket: tuple[str, FakeClamd]
) -> None:
    _, clamd = clamd_socket
    with schema_context(school_a.schema_name):
        document = document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("clean.pdf", PDF),
            overview="A clean letter",
            author=person_of(world, "a", Role.DSL),
        )
    assert document.scanned is True
    assert clamd.received == [PDF]


def test_an_upload_is_refused_when_the_configured_scanner_is_down(
    world: World, school_a: School, documents_root: Path, settings: SettingsWrapper
) -> None:
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as refused:
        document_upload(
            pupil=make_pupil(),
            uploaded_file=upload("a.pdf", PDF),
            overview="Letter",
            author=person_of(world, "a", Role.DSL),
        )
    assert "virus checker could not be reached" in refused.value.message_dict["file"][0]
    assert nothing_written(school_a, documents_root)

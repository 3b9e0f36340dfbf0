"""Uploading documents to a pupil's record, and reading them back with a permission check.

An upload is refused, with a message that says why, unless its content (not just its name) is
one of the kinds below, its name's extension agrees with that content, it is within the size
limit, and the virus scanner (when configured) finds nothing. A refused upload writes nothing:
no row, no chronology entry, no file.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, ParamSpec, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import FileField

from safeguarding.models import ChronologyEntry, Concern, Document, Pupil, Source
from safeguarding.scanning import ScannerError, scan_bytes
from safeguarding.services.chronology import (
    Person,
    chronology_append_many,
    chronology_entry_fields,
)

P = ParamSpec("P")
R = TypeVar("R")

# 10 MB: a scanned letter or a phone photo fits; a video does not belong on the record.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    """A kind of file the record accepts, as recognised from its content."""

    description: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("a PDF document", "application/pdf", (".pdf",))
JPEG = FileKind("a JPEG image", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileKind("a PNG image", "image/png", (".png",))
HEIC = FileKind("a HEIC photo", "image/heic", (".heic", ".heif"))
DOCX = FileKind(
    "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileKind(
    "an Excel workbook",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
DOC = FileKind("a Word 97-2003 document", "application/msword", (".doc",))
XLS = FileKind("an Excel 97-2003 workbook", "application/vnd.ms-excel", (".xls",))

ACCEPTED_EXTENSIONS = tuple(
    ext for kind in (PDF, JPEG, PNG, HEIC, DOCX, XLSX, DOC, XLS) for ext in kind.extensions
)
ACCEPTED_SUMMARY = "a PDF, a Word or Excel file, or a JPEG, PNG or HEIC photo"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
# ISO base media "ftyp" brands of HEIF/HEIC stills and sequences, as iPhones write them.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
# The content type of an Office Open XML package's main part, per kind.
_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_OOXML_MACRO_PARTS = frozenset(
    {
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    }
)
# [Content_Types].xml is a few kilobytes; a bigger one is not an Office file (or a zip bomb).
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b[^>]*>")
_ATTRIBUTE = r"""\b{}\s*=\s*(["'])(.*?)\1"""

WRONG_KIND = (
    "This file's contents are {what}, which the record does not accept. "
    f"Upload {ACCEPTED_SUMMARY}."
)
MACROS = (
    "This Office file contains macros, which can carry viruses, so it is not accepted. "
    "Save it again as an ordinary .docx or .xlsx (or as a PDF) and upload that."
)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


# Recognisable kinds the record refuses, by their first bytes: for a message that says what the
# file really is.
_REFUSED_SIGNATURES = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"#!", "a script"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (_ZIP_SIGNATURE, "a ZIP archive"),
)
_MARKUP_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml")


def _what_else(data: bytes) -> str:
    """A plain description of a refused file, so the message can say what it really is."""
    for signature, description in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            return description
    if data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_MARKUP_STARTS):
        return "a web page or script"
    return "not a kind of file the record recognises"


def _ooxml_kind(data: bytes) -> FileKind:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        if "[Content_Types].xml" not in names:
            raise _refuse(WRONG_KIND.format(what="a ZIP archive"))
        with package.open("[Content_Types].xml") as handle:
            content_types = handle.read(_MAX_CONTENT_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as error:
        # RuntimeError: an encrypted zip entry. OSError/EOFError: a truncated or corrupt package.
        raise _refuse("This Office file is damaged and cannot be read. Save it again.") from error
    if len(content_types) > _MAX_CONTENT_TYPES_BYTES:
        raise _refuse(WRONG_KIND.format(what="a ZIP archive"))
    if any(PurePath(name).name.lower() == "vbaproject.bin" for name in names):
        raise _refuse(MACROS)

    kind: FileKind | None = None
    for override in _OVERRIDE.findall(content_types):
        text = override.decode("utf-8", "replace")
        part = re.search(_ATTRIBUTE.format("PartName"), text)
        content_type = re.search(_ATTRIBUTE.format("ContentType"), text)
        if part is None or content_type is None:
            continue
        if content_type.group(2) in _OOXML_MACRO_PARTS:
            raise _refuse(MACROS)
        main = _OOXML_MAIN_PARTS.get(content_type.group(2))
        # The main part must really be in the package, not just named in the manifest.
        if main is not None and part.group(2).lstrip("/") in names:
            kind = main
    if kind is None:
        raise _refuse(
            WRONG_KIND.format(what="an Office file that is neither a Word document nor a workbook")
        )
    return kind


_CFB_END_OF_CHAIN = 0xFFFFFFFE
_CFB_MAX_REGULAR_SECTOR = 0xFFFFFFFA


def _cfb_entry_names(data: bytes) -> set[str]:
    """The names of the storages and streams in an OLE2 (Compound File Binary) file.

    Reads just the header, the allocation table and the directory ([MS-CFB] §2.2, §2.3, §2.6);
    raises ValueError or struct.error on anything malformed, and never loops on a cyclic chain.
    """
    sector_shift = struct.unpack_from("<H", data, 30)[0]
    if sector_shift not in (9, 12):  # 512-byte (version 3) or 4096-byte (version 4) sectors
        raise ValueError("bad sector size")
    sector_size = 1 << sector_shift
    per_sector = sector_size // 4
    fat_sector_count, first_directory_sector = struct.unpack_from("<II", data, 44)
    first_difat_sector, difat_sector_count = struct.unpack_from("<II", data, 68)
    difat = list(struct.unpack_from("<109I", data, 76))
    sector = first_difat_sector
    for _ in range(difat_sector_count):
        if sector >= _CFB_MAX_REGULAR_SECTOR:
            break
        entries = struct.unpack_from(f"<{per_sector}I", data, (sector + 1) * sector_size)
        difat.extend(entries[:-1])
        sector = entries[-1]
    fat: list[int] = []
    for fat_sector in difat[:fat_sector_count]:
        if fat_sector < _CFB_MAX_REGULAR_SECTOR:
            fat.extend(struct.unpack_from(f"<{per_sector}I", data, (fat_sector + 1) * sector_size))

    names: set[str] = set()
    seen: set[int] = set()
    sector = first_directory_sector
    while sector != _CFB_END_OF_CHAIN:
        if sector in seen or sector >= len(fat):
            raise ValueError("broken directory chain")
        seen.add(sector)
        offset = (sector + 1) * sector_size
        for index in range(sector_size // 128):
            entry = data[offset + index * 128 : offset + (index + 1) * 128]
            if len(entry) < 128:
                raise ValueError("truncated directory")
            name_bytes = struct.unpack_from("<H", entry, 64)[0]
            object_type = entry[66]  # 1 storage, 2 stream, 5 root
            if object_type in (1, 2, 5) and 2 <= name_bytes <= 64:
                names.add(entry[: name_bytes - 2].decode("utf-16-le", "replace"))
        sector = fat[sector]
    return names


def _ole2_kind(data: bytes) -> FileKind:
    try:
        names = _cfb_entry_names(data)
    except (ValueError, struct.error) as error:
        raise _refuse("This Office file is damaged and cannot be read. Save it again.") from error
    if "EncryptedPackage" in names:
        raise _refuse(
            "This file is protected by a password, so it cannot be checked. "
            "Remove the password (or save it as a PDF) and upload it again."
        )
    if names & {"Macros", "_VBA_PROJECT_CUR", "VBA"}:
        raise _refuse(MACROS)
    if "WordDocument" in names:
        return DOC
    if names & {"Workbook", "Book"}:
        return XLS
    raise _refuse(WRONG_KIND.format(what="an older Office file that is not Word or Excel"))


def document_kind_detect(data: bytes) -> FileKind:
    """The kind of file `data` is, from its content alone; ValidationError if not accepted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(_PNG_SIGNATURE):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return HEIC
    if data.startswith(_ZIP_SIGNATURE):
        return _ooxml_kind(data)
    if data.startswith(_OLE2_SIGNATURE):
        return _ole2_kind(data)
    raise _refuse(WRONG_KIND.format(what=_what_else(data)))


def document_kind_check(*, data: bytes, filename: str) -> FileKind:
    """The file's kind, refused unless its name's extension agrees with its content.

    A PNG named .pdf is refused too: whoever opens it later trusts the name, and a mismatch is
    also how disguised files (a web page or a program renamed .pdf) arrive.
    """
    kind = document_kind_detect(data)
    extension = PurePath(filename).suffix.lower()
    if extension not in kind.extensions:
        named = f"ends in {extension}" if extension else "has no extension"
        raise _refuse(
            f"The file's name {named} but its contents are {kind.description}. "
            f"Rename it to end in {kind.extensions[0]}, or choose the right file."
        )
    return kind


def _clean_name(name: str) -> str:
    """The uploader's file name as shown and offered back on download: no path, no controls."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if len(cleaned) > 255:
        stem, suffix = PurePath(cleaned).stem, PurePath(cleaned).suffix
        cleaned = stem[: 255 - len(suffix)] + suffix
    return cleaned or "document"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def document_max_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check and the virus scanner: ready to store, on any number of
    pupils' records, without being checked again."""

    original_name: str
    data: bytes
    kind: FileKind
    scanned: bool


def document_upload(
    *,
    pupil: Pupil,
    uploaded_file: UploadedFile,
    overview: str,
    author: Person,
    concern: Concern | None = None,
) -> Document:
    """Checks and stores a document on the pupil's record, with its chronology entry.

    Not one transaction from the start: the checks (and the virus scanner's network call) run
    before any transaction is opened, so a slow scanner holds no database lock.
    """
    overview = overview.strip()
    if not overview:
        raise ValidationError({"overview": "Say briefly what the document is."})
    if concern is not None and not concern.pupils.filter(pk=pupil.pk).exists():
        raise ValidationError({"concern": "Choose one of this pupil's concerns."})
    return document_store(
        pupil=pupil,
        checked=document_check(uploaded_file),
        overview=overview,
        author=author,
        concern=concern,
    )


def document_check(uploaded_file: UploadedFile) -> CheckedFile:
    """The upload's size, kind and virus scan checked; ValidationError (on "file") if refused.

    Call it before any transaction opens: clamd may take up to CLAMD_TIMEOUT seconds a file, and
    a transaction open meanwhile would hold its locks (the school's chronology lock) as long.
    """
    original_name = _clean_name(uploaded_file.name or "")

    max_bytes = document_max_bytes()
    size = uploaded_file.size or 0
    if size > max_bytes:
        raise _refuse(
            f"The file is {_megabytes(size)}; the largest the record accepts is "
            f"{_megabytes(max_bytes)}. Make it smaller (for a scan, a lower resolution) and "
            "upload it again."
        )
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:  # the declared size was wrong: trust what arrived
        raise _refuse(f"The file is larger than {_megabytes(max_bytes)}, the most accepted.")
    if not data:
        raise _refuse("The file is empty. Choose the file again.")

    kind = document_kind_check(data=data, filename=original_name)
    try:
        scan = scan_bytes(data)
    except ScannerError as error:
        raise _refuse(
            "The virus checker could not be reached, so the file was not saved. "
            "Try again in a few minutes; if it keeps happening, tell the school's IT support."
        ) from error
    if scan.infected:
        raise _refuse(
            f"The virus checker found {scan.signature} in this file, so it was not saved. "
            "Do not open the file; tell the school's IT support."
        )
    return CheckedFile(original_name=original_name, data=data, kind=kind, scanned=scan.scanned)


def attachments_checked_first(service: Callable[P, R]) -> Callable[P, R]:
    """Wraps a service that takes `attachments`: each file is checked and virus-scanned once,
    before the service's transaction opens, and the service receives CheckedFile objects.

    A refused file refuses the whole call, on the "attachments" field, naming the file.
    """

    @functools.wraps(service)
    def checked_first(*args: P.args, **kwargs: P.kwargs) -> R:
        uploads = cast("Sequence[UploadedFile | CheckedFile]", kwargs.get("attachments", ()))
        checked: list[CheckedFile] = []
        for upload in uploads:
            if isinstance(upload, CheckedFile):
                checked.append(upload)
                continue
            try:
                checked.append(document_check(upload))
            except ValidationError as error:
                raise ValidationError(
                    {"attachments": [f"{upload.name}: {m}" for m in error.messages]}
                ) from None
        kwargs["attachments"] = checked
        return service(*args, **kwargs)

    return checked_first


def document_file_put(checked: CheckedFile) -> str:
    """Writes a checked file to the documents' storage under a new name, and returns the name.

    For a caller that stores the file before it takes the school's chronology lock (a concern's
    attachments): the storage's round trips then hold no lock. The caller passes the name to
    `document_store` and removes the file (`document_file_remove`) if its transaction fails.
    """
    field = cast(FileField, Document._meta.get_field("file"))
    return field.storage.save(field.generate_filename(None, "upload"), ContentFile(checked.data))


def document_file_remove(stored_name: str) -> None:
    field = cast(FileField, Document._meta.get_field("file"))
    field.storage.delete(stored_name)


def _document_row(
    *, pupil: Pupil, checked: CheckedFile, overview: str, author: Person, concern: Concern | None
) -> Document:
    return Document(
        pupil=pupil,
        concern=concern,
        original_name=checked.original_name,
        content_type=checked.kind.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        overview=overview,
        scanned=checked.scanned,
        uploaded_by_id=author.user_id,
        uploaded_by_name=author.name,
        uploaded_by_role=author.role,
    )


def _document_entry(
    document: Document,
    *,
    author: Person,
    category_ids: Sequence[int],
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
) -> dict[str, Any]:
    """The fields of a saved document's chronology entry."""
    return chronology_entry_fields(
        pupil=document.pupil,
        kind=ChronologyEntry.Kind.DOCUMENT,
        author=author,
        title=f"Document uploaded: {document.overview}",
        occurred_at=occurred_at or document.uploaded_at,
        backdate_reason=backdate_reason,
        source=Source.UPLOAD,
        details={
            "original_name": document.original_name,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
            "scanned": document.scanned,
        },
        category_ids=category_ids,
        concern=document.concern,
        document_id=document.pk,
    )


def documents_of_concern_store(
    *,
    concern: Concern,
    author: Person,
    stored: Sequence[tuple[Pupil, CheckedFile, str]],
    overview: str,
    category_ids: Sequence[int],
) -> list[dict[str, Any]]:
    """A new concern's attachments on each child's record, their files already in the storage
    (`document_file_put`, under the names given): one INSERT, inside the caller's transaction.
    Returns their chronology entries' fields, for the caller to append with the concern's own
    (`chronology_append_many`)."""
    documents = []
    for pupil, checked, name in stored:
        document = _document_row(
            pupil=pupil, checked=checked, overview=overview, author=author, concern=concern
        )
        document.file.name = name
        documents.append(document)
    Document.objects.bulk_create(documents)
    return [_document_entry(d, author=author, category_ids=category_ids) for d in documents]


def document_store(
    *,
    pupil: Pupil,
    checked: CheckedFile,
    overview: str,
    author: Person,
    concern: Concern | None = None,
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
    category_ids: Sequence[int] | None = None,
    stored_name: str = "",
) -> Document:
    """Stores a checked file on the pupil's record with its chronology entry, in one short
    transaction (or inside the caller's). The entry is placed at `occurred_at` when the document
    belongs to an event (a meeting's notes), else when it was uploaded.

    `stored_name`: the file is in the storage already (`document_file_put`), and the caller removes
    it if the transaction fails. `category_ids`: the concern's, when the caller has them.
    """
    document = _document_row(
        pupil=pupil, checked=checked, overview=overview, author=author, concern=concern
    )
    if category_ids is None:
        category_ids = list(concern.categories.values_list("pk", flat=True)) if concern else []
    put_here = ""
    try:
        # No savepoint of its own: a failure here fails the caller's transaction anyway.
        with transaction.atomic(savepoint=False):
            if stored_name:
                document.file.name = stored_name
            else:
                # The file first, so the row never points at nothing; removed below if the
                # transaction fails. (An enclosing transaction rolled back later would leave the
                # file unreferenced, never a row without its file.)
                put_here = document_file_put(checked)
                document.file.name = put_here
            document.save()
            chronology_append_many(
                [
                    _document_entry(
                        document,
                        author=author,
                        category_ids=category_ids,
                        occurred_at=occurred_at,
                        backdate_reason=backdate_reason,
                    )
                ]
            )
    except BaseException:
        if put_here:
            document_file_remove(put_here)
        raise
    return document

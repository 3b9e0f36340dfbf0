"""Where documents' files are kept: private storage, one folder (or key prefix) per school.

Files are never public: the storage has no URL, and a file is served only by the
permission-checked download view (safeguarding/views/documents.py). Everything goes through
Django's storage API: production keeps them in a private S3 bucket, through the "documents"
entry that settings.py adds to `settings.STORAGES` when S3_BUCKET is set (trustplatform/storage.py).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible
from django_tenants.utils import get_public_schema_name

from tenants.db import school_connection

# The alias in settings.STORAGES that, when present, holds documents instead of the local folder.
DOCUMENTS_STORAGE_ALIAS = "documents"


def documents_root() -> Path:
    """The folder that holds every school's documents: outside MEDIA_ROOT and static files."""
    default = Path(settings.BASE_DIR) / ".data" / "documents"
    return Path(getattr(settings, "SCHOOL_DOCUMENTS_ROOT", default))


@deconstructible
class PrivateDocumentStorage(FileSystemStorage):
    """A folder on the server's disk that has no URL at all.

    The folder is read from the settings at each use rather than fixed at import, so a test (or
    a management command) that points SCHOOL_DOCUMENTS_ROOT elsewhere is obeyed.
    """

    def __init__(self) -> None:
        # Owner-only permissions: no other account on the server reads children's documents.
        super().__init__(
            base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
        )

    @property
    def base_location(self) -> str:
        return str(documents_root())

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        # Refused rather than falling back to MEDIA_URL: a document must never have an address
        # that skips the permission check and the access log.
        raise ValueError("Documents have no public URL; serve them through the download view.")


def document_storage() -> Storage:
    """The storage of Document.file: settings.STORAGES["documents"] if set, else a private folder.

    A callable, so that migrations record this function rather than one storage's settings.
    """
    if DOCUMENTS_STORAGE_ALIAS in settings.STORAGES:
        return storages[DOCUMENTS_STORAGE_ALIAS]
    return PrivateDocumentStorage()


def document_upload_to(instance: object, filename: str) -> str:
    """`<schema_name>/<random hex>`: the uploader's file name is never part of the path.

    The school's schema first, so each school's files sit under their own prefix (restorable,
    removable and, on S3, grantable per school); the name a person gave the file is kept in the
    database only, so it can never steer where the file is written.
    """
    schema = school_connection.schema_name
    if schema == get_public_schema_name():
        # The public schema holds no child data: an upload from there is a bug
        # (docs/rules.md, "Child data stays in its school").
        raise RuntimeError("Documents are stored from inside a school's schema only.")
    return f"{schema}/{uuid.uuid4().hex}"

"""Private storage of approved policy PDFs: never under a public URL, served by the register.

In production, the "policies" entry of settings.STORAGES: a private S3 bucket (settings.py,
"document storage on S3"); otherwise a folder on the server's disk.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

# The alias in settings.STORAGES that, when present, holds policy files instead of the folder.
POLICIES_STORAGE_ALIAS = "policies"


def policy_document_storage() -> Storage:
    # A callable, so that migrations record this function rather than one storage's settings.
    if POLICIES_STORAGE_ALIAS in settings.STORAGES:
        return storages[POLICIES_STORAGE_ALIAS]
    # POLICY_DOCUMENTS_ROOT may be set in settings; otherwise beside the school documents.
    root = getattr(
        settings, "POLICY_DOCUMENTS_ROOT", Path(settings.BASE_DIR) / ".data" / "policies"
    )
    # base_url=None: the storage has no URL; downloads go through a permission-checked view.
    return FileSystemStorage(location=str(root), base_url=None)

"""Private storage of approved policy PDFs: never under a public URL, served by the register."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def policy_document_storage() -> FileSystemStorage:
    # POLICY_DOCUMENTS_ROOT may be set in settings; otherwise beside the school documents.
    root = getattr(
        settings, "POLICY_DOCUMENTS_ROOT", Path(settings.BASE_DIR) / ".data" / "policies"
    )
    # base_url=None: the storage has no URL; downloads go through a permission-checked view.
    return FileSystemStorage(location=str(root), base_url=None)

"""Private S3 storage for documents and policy files: objects without a public ACL and no URL;
and write-once storage for the exported chain heads.

Every file is streamed by the app's own download views, after their permission checks and the
access log; a signed URL would be a second way in that skips both, so none is ever made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateS3Storage(S3Storage):
    """django-storages' S3Storage, with the private ACL and without URLs."""

    def __init__(self, **settings: Any) -> None:
        # Whatever the options say, objects are never written readable by anyone else.
        super().__init__(**(settings | {"default_acl": "private", "querystring_auth": True}))

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise ValueError("Stored files have no URL; serve them through their download view.")

    def _save(self, name: str, content: File[Any]) -> str:
        """A file below the multipart threshold (every document: DOCUMENT_MAX_BYTES is 10 MB) in
        one PUT, with the same parameters, as boto3's transfer would send it, without the
        transfer's machinery (a resource object, a transfer manager and its futures for each
        file), which costs the request's thread more CPU than the PUT itself."""
        size = content.size
        if self.gzip or size is None or size >= self.transfer_config.multipart_threshold:
            return str(super()._save(name, content))
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        params = self._get_write_parameters(key, content)
        content.seek(0)
        self.connection.meta.client.put_object(
            Bucket=self.bucket_name, Key=key, Body=content.read(), **params
        )
        return str(cleaned)


class WriteOnceS3Storage(PrivateS3Storage):
    """A bucket with S3 Object Lock: each object is kept, unchangeable and undeletable, for
    `retention_days` after it is written, in COMPLIANCE mode, which nobody can shorten, not even
    the account's root user. For the chain heads (docs/security.md, "Chain heads"); the bucket
    must be created with Object Lock turned on."""

    def __init__(self, *, retention_days: int, **settings: Any) -> None:
        self.retention_days = retention_days
        super().__init__(**(settings | {"file_overwrite": False}))

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        parameters: dict[str, Any] = super().get_object_parameters(name)
        parameters["ObjectLockMode"] = "COMPLIANCE"
        parameters["ObjectLockRetainUntilDate"] = timezone.now() + dt.timedelta(
            days=self.retention_days
        )
        return parameters

    def delete(self, name: str) -> None:
        raise PermissionError("Write-once storage: its files are never removed.")


class WriteOnceFileSystemStorage(FileSystemStorage):
    """A folder whose files are created once, read-only, and never replaced or removed: the
    write-once storage of development and tests, in place of Object Lock."""

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        if self.exists(name):
            raise FileExistsError(f"{name} exists, and a write-once file is never replaced.")
        return name

    def _save(self, name: str, content: File[Any]) -> str:
        saved = super()._save(name, content)  # type: ignore[misc]
        Path(self.path(saved)).chmod(0o444)
        return saved

    def delete(self, name: str) -> None:
        raise PermissionError("Write-once storage: its files are never removed.")

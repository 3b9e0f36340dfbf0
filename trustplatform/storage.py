"""Private S3 storage for documents and policy files: objects without a public ACL and no URL.

Every file is streamed by the app's own download views, after their permission checks and the
access log; a signed URL would be a second way in that skips both, so none is ever made.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import File
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

"""Private S3 storage for documents and policy files: objects without a public ACL and no URL.

Every file is streamed by the app's own download views, after their permission checks and the
access log; a signed URL would be a second way in that skips both, so none is ever made.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """django-storages' S3Storage, with the private ACL and without URLs."""

    def __init__(self, **settings: Any) -> None:
        # Whatever the options say, objects are never written readable by anyone else.
        super().__init__(**(settings | {"default_acl": "private", "querystring_auth": True}))

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise ValueError("Stored files have no URL; serve them through their download view.")

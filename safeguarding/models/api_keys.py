"""The school's API keys, for its MIS and other integrations (docs/api.md)."""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from trustplatform.permissions import ApiScope


class ApiKey(models.Model):
    """One key: shown once when made, then kept only as a SHA-256 of its secret.

    The key acts as its holder (the member of staff who made it) and never with more than the
    holder may do here now, narrowed further by its scopes. The holder is kept by id with a
    snapshot of name and role, like every person in a school's records.
    """

    # The public part of the key ("sgk_<prefix>_<secret>"): finds the row; not a secret.
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    scopes = ArrayField(models.CharField(max_length=20, choices=ApiScope.choices))
    holder_id = models.BigIntegerField()
    holder_name = models.CharField(max_length=200)
    holder_role = models.CharField(max_length=30)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_id = models.BigIntegerField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"api key {self.pk} ({self.prefix})"

    def usable(self, now: dt.datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)

"""Making, revoking and checking the school's API keys (docs/api.md, "Keys and scopes").

A key is "sgk_<prefix>_<secret>": the prefix finds the row, the secret (256 random bits) is
kept only as its SHA-256 and compared in constant time. A fast hash is enough for a secret
nobody chose: there is no dictionary to guess from. The key is shown once, when made. Every
use is audited with the key's id, never its secret. Runs inside the school's schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from safeguarding.models import ApiKey
from tenants.models import School
from trustplatform.accounts.models import Role, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.permissions import KEY_CREATORS, ApiScope

KEY_PREFIX = "sgk_"


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    # The whole key, to show once: it is not kept anywhere.
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scopes_allowed(role: Role | None) -> frozenset[ApiScope]:
    """The scopes a person of `role` may give a key they make (none: they make no keys)."""
    return KEY_CREATORS.get(role, frozenset()) if role is not None else frozenset()


@transaction.atomic
def api_key_create(
    *,
    school: School,
    actor: User,
    role: Role | None,
    name: str,
    scopes: Iterable[str],
    expires_at: dt.datetime | None = None,
) -> NewKey:
    """Makes a key acting as `actor`, with `scopes` no wider than their role may give."""
    chosen = {ApiScope(scope) for scope in scopes}
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Name the key after the system that will use it."]
    if not chosen:
        errors["scopes"] = ["Choose at least one scope."]
    elif not chosen <= scopes_allowed(role):
        errors["scopes"] = ["Your role may not make a key with these scopes."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        prefix=prefix,
        secret_sha256=_digest(secret),
        name=name,
        scopes=sorted(chosen),
        holder_id=actor.pk,
        holder_name=actor.full_name,
        holder_role=str(role or ""),
        expires_at=expires_at,
    )
    audit_record(
        action=AuditAction.API_KEY_CREATED,
        actor=actor,
        school=school,
        target_type="api_key",
        target_id=key.pk,
        data={"scopes": key.scopes},
    )
    return NewKey(key=key, token=f"{KEY_PREFIX}{prefix}_{secret}")


def api_keys_of(role: Role | None) -> list[ApiKey]:
    """The keys a person of `role` manages: every key of scopes their role may give."""
    allowed = scopes_allowed(role)
    if not allowed:
        return []
    return [key for key in ApiKey.objects.all() if set(key.scopes) <= allowed]


@transaction.atomic
def api_key_revoke(*, school: School, actor: User, role: Role | None, key_id: int) -> ApiKey:
    """Revokes a key at once; the same 'not found' for a key this role does not manage."""
    key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
    if key is None or not set(key.scopes) <= scopes_allowed(role):
        raise ValidationError("No such key.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.revoked_by_id = actor.pk
        key.save(update_fields=["revoked_at", "revoked_by_id"])
        audit_record(
            action=AuditAction.API_KEY_REVOKED,
            actor=actor,
            school=school,
            target_type="api_key",
            target_id=key.pk,
        )
    return key


def api_key_find(token: str) -> ApiKey | None:
    """The usable key this token is, or None (unknown, wrong secret, revoked or expired)."""
    if not token.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = token.removeprefix(KEY_PREFIX).partition("_")
    if not prefix or not secret or len(token) > 200:
        return None
    key = ApiKey.objects.filter(prefix=prefix).first()
    # Compared in constant time even when no key has this prefix, so timing tells nothing.
    expected = key.secret_sha256 if key is not None else _digest("")
    if not hmac.compare_digest(expected, _digest(secret)) or key is None:
        return None
    return key if key.usable() else None


def api_key_used(*, key: ApiKey, school: School, holder: User, request: HttpRequest) -> None:
    """Audits one use of the key: its id, the method and the path (ids only, never a query)."""
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    audit_record(
        action=AuditAction.API_KEY_USED,
        actor=holder,
        school=school,
        target_type="api_key",
        target_id=key.pk,
        data={"method": request.method or "", "path": request.path[:200]},
        request=request,
    )

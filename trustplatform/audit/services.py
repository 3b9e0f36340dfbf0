"""Writes to the platform audit log, in the same transaction as the change they record."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping

from axes.helpers import get_client_ip_address
from django.db import transaction
from django.http import HttpRequest

from tenants.models import School, Trust
from trustplatform.accounts.models import User
from trustplatform.audit.models import (
    ANONYMOUS_SCOPE,
    PLATFORM_SCOPE,
    AuditAction,
    AuditEvent,
    trust_scope,
)
from trustplatform.hashchain import chain_append

# Keys that would name a person or carry what was said. The audit log lives in the public schema,
# which never holds a child's details or concern text; it refers to people by id
# (docs/rules.md, "Child data stays in its school").
_FORBIDDEN_DATA_KEYS = frozenset(
    {
        "name",
        "full_name",
        "first_name",
        "last_name",
        "surname",
        "forename",
        "email",
        "password",
        "date_of_birth",
        "dob",
        "upn",
        "text",
        "description",
        "concern",
        "notes",
        "body",
    }
)


def email_sha256(email: str) -> str:
    """The digest under which an attempted login email is recorded: correlates, does not name."""
    return hashlib.sha256(email.lower().encode()).hexdigest()


def _check_data(value: object, path: str = "data") -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} keys must be strings, not {key!r}.")
            if key.lower() in _FORBIDDEN_DATA_KEYS:
                raise ValueError(
                    f"{path}[{key!r}] refused: the audit log holds ids, never names or text."
                )
            _check_data(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_data(item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, str | int | bool)):
        # Floats included: their text is not stable through jsonb, which the hash relies on.
        raise TypeError(f"{path} holds a {type(value).__name__}; use ids, strings or integers.")


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, resolved as django-axes resolves it (X-Forwarded-For behind the
    load balancer in production), so lockouts and the audit log name the same address."""
    if request is None:
        return None
    address = get_client_ip_address(request) or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_scope(*, actor: User | None, trust_id: int | None, request: HttpRequest | None) -> str:
    """The chain an event joins (docs/security.md, "Audit chains").

    An anonymous visitor's request (a failed sign-in, a lockout, a reset request) joins the
    anonymous chain even on a school's site: a flood of them must not slow the trust's writers.
    """
    if actor is None and request is not None:
        return ANONYMOUS_SCOPE
    if trust_id is not None:
        return trust_scope(trust_id)
    return PLATFORM_SCOPE


@transaction.atomic
def audit_record(
    *,
    action: AuditAction,
    actor: User | None = None,
    school: School | None = None,
    trust: Trust | None = None,
    target_type: str = "",
    target_id: object = "",
    data: dict[str, object] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Appends an event to the platform audit log, from any schema, inside the caller's txn."""
    data = data or {}
    _check_data(data)
    trust_id = trust.pk if trust is not None else (school.trust_id if school is not None else None)
    # The chain lives in the public schema; chain_append locks, reads and writes it there even
    # when called from a school's site.
    return chain_append(
        AuditEvent,
        scope=audit_scope(actor=actor, trust_id=trust_id, request=request),
        action=AuditAction(action),
        actor_id=actor.pk if actor is not None else None,
        school_id=school.pk if school is not None else None,
        trust_id=trust_id,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        data=data,
        ip_address=client_ip(request),
    )

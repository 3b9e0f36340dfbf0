"""Writes to a school's records. Runs inside the school's schema: never filters by school."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from safeguarding.models import AccessAction, AccessLogEntry
from tenants.db import school_connection
from trustplatform.audit.services import client_ip
from trustplatform.hashchain import chain_append


@transaction.atomic
def access_log_record(
    *,
    actor_id: int,
    actor_name: str,
    actor_role: str,
    action: AccessAction,
    object_type: str,
    object_id: object,
    pupil_id: int | None = None,
    request: HttpRequest | None = None,
) -> AccessLogEntry:
    """Appends to the current school's access log: a view, opened search hit, export or print."""
    if school_connection.schema_name == get_public_schema_name():
        # The public schema has no access log; a call from there is a bug, not a no-op.
        raise RuntimeError("access_log_record must run inside a school's schema.")
    return chain_append(
        AccessLogEntry,
        user_id=actor_id,
        user_name=actor_name,
        user_role=actor_role,
        action=AccessAction(action),
        object_type=object_type,
        object_id=str(object_id),
        pupil_id=pupil_id,
        ip_address=client_ip(request),
    )

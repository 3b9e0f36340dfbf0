"""Authorisation-matrix rows for retention: the review queue, legal holds, destruction and its
certificates (docs/rules.md, "Retention")."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Destruction
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.authz_concerns import concern_kwargs
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role

# Capability.MANAGE_RETENTION; within it, the services decide who holds, proposes and approves.
RETENTION_MANAGERS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")
# An allegation record: only those of them who handle allegations (KCSIE Part 4).
ALLEGATION_HANDLERS = actors("a:dsl", "a:headteacher")
_allegation = concern_kwargs(allegation=True)


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": make_pupil("Ottoline", "Brackenbury").pk}


def _destruction(world: World, status: Destruction.Status) -> Destruction:
    deputy = world.person("a", Role.DEPUTY_DSL)
    return Destruction.objects.create(
        pupil_id=make_pupil("Ottoline", "Brackenbury").pk,
        status=status,
        reason="Retention ended",
        proposed_by_id=deputy.pk,
        proposed_by_name=deputy.full_name,
        proposed_by_role=str(Role.DEPUTY_DSL),
        destroyed_at=timezone.now() if status == Destruction.Status.DESTROYED else None,
    )


def withdrawn_kwargs(world: World) -> Mapping[str, object]:
    # Withdrawn: the allowed are told so on the record's page; nothing is destroyed.
    with schema_context(world.school_a.schema_name):
        return {"destruction_id": _destruction(world, Destruction.Status.WITHDRAWN).pk}


def certificate_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"destruction_id": _destruction(world, Destruction.Status.DESTROYED).pk}


# No reason given: the allowed get the page back with the refusal (a redirect), nothing done.
_EMPTY = {"reason": ""}

SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:retention": Row(allowed=RETENTION_MANAGERS),
    "safeguarding:pupil_retention": Row(allowed=RETENTION_MANAGERS, kwargs=pupil_kwargs),
    "safeguarding:legal_hold_place": Row(
        allowed=RETENTION_MANAGERS, method="POST", data=_EMPTY, kwargs=pupil_kwargs
    ),
    "safeguarding:legal_hold_lift": Row(
        allowed=RETENTION_MANAGERS, method="POST", data=_EMPTY, kwargs=pupil_kwargs
    ),
    "safeguarding:retention_keep": Row(
        allowed=RETENTION_MANAGERS, method="POST", data=_EMPTY, kwargs=pupil_kwargs
    ),
    "safeguarding:destruction_propose": Row(
        allowed=RETENTION_MANAGERS, method="POST", data=_EMPTY, kwargs=pupil_kwargs
    ),
    "safeguarding:destruction_approve": Row(
        allowed=RETENTION_MANAGERS, method="POST", kwargs=withdrawn_kwargs
    ),
    "safeguarding:destruction_certificate": Row(
        allowed=RETENTION_MANAGERS, kwargs=certificate_kwargs
    ),
    "safeguarding:allegation_retention": Row(allowed=ALLEGATION_HANDLERS, kwargs=_allegation),
    "safeguarding:allegation_legal_hold_place": Row(
        allowed=ALLEGATION_HANDLERS, method="POST", data=_EMPTY, kwargs=_allegation
    ),
    "safeguarding:allegation_legal_hold_lift": Row(
        allowed=ALLEGATION_HANDLERS, method="POST", data=_EMPTY, kwargs=_allegation
    ),
    "safeguarding:allegation_retention_keep": Row(
        allowed=ALLEGATION_HANDLERS, method="POST", data=_EMPTY, kwargs=_allegation
    ),
    "safeguarding:allegation_destruction_propose": Row(
        allowed=ALLEGATION_HANDLERS, method="POST", data=_EMPTY, kwargs=_allegation
    ),
}

__all__ = ["SCHOOL_ROWS"]

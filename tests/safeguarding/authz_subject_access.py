"""Authorisation-matrix rows for subject access requests: the DSL and deputies only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import SubjectAccessRequest
from safeguarding.storage import document_storage
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role

# Capability.MANAGE_SUBJECT_ACCESS. Staff, key holders, the headteacher, governors, the school
# administrator, another school's DSL and anonymous are refused every page and the download.
ANSWERERS = actors("a:deputy_dsl", "a:dsl")


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": make_pupil("Wrenna", "Castellane").pk}


def _sar(world: World, *, released: bool) -> SubjectAccessRequest:
    dsl = world.person("a", Role.DSL)
    today = timezone.localdate()
    sar = SubjectAccessRequest(
        pupil=make_pupil("Wrenna", "Castellane"),
        requester_kind=SubjectAccessRequest.Requester.PARENT,
        requester="A parent",
        received_on=today,
        due_on=today + dt.timedelta(days=30),
        opened_by_id=dsl.pk,
        opened_by_name=dsl.full_name,
        opened_by_role=str(Role.DSL),
    )
    if released:
        # A small stand-in file, as for the exports' rows: the matrix checks who, not what.
        storage = document_storage()
        name = f"{world.school_a.schema_name}/subject-access/authz-matrix.pdf"
        if not storage.exists(name):
            storage.save(name, ContentFile(b"%PDF-1.4\n%%EOF\n"))
        sar.file.name = name
        sar.status = SubjectAccessRequest.Status.RELEASED
        sar.released_at = timezone.now()
    sar.save()
    return sar


def sar_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"sar_id": _sar(world, released=False).pk}


def released_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"sar_id": _sar(world, released=True).pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:pupil_sars": Row(allowed=ANSWERERS, kwargs=pupil_kwargs),
    "safeguarding:sar_create": Row(
        allowed=ANSWERERS,
        method="POST",
        data={"requester_kind": "parent", "requester": "A parent", "received_on": "2026-01-05"},
        kwargs=pupil_kwargs,
    ),
    "safeguarding:sar_detail": Row(allowed=ANSWERERS, kwargs=sar_kwargs),
    "safeguarding:sar_entries": Row(allowed=ANSWERERS, method="POST", kwargs=sar_kwargs),
    "safeguarding:sar_redactions": Row(allowed=ANSWERERS, method="POST", kwargs=sar_kwargs),
    # Without whom it is sent to: the allowed are sent back to the request, nothing released.
    "safeguarding:sar_release": Row(allowed=ANSWERERS, method="POST", kwargs=sar_kwargs),
    "safeguarding:sar_download": Row(allowed=ANSWERERS, kwargs=released_kwargs),
}

__all__ = ["SCHOOL_ROWS"]

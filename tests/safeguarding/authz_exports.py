"""Authorisation-matrix rows for the PDF exports of a pupil's chronology."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import ExportJob
from safeguarding.storage import document_storage
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role
from trustplatform.hashchain import GENESIS_HASH

# Capability.VIEW_ALL_RECORDS: key holders read part of the record, so they export none of it.
READERS_OF_EVERYTHING = actors("a:deputy_dsl", "a:dsl", "a:headteacher")


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": make_pupil("Wrenna", "Castellane").pk}


def _job(world: World, *, done: bool) -> ExportJob:
    dsl = world.person("a", Role.DSL)
    job = ExportJob(
        pupil=make_pupil("Wrenna", "Castellane"),
        version=ExportJob.Version.FULL,
        requested_by_id=dsl.pk,
        requested_by_name=dsl.full_name,
        requested_by_role=str(Role.DSL),
        chain_head=GENESIS_HASH,
    )
    if done:
        # One small stand-in file, written once and reused: rendering a real PDF for each of the
        # matrix's actors would only slow it down (tests/safeguarding/test_exports.py renders).
        storage = document_storage()
        name = f"{world.school_a.schema_name}/exports/authz-matrix.pdf"
        if not storage.exists(name):
            storage.save(name, ContentFile(b"%PDF-1.4\n%%EOF\n"))
        job.file.name = name
        job.status, job.progress, job.finished_at = ExportJob.Status.DONE, 100, timezone.now()
    job.save()
    return job


def job_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"job_id": _job(world, done=False).pk}


def done_job_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"job_id": _job(world, done=True).pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:pupil_exports": Row(allowed=READERS_OF_EVERYTHING, kwargs=pupil_kwargs),
    # No version chosen: the allowed get the form back (a redirect) without a PDF being made.
    "safeguarding:export_create": Row(
        allowed=READERS_OF_EVERYTHING, method="POST", data={"version": ""}, kwargs=pupil_kwargs
    ),
    # An export is its requester's alone (the file carries their name): the deputy and the
    # headteacher, who read everything, get the same 404 as for no export.
    "safeguarding:export_detail": Row(allowed=actors("a:dsl"), kwargs=job_kwargs),
    "safeguarding:export_status": Row(allowed=actors("a:dsl"), kwargs=job_kwargs),
    "safeguarding:export_download": Row(allowed=actors("a:dsl"), kwargs=done_job_kwargs),
}

__all__ = ["SCHOOL_ROWS"]

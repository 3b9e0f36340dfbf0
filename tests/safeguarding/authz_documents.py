"""Authorisation-matrix rows for a pupil's documents: list, upload and the download itself."""

from __future__ import annotations

import atexit
import datetime as dt
import itertools
from collections.abc import Mapping
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from safeguarding.models import Pupil
from safeguarding.services.chronology import Person
from safeguarding.services.documents import document_upload
from tests.authz import Row, actors
from tests.conftest import World
from trustplatform.accounts.models import Role

# Documents are the DSL's, deputies' and headteacher's; a key holder without a grant covering
# the pupil gets the same 404 as everyone else.
LEADS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")

_upns = itertools.count(1)
# The matrix requests the real download view, which reads the file from the configured storage:
# the files written for it are removed when the test run ends.
_written: list[Path] = []


@atexit.register
def _remove_written_files() -> None:
    for path in _written:
        path.unlink(missing_ok=True)
        # The school's folder and the documents root, if this run created them and nothing else
        # is in them.
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break


def _pupil() -> Pupil:
    return Pupil.objects.create(
        upn=f"M{next(_upns):012d}",
        legal_first_name="Tamsin",
        legal_last_name="Elderfield",
        date_of_birth=dt.date(2016, 1, 11),
        sex=Pupil.Sex.FEMALE,
        year_group=4,
    )


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": _pupil().pk}


def document_kwargs(world: World) -> Mapping[str, object]:
    dsl = world.person("a", Role.DSL)
    with schema_context(world.school_a.schema_name):
        document = document_upload(
            pupil=_pupil(),
            uploaded_file=SimpleUploadedFile("letter.pdf", b"%PDF-1.7\n%%EOF\n"),
            overview="Letter from the school nurse",
            author=Person(user_id=dsl.pk, name=dsl.full_name, role=Role.DSL.value),
        )
    _written.append(Path(document.file.path))
    return {"document_id": document.pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:document_list": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:document_upload": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:document_download": Row(allowed=LEADS, kwargs=document_kwargs),
}

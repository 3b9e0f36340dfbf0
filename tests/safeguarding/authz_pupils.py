"""Who may open each pupil page (merged into tests/trustplatform/test_authorization_matrix.py).

Readers of child records list and open pupils (a key holder without a grant sees none, so the
pupil page is a 404 for them); any member of staff who records concerns uses the recording
search; whoever imports pupils (the school administrator) enrols, changes and imports. The
world's school administrator has no two-factor set up, so the matrix sees them sent to set it
up first; tests/safeguarding/test_views_pupils.py covers them with two-factor.
"""

from __future__ import annotations

from collections.abc import Mapping

from django_tenants.utils import schema_context

from safeguarding.models import Pupil, PupilSyncRun
from safeguarding.services.pupil_import import pupil_sync
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.fixtures import enrol, make_upn

READERS = actors("a:key_holder", "a:deputy_dsl", "a:dsl", "a:headteacher")
LEADS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")
RECORDERS = actors("a:staff", "a:key_holder", "a:deputy_dsl", "a:dsl", "a:headteacher")
IMPORTERS = actors("a:school_admin", "a:dsl")
# The safeguarding flags on a child's page: the DSL and deputies, not the headteacher.
FLAG_SETTERS = actors("a:deputy_dsl", "a:dsl")
# The world's school administrator has no two-factor yet; the DSL has.
IMPORTERS_WITHOUT_TWO_FACTOR = actors("a:school_admin")


def _pupil_of_a(world: World, serial: int) -> Pupil:
    with schema_context(world.school_a.schema_name):
        return Pupil.objects.filter(upn=make_upn(serial)).first() or enrol(serial=serial)


def _a_pupil(world: World) -> Mapping[str, object]:
    return {"pupil_id": _pupil_of_a(world, 90001).pk}


def _two_pupils(world: World) -> Mapping[str, object]:
    return {
        "pupil_id": _pupil_of_a(world, 90001).pk,
        "relative_id": _pupil_of_a(world, 90002).pk,
    }


def _a_sync_run(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        run = PupilSyncRun.objects.first()
        run_id = pupil_sync([], actor_id=0).run_id if run is None else run.pk
    return {"run_id": run_id}


def _importers(**kwargs: object) -> Row:
    return Row(allowed=IMPORTERS, two_factor_first=IMPORTERS_WITHOUT_TWO_FACTOR, **kwargs)  # type: ignore[arg-type]


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:pupil_list": Row(allowed=READERS),
    "safeguarding:pupil_detail": Row(allowed=LEADS, kwargs=_a_pupil),
    "safeguarding:pupil_search": Row(allowed=RECORDERS, method="POST", data={"q": "Wren"}),
    "safeguarding:pupil_manage": _importers(),
    "safeguarding:pupil_enrol": _importers(),
    "safeguarding:pupil_edit": _importers(kwargs=_a_pupil),
    "safeguarding:pupil_flag_set": Row(allowed=FLAG_SETTERS, method="POST", kwargs=_a_pupil),
    "safeguarding:pupil_import": _importers(),
    "safeguarding:pupil_import_confirm": _importers(method="POST"),
    "safeguarding:pupil_sync_runs": _importers(),
    "safeguarding:pupil_sync_run": _importers(kwargs=_a_sync_run),
    "safeguarding:family_link_add": _importers(method="POST", kwargs=_a_pupil),
    "safeguarding:family_link_remove": _importers(method="POST", kwargs=_two_pupils),
}

# The matrix asks each URL with one method (GET above). The pupil list and the manage page also
# take a search by name or UPN as a POST (never in a URL), which must answer the same people:
# tests/safeguarding/test_views_pupils.py asks these with the matrix's own helpers.
POST_VARIANTS: dict[str, Row] = {
    "safeguarding:pupil_list": Row(allowed=READERS, method="POST", data={"q": "Wren"}),
    "safeguarding:pupil_manage": _importers(method="POST", data={"upn": make_upn(90009)}),
}

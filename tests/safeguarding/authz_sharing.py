"""Authorisation-matrix rows for the agency directory and the disclosure log."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Agency, Disclosure, LawfulBasis, Pupil
from safeguarding.services.chronology import Person
from safeguarding.services.sharing import (
    agency_contact_create,
    agency_create,
    disclosure_decide,
    disclosure_request_record,
)
from tests.authz import Row, actors
from tests.conftest import World
from trustplatform.accounts.models import Role

# The DSL, deputies and headteacher read the directory and the log and record each step...
LEADS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")
# ...but only the headteacher and the DSL approve sharing and keep the directory.
APPROVERS = actors("a:dsl", "a:headteacher")

_upns = itertools.count(1)


def _dsl(world: World) -> Person:
    user = world.person("a", Role.DSL)
    return Person(user_id=user.pk, name=user.full_name, role=Role.DSL.value)


def _pupil() -> Pupil:
    return Pupil.objects.create(
        upn=f"Z{next(_upns):012d}",
        legal_first_name="Ellis",
        legal_last_name="Wrenfield",
        date_of_birth=dt.date(2013, 4, 30),
        sex=Pupil.Sex.MALE,
        year_group=7,
    )


def _agency(world: World) -> Agency:
    return agency_create(
        author=_dsl(world), name="Northshire Police", kind=Agency.Kind.POLICE, phone="101"
    )


def _disclosure(world: World, *, approved: bool = False) -> Disclosure:
    disclosure = disclosure_request_record(
        pupil=_pupil(),
        agency=_agency(world),
        requested_by="DC Farrow",
        request_summary="Attendance since January.",
        request_received_at=timezone.now(),
        author=_dsl(world),
    )
    if approved:
        disclosure_decide(
            disclosure=disclosure,
            approve=True,
            approver=_dsl(world),
            lawful_basis=[LawfulBasis.CRIME],
        )
    return disclosure


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": _pupil().pk}


def agency_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"agency_id": _agency(world).pk}


def contact_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        contact = agency_contact_create(agency=_agency(world), author=_dsl(world), name="DC Farrow")
        return {"contact_id": contact.pk}


def disclosure_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"disclosure_id": _disclosure(world).pk}


def approved_disclosure_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"disclosure_id": _disclosure(world, approved=True).pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:agency_list": Row(allowed=LEADS),
    "safeguarding:agency_add": Row(allowed=APPROVERS),
    "safeguarding:agency_edit": Row(allowed=APPROVERS, kwargs=agency_kwargs),
    "safeguarding:agency_contact_add": Row(allowed=APPROVERS, kwargs=agency_kwargs),
    "safeguarding:agency_contact_edit": Row(allowed=APPROVERS, kwargs=contact_kwargs),
    "safeguarding:disclosure_list": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:disclosure_request": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:disclosure_detail": Row(allowed=LEADS, kwargs=disclosure_kwargs),
    # A deputy's approval is refused with the same 404 as a missing page.
    "safeguarding:disclosure_decide": Row(allowed=APPROVERS, kwargs=disclosure_kwargs),
    "safeguarding:disclosure_shared": Row(allowed=LEADS, kwargs=approved_disclosure_kwargs),
    "safeguarding:disclosure_child_informed": Row(allowed=LEADS, kwargs=approved_disclosure_kwargs),
}

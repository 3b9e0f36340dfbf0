"""Reads of the trust portal: a trust's schools with their leads and DSL training dates.

Names of staff and counts only, never a child's data. Every read is scoped to one trust; a school
of another trust is "missing" (the same 404), never "forbidden".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.http import Http404

from tenants.models import School, Trust
from trustplatform.accounts.models import Role, SchoolMembership

# KCSIE: the DSL (and deputies) refresh their DSL training at least every two years
# (docs/rules.md, "DSL training").
DSL_TRAINING_VALID_YEARS = 2
# How long before the refresh is due the list starts to warn, so that a course can be booked.
DSL_TRAINING_WARNING_DAYS = 60
LEAD_ROLES = (Role.DSL, Role.DEPUTY_DSL)


def dsl_training_due_on(trained_on: datetime.date) -> datetime.date:
    """Two years after the training; 29 February falls due on 28 February."""
    try:
        return trained_on.replace(year=trained_on.year + DSL_TRAINING_VALID_YEARS)
    except ValueError:
        return trained_on.replace(year=trained_on.year + DSL_TRAINING_VALID_YEARS, day=28)


@dataclass(frozen=True)
class Lead:
    """The DSL or a deputy of one school, with where their DSL training stands."""

    membership: SchoolMembership
    today: datetime.date

    @property
    def name(self) -> str:
        return self.membership.user.full_name

    @property
    def is_dsl(self) -> bool:
        return self.membership.role == Role.DSL

    @property
    def role_label(self) -> str:
        return Role(self.membership.role).label

    @property
    def trained_on(self) -> datetime.date | None:
        return self.membership.dsl_training_on

    @property
    def refresh_due_on(self) -> datetime.date | None:
        return dsl_training_due_on(self.trained_on) if self.trained_on else None

    @property
    def training_status(self) -> str:
        """ "missing", "overdue", "due_soon" (within the warning days) or "current"."""
        due = self.refresh_due_on
        if due is None:
            return "missing"
        if due < self.today:
            return "overdue"
        if due <= self.today + datetime.timedelta(days=DSL_TRAINING_WARNING_DAYS):
            return "due_soon"
        return "current"


@dataclass(frozen=True)
class SchoolRow:
    school: School
    pupils_on_roll: int | None  # None: the statistics rollup has not counted this school yet
    dsl: Lead | None
    deputies: list[Lead]


def trust_school_get(*, trust: Trust, school_id: int) -> School:
    """A school of the trust; another trust's school is as missing as one that does not exist."""
    school = School.objects.filter(pk=school_id, trust=trust).first()
    if school is None:
        raise Http404
    return school


def trust_lead_membership_get(*, trust: Trust, membership_id: int) -> SchoolMembership:
    """The DSL or deputy membership in one of the trust's schools; otherwise 404."""
    membership = (
        SchoolMembership.objects.filter(
            pk=membership_id, school__trust=trust, role__in=[r.value for r in LEAD_ROLES]
        )
        .select_related("user", "school")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def trust_school_rows(*, trust: Trust, today: datetime.date) -> list[SchoolRow]:
    """Every school of the trust with its pupil count, DSL and deputies. Two queries in all."""
    # The snapshot is a reverse one-to-one: select_related joins it (NULL when none yet).
    schools = list(School.objects.filter(trust=trust).select_related("snapshot").order_by("name"))
    leads: dict[int, list[Lead]] = {}
    memberships = (
        SchoolMembership.objects.filter(school__trust=trust, role__in=[r.value for r in LEAD_ROLES])
        .select_related("user")
        .order_by("user__full_name")
    )
    for membership in memberships:
        leads.setdefault(membership.school_id, []).append(Lead(membership, today))
    rows = []
    for school in schools:
        snapshot = getattr(school, "snapshot", None)
        school_leads = leads.get(school.pk, [])
        rows.append(
            SchoolRow(
                school=school,
                pupils_on_roll=(
                    snapshot.pupils_on_roll
                    if snapshot is not None and snapshot.refreshed_at is not None
                    else None
                ),
                dsl=next((lead for lead in school_leads if lead.is_dsl), None),
                deputies=[lead for lead in school_leads if not lead.is_dsl],
            )
        )
    return rows

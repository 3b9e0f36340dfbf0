"""Who may grant what: the one rule every way of giving, changing or taking access asks.

Written down in docs/security.md ("Who may grant what"); the services in
trustplatform/accounts/services.py and safeguarding/services/access.py refuse what it refuses,
whatever a form offered, and every refusal is audited. In short:

- a role that reads child records is given only by the DSL (the DSL role itself: by the DSL or
  the headteacher on the school's site, or by the trust admin for a school that has none);
- a school administrator manages staff, governor and administrator accounts, nothing more;
- nobody grants, changes, removes or resets their own access;
- nobody acts on someone with more access than they have: a person's access is the highest of
  every role they hold, in any school and in the trust, because two-factor and the person are one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from django.core.exceptions import ValidationError

from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    Role,
    SchoolMembership,
    TrustMembership,
)
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.permissions import CHILD_DATA_ROLES

if TYPE_CHECKING:
    from tenants.models import School, Trust
    from trustplatform.accounts.models import User


class Way(enum.StrEnum):
    """Every way access is given, changed or taken. The values are the names in the docs table."""

    INVITATION = "invitation"
    ROLE_CHANGE = "role change"
    REMOVAL = "removal"
    DSL_HANDOVER = "DSL handover"
    KEY_HOLDER_GRANT = "key-holder grant"
    TWO_FACTOR_RESET = "two-factor reset"
    # On the trust portal: the trust admin names a school's DSL, or resets someone's two-factor.
    DSL_NAMING = "DSL naming"
    TRUST_TWO_FACTOR_RESET = "two-factor reset by the trust"
    # On the school's site: the headteacher or the outgoing DSL confirms the trust's naming.
    DSL_CONFIRMATION = "DSL confirmation"


# The access order (docs/security.md): what a person can read or hand out. The trust admin is
# first because they name every school's DSL, though they read no child record themselves.
ACCESS: dict[Role, int] = {
    Role.TRUST_ADMIN: 5,
    Role.HEADTEACHER: 4,
    Role.DSL: 4,
    Role.DEPUTY_DSL: 3,
    Role.KEY_HOLDER: 2,
    Role.STAFF: 1,
    Role.GOVERNOR: 1,
    Role.SCHOOL_ADMIN: 1,
    Role.TRUST_SAFEGUARDING_LEAD: 1,
    Role.TRUSTEE: 1,
}

OFFICE_ROLES = frozenset({Role.STAFF, Role.GOVERNOR, Role.SCHOOL_ADMIN})
_ALL_BUT_DSL = SCHOOL_ROLES - {Role.DSL}
# KCSIE: the DSL is a member of the school's staff (senior leadership), so never a governor.
MAY_BECOME_DSL = _ALL_BUT_DSL - {Role.GOVERNOR}
# None: a person with no role in the school yet (named by the trust).
_NAMEABLE: frozenset[Role | None] = frozenset({*MAY_BECOME_DSL, None})

# For each way: acting role -> the roles the target may be given (invitation, role change) or
# may hold (every other way). A role not listed may not act this way at all: deny by default.
# Who manages which accounts: giving a role, changing it (both the old and the new one) and
# removing it are the same right.
_MANAGES: dict[Role, frozenset[Role | None]] = {
    Role.DSL: frozenset(_ALL_BUT_DSL),
    Role.HEADTEACHER: frozenset(OFFICE_ROLES),
    Role.SCHOOL_ADMIN: frozenset(OFFICE_ROLES),
}
GRANTS: dict[Way, dict[Role, frozenset[Role | None]]] = {
    Way.INVITATION: _MANAGES,
    Way.ROLE_CHANGE: _MANAGES,
    Way.REMOVAL: _MANAGES,
    Way.DSL_HANDOVER: {
        Role.DSL: frozenset(MAY_BECOME_DSL),
        Role.HEADTEACHER: frozenset(MAY_BECOME_DSL),
    },
    Way.KEY_HOLDER_GRANT: {Role.DSL: frozenset({Role.KEY_HOLDER})},
    Way.TWO_FACTOR_RESET: {
        Role.DSL: frozenset(SCHOOL_ROLES),
        Role.DEPUTY_DSL: frozenset(SCHOOL_ROLES),
    },
    Way.DSL_NAMING: {Role.TRUST_ADMIN: _NAMEABLE},
    Way.TRUST_TWO_FACTOR_RESET: {Role.TRUST_ADMIN: frozenset({*SCHOOL_ROLES, None})},
    Way.DSL_CONFIRMATION: {Role.DSL: _NAMEABLE, Role.HEADTEACHER: _NAMEABLE},
}
# Ways that give the target a role reading child records, or the DSL role.
_GIVES_RECORDS = frozenset({Way.DSL_HANDOVER, Way.DSL_NAMING, Way.DSL_CONFIRMATION})


class Reason(enum.StrEnum):
    NOT_YOURS = "not_yours"  # the actor's role cannot act this way here at all
    SELF = "self"
    ROLE = "role"  # the actor cannot give (or act on someone holding) this role
    MORE_ACCESS = "more_access"
    TRUST_ADMIN = "trust_admin"  # the trust admin reads no child record, so is given none


@dataclass(frozen=True)
class Grant:
    """One attempt: who acts, which way, where, on whom, with which role."""

    actor: User
    way: Way
    school: School | None = None
    trust: Trust | None = None
    target: User | None = None  # None: a person who has no account yet
    role: Role | None = None  # given (invitation, role change), else held here by the target
    old_role: Role | None = None  # role change: the role held before
    also_changes: tuple[User, ...] = ()  # others the act changes: the outgoing DSL

    @property
    def actor_roles(self) -> frozenset[Role]:
        """The actor's roles where they act: their role in the school, or in the trust."""
        if not self.actor.is_active:
            return frozenset()
        if self.school is not None:
            roles = SchoolMembership.objects.filter(user=self.actor, school=self.school)
            return frozenset(Role(r) for r in roles.values_list("role", flat=True))
        if self.trust is not None:
            held = TrustMembership.objects.filter(user=self.actor, trust=self.trust)
            return frozenset(Role(r) for r in held.values_list("role", flat=True))
        return frozenset()


class GrantRefused(ValidationError):
    """A refused grant. A ValidationError, so that forms show its message and nothing changes."""

    def __init__(self, grant: Grant, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.grant = grant
        self.reason = reason
        self.audit_event_id: int | None = None


def _label(role: Role | None) -> str:
    return Role(role).label if role else "not a member of the school"


@dataclass(frozen=True)
class _Facts:
    """What the rule reads besides the grant: read live, or once for a whole page of people."""

    actor_roles: frozenset[Role]
    roles_of: Callable[[User], frozenset[Role]]  # every role a person holds, anywhere


def _live_roles(user: User) -> frozenset[Role]:
    return frozenset(
        Role(r)
        for r in [
            *SchoolMembership.objects.filter(user=user).values_list("role", flat=True),
            *TrustMembership.objects.filter(user=user).values_list("role", flat=True),
        ]
    )


def _access(roles: frozenset[Role]) -> int:
    """A person's access: the highest of all their roles, in every school and trust (0: none)."""
    return max((ACCESS[r] for r in roles), default=0)


def refusal(grant: Grant) -> GrantRefused | None:
    """Why `grant` is refused, or None when it is allowed. Reads, never writes."""
    return next(_refusals(grant, _Facts(grant.actor_roles, _live_roles)), None)


def _refusals(grant: Grant, facts: _Facts) -> Iterator[GrantRefused]:
    # In the order of docs/security.md; the first one found is the reason given.
    acting = [r for r in facts.actor_roles if r in GRANTS[grant.way]]
    if not acting:
        yield GrantRefused(grant, Reason.NOT_YOURS, "Your role cannot do this here.")
    if grant.target is not None and grant.target.pk == grant.actor.pk:
        yield GrantRefused(
            grant,
            Reason.SELF,
            "Nobody grants, changes, removes or resets their own access: ask a colleague.",
        )
    allowed = frozenset().union(*(GRANTS[grant.way][r] for r in acting))
    if grant.role not in allowed:
        yield GrantRefused(grant, Reason.ROLE, _role_message(grant.way, grant.role))
    if grant.way is Way.ROLE_CHANGE and grant.old_role not in allowed:
        yield GrantRefused(
            grant,
            Reason.ROLE,
            "Hand over the DSL role to someone else first."
            if grant.old_role == Role.DSL
            else f"You cannot change the role of someone who is {_label(grant.old_role)}.",
        )
    own = max(ACCESS[r] for r in acting)
    for person in (grant.target, *grant.also_changes):
        if (
            person is not None
            and person.pk != grant.actor.pk
            and _access(facts.roles_of(person)) > own
        ):
            yield GrantRefused(
                grant,
                Reason.MORE_ACCESS,
                "This person has more access than you, here or elsewhere: "
                + (
                    "the trust admin does it."
                    if grant.way is Way.TWO_FACTOR_RESET
                    else "someone with at least as much access must do it."
                ),
            )
    gives_records = grant.way in _GIVES_RECORDS or (
        grant.way in {Way.INVITATION, Way.ROLE_CHANGE} and grant.role in CHILD_DATA_ROLES
    )
    if (
        gives_records
        and grant.target is not None
        and Role.TRUST_ADMIN in facts.roles_of(grant.target)
    ):
        yield GrantRefused(
            grant,
            Reason.TRUST_ADMIN,
            "A trust admin reads no child records, so is never given a role that does.",
        )


def _role_message(way: Way, role: Role | None) -> str:
    if way in {Way.INVITATION, Way.ROLE_CHANGE}:
        return (
            "The DSL role changes hands only through a handover."
            if role == Role.DSL
            else f"You cannot give the {_label(role)} role."
        )
    if way is Way.REMOVAL:
        return (
            "Hand over the DSL role before removing this person."
            if role == Role.DSL
            else f"You cannot remove someone who is {_label(role)}."
        )
    if way in _GIVES_RECORDS:
        return (
            "This person is already the DSL."
            if role == Role.DSL
            else f"Someone who is {_label(role)} cannot become the DSL."
        )
    if way is Way.KEY_HOLDER_GRANT:
        return "Access is granted to key holders only; change their role first."
    return f"You cannot do this for someone who is {_label(role)}."


def role_here(user: User, school: School) -> Role | None:
    role = (
        SchoolMembership.objects.filter(user=user, school=school)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role else None


def dsl_grant(way: Way, *, school: School, nominee: User, actor: User) -> Grant:
    """Making `nominee` the DSL also changes the current DSL, who is asked about too."""
    current = SchoolMembership.objects.filter(school=school, role=Role.DSL).select_related("user")
    return Grant(
        actor=actor,
        way=way,
        school=school,
        target=nominee,
        role=role_here(nominee, school),
        also_changes=tuple(m.user for m in current),
    )


def allows(grant: Grant) -> bool:
    """For pages: whether to offer the button or choice at all."""
    return refusal(grant) is None


@dataclass(frozen=True)
class StaffOptions:
    """What the actor may do to one member, for the staff page: the same rule, read in bulk."""

    roles: list[Role]  # the roles their role may be changed to (empty: no change offered)
    remove: bool
    reset_two_factor: bool
    key_holder_access: bool


def staff_options(
    *, actor: User, school: School, memberships: list[SchoolMembership]
) -> dict[int, StaffOptions]:
    """Per membership id: what `actor` may do to that person. Three queries for the whole page."""
    user_ids = {m.user_id for m in memberships}
    held: dict[int, set[Role]] = {}
    for model in (SchoolMembership, TrustMembership):
        rows = model.objects.filter(user_id__in=user_ids | {actor.pk}).values_list(
            "user_id", "role"
        )
        for user_id, role in rows:
            held.setdefault(user_id, set()).add(Role(role))
    actor_roles = frozenset(
        Role(m.role) for m in memberships if m.user_id == actor.pk and actor.is_active
    )
    facts = _Facts(actor_roles, lambda user: frozenset(held.get(user.pk, set())))

    def ok(
        way: Way, membership: SchoolMembership, role: Role | None = None, old: Role | None = None
    ) -> bool:
        grant = Grant(
            actor=actor,
            way=way,
            school=school,
            target=membership.user,
            role=role or Role(membership.role),
            old_role=old,
        )
        return next(_refusals(grant, facts), None) is None

    options = {}
    for m in memberships:
        options[m.pk] = StaffOptions(
            roles=[
                role
                for role in Role
                if role in SCHOOL_ROLES and ok(Way.ROLE_CHANGE, m, role=role, old=Role(m.role))
            ],
            remove=ok(Way.REMOVAL, m),
            reset_two_factor=ok(Way.TWO_FACTOR_RESET, m),
            key_holder_access=ok(Way.KEY_HOLDER_GRANT, m),
        )
    return options


def check(grant: Grant) -> None:
    """Raises GrantRefused when the rule refuses `grant`; services call it before they write."""
    refused = refusal(grant)
    if refused is not None:
        raise refused


def grantable_roles(*, actor: User, way: Way, school: School) -> list[Role]:
    """The roles `actor` may give this way in the school, in the vocabulary's order (forms)."""
    grant = Grant(actor=actor, way=way, school=school)
    allowed = frozenset().union(*(GRANTS[way].get(r, frozenset()) for r in grant.actor_roles))
    return [role for role in Role if role in allowed]


P = ParamSpec("P")
R = TypeVar("R")


def refusals_audited(service: Callable[P, R]) -> Callable[P, R]:
    """Audits a service's refused grant. Outside its transaction: the refusal row must stay when
    the service's own writes are rolled back. A service calling another records it once; again
    only if the inner row went with a transaction rolled back on the way out."""

    @wraps(service)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return service(*args, **kwargs)
        except GrantRefused as refused:
            recorded = refused.audit_event_id
            if recorded is None or not AuditEvent.objects.filter(pk=recorded).exists():
                refused.audit_event_id = _refusal_record(refused, request=kwargs.get("request"))
            raise

    return wrapped


def _refusal_record(refused: GrantRefused, *, request: object) -> int:
    grant = refused.grant
    return audit_record(
        action=AuditAction.GRANT_REFUSED,
        actor=grant.actor,
        school=grant.school,
        trust=grant.trust,
        target_type="user",
        target_id=grant.target.pk if grant.target is not None else "",
        # Roles and the way only: never a name or an address (docs/security.md).
        data={
            "way": str(grant.way),
            "reason": str(refused.reason),
            "actor_role": ",".join(sorted(grant.actor_roles)) or "none",
            "role": str(grant.role) if grant.role else None,
            "old_role": str(grant.old_role) if grant.old_role else None,
        },
        request=request,  # type: ignore[arg-type]
    ).pk

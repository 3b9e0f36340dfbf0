"""The one answer to "may this user do this, here?". Views, API and templates all ask it.

Deny by default: a capability not granted to a role below is refused. "Here" is the host of the
request: a school's subdomain (the user's membership in that school decides) or the root domain
(the user's roles in their trust decide). Anyone who can read child data, trust statistics or
manage roles must have passed TOTP two-factor in this session first (DfE cyber standards).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode

from tenants.selectors import school_of_request
from trustplatform.accounts.models import Role, SchoolMembership, TrustMembership
from trustplatform.prepared import Prepared

if TYPE_CHECKING:
    from collections.abc import Callable

    from tenants.models import School, Trust
    from trustplatform.accounts.models import User

SESSION_OTP_VERIFIED = "otp_verified"


class Capability(enum.StrEnum):
    """What a role may do: the permission vocabulary (a case's follow-up is `models.Action`)."""

    # --- in a school ---
    RECORD_CONCERN = "record_concern"
    VIEW_OWN_RECEIPTS = "view_own_receipts"
    VIEW_CATEGORY_GUIDANCE = "view_category_guidance"
    # The actions assigned to oneself, and completing them (any member can be given one).
    VIEW_OWN_TASKS = "view_own_tasks"
    VIEW_ALL_RECORDS = "view_all_records"
    VIEW_GRANTED_RECORDS = "view_granted_records"
    SEARCH_RECORDS = "search_records"
    MANAGE_CATEGORIES = "manage_categories"
    SCREEN_CONCERNS = "screen_concerns"
    MANAGE_CASES = "manage_cases"
    CORRECT_ENTRIES = "correct_entries"
    SET_PUPIL_FLAGS = "set_pupil_flags"
    MANAGE_ALLEGATIONS = "manage_allegations"
    VIEW_STAFF = "view_staff"
    INVITE_STAFF = "invite_staff"
    MANAGE_ROLES = "manage_roles"
    HAND_OVER_DSL = "hand_over_dsl"
    GRANT_KEY_HOLDER_ACCESS = "grant_key_holder_access"
    RESET_COLLEAGUE_TWO_FACTOR = "reset_colleague_two_factor"
    REMOVE_MEMBERSHIP = "remove_membership"
    VIEW_ACCESS_LOG = "view_access_log"
    APPROVE_INFORMATION_SHARING = "approve_information_sharing"
    APPROVE_AGENCY_ACCESS = "approve_agency_access"
    IMPORT_PUPILS = "import_pupils"
    # Making and revoking the school's API keys (docs/api.md); which scopes: KEY_CREATORS.
    MANAGE_API_KEYS = "manage_api_keys"
    VIEW_POLICY_REGISTER = "view_policy_register"
    RECORD_POLICY_REVIEW = "record_policy_review"
    VIEW_SCHOOL_STATISTICS = "view_school_statistics"
    VIEW_SCHOOL_CALENDAR = "view_school_calendar"
    MANAGE_SCHOOL_CALENDAR = "manage_school_calendar"
    # Subject access requests for a pupil's record: docs/rules.md, "Subject access".
    MANAGE_SUBJECT_ACCESS = "manage_subject_access"
    # Sending a child's file to another school of the trust, and accepting or rejecting one
    # (docs/transfers.md).
    TRANSFER_FILES = "transfer_files"
    # The retention review queue, legal holds and destruction certificates; what each of these
    # roles may do there is decided by safeguarding/services/retention.py (docs/rules.md,
    # "Retention"): the DSL holds, the DSL or a deputy reviews and proposes, a different DSL,
    # deputy or headteacher approves.
    MANAGE_RETENTION = "manage_retention"
    # --- in a trust (root domain) ---
    VIEW_TRUST_PORTAL = "view_trust_portal"
    MANAGE_SCHOOLS = "manage_schools"
    ASSIGN_SCHOOL_DSL = "assign_school_dsl"
    # Two-factor of someone a school may not reset (more access than its DSL): docs/security.md.
    RESET_USER_TWO_FACTOR = "reset_user_two_factor"
    VIEW_TRUST_STATISTICS = "view_trust_statistics"
    VIEW_TRUST_REVIEW_DATES = "view_trust_review_dates"
    # The trust's subscription and invoices, and adding or removing a school from it.
    VIEW_TRUST_BILLING = "view_trust_billing"
    MANAGE_TRUST_BILLING = "manage_trust_billing"


_EVERY_MEMBER = frozenset({Capability.VIEW_CATEGORY_GUIDANCE})
# A task names a pupil and what is to be done: a governor sees no child data, so is given none
# and has no task list (docs/rules.md, "Tasks").
_RECORDERS = _EVERY_MEMBER | {
    Capability.RECORD_CONCERN,
    Capability.VIEW_OWN_RECEIPTS,
    Capability.VIEW_OWN_TASKS,
}
_LEADS = _RECORDERS | {
    Capability.VIEW_ALL_RECORDS,
    Capability.SEARCH_RECORDS,
    Capability.VIEW_STAFF,
    Capability.VIEW_SCHOOL_STATISTICS,
    Capability.VIEW_POLICY_REGISTER,
    Capability.VIEW_SCHOOL_CALENDAR,
}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.STAFF: _RECORDERS,
    Role.KEY_HOLDER: _RECORDERS | {Capability.VIEW_GRANTED_RECORDS, Capability.SEARCH_RECORDS},
    Role.DEPUTY_DSL: _LEADS
    | {
        Capability.RESET_COLLEAGUE_TWO_FACTOR,
        Capability.SCREEN_CONCERNS,
        Capability.MANAGE_CASES,
        Capability.CORRECT_ENTRIES,
        Capability.SET_PUPIL_FLAGS,
        Capability.MANAGE_SUBJECT_ACCESS,
        Capability.TRANSFER_FILES,
        Capability.MANAGE_RETENTION,
    },
    Role.DSL: _LEADS
    | {
        Capability.INVITE_STAFF,
        Capability.MANAGE_ROLES,
        Capability.HAND_OVER_DSL,
        Capability.GRANT_KEY_HOLDER_ACCESS,
        Capability.MANAGE_CATEGORIES,
        Capability.RESET_COLLEAGUE_TWO_FACTOR,
        Capability.REMOVE_MEMBERSHIP,
        Capability.VIEW_ACCESS_LOG,
        Capability.APPROVE_INFORMATION_SHARING,
        Capability.APPROVE_AGENCY_ACCESS,
        Capability.SCREEN_CONCERNS,
        Capability.MANAGE_CASES,
        Capability.CORRECT_ENTRIES,
        # A child-protection plan, child in need, looked after, early help: docs/rules.md.
        Capability.SET_PUPIL_FLAGS,
        Capability.MANAGE_ALLEGATIONS,
        # Family links and a pupil's details matter to the DSL's work, not only the office's.
        Capability.IMPORT_PUPILS,
        Capability.MANAGE_SCHOOL_CALENDAR,
        Capability.MANAGE_SUBJECT_ACCESS,
        Capability.TRANSFER_FILES,
        Capability.MANAGE_API_KEYS,
        Capability.MANAGE_RETENTION,
    },
    Role.HEADTEACHER: _LEADS
    | {
        Capability.INVITE_STAFF,
        Capability.MANAGE_ROLES,
        Capability.HAND_OVER_DSL,
        Capability.REMOVE_MEMBERSHIP,
        Capability.APPROVE_INFORMATION_SHARING,
        Capability.APPROVE_AGENCY_ACCESS,
        Capability.MANAGE_CASES,
        Capability.MANAGE_ALLEGATIONS,
        Capability.RECORD_POLICY_REVIEW,
        Capability.MANAGE_RETENTION,
    },
    Role.GOVERNOR: _EVERY_MEMBER
    | {
        Capability.VIEW_POLICY_REGISTER,
        Capability.VIEW_SCHOOL_STATISTICS,
        Capability.RECORD_POLICY_REVIEW,
        Capability.VIEW_SCHOOL_CALENDAR,
    },
    Role.SCHOOL_ADMIN: _EVERY_MEMBER
    | {
        Capability.VIEW_OWN_TASKS,
        Capability.VIEW_STAFF,
        Capability.INVITE_STAFF,
        # Between staff, governor and administrator only: trustplatform/grants.py.
        Capability.MANAGE_ROLES,
        Capability.REMOVE_MEMBERSHIP,
        Capability.IMPORT_PUPILS,
        Capability.VIEW_SCHOOL_CALENDAR,
        Capability.MANAGE_SCHOOL_CALENDAR,
        # Pupil-sync keys only (KEY_CREATORS).
        Capability.MANAGE_API_KEYS,
    },
    Role.TRUST_ADMIN: frozenset(
        {
            Capability.VIEW_TRUST_PORTAL,
            Capability.MANAGE_SCHOOLS,
            Capability.ASSIGN_SCHOOL_DSL,
            Capability.RESET_USER_TWO_FACTOR,
            Capability.VIEW_TRUST_BILLING,
            Capability.MANAGE_TRUST_BILLING,
        }
    ),
    Role.TRUST_SAFEGUARDING_LEAD: frozenset(
        {
            Capability.VIEW_TRUST_PORTAL,
            Capability.VIEW_TRUST_STATISTICS,
            Capability.VIEW_TRUST_REVIEW_DATES,
        }
    ),
    Role.TRUSTEE: frozenset({Capability.VIEW_TRUST_PORTAL, Capability.VIEW_TRUST_REVIEW_DATES}),
}

# Child data, trust statistics and role management: never without two-factor.
NEEDS_TWO_FACTOR = frozenset(
    {
        Capability.VIEW_ALL_RECORDS,
        Capability.VIEW_GRANTED_RECORDS,
        Capability.SEARCH_RECORDS,
        Capability.VIEW_ACCESS_LOG,
        Capability.VIEW_STAFF,
        Capability.VIEW_TRUST_PORTAL,
        Capability.SCREEN_CONCERNS,
        Capability.MANAGE_CASES,
        Capability.CORRECT_ENTRIES,
        Capability.SET_PUPIL_FLAGS,
        Capability.MANAGE_ALLEGATIONS,
        Capability.MANAGE_RETENTION,
        Capability.MANAGE_ROLES,
        Capability.HAND_OVER_DSL,
        Capability.GRANT_KEY_HOLDER_ACCESS,
        Capability.RESET_COLLEAGUE_TWO_FACTOR,
        Capability.REMOVE_MEMBERSHIP,
        Capability.APPROVE_INFORMATION_SHARING,
        Capability.APPROVE_AGENCY_ACCESS,
        Capability.VIEW_SCHOOL_STATISTICS,
        Capability.VIEW_TRUST_STATISTICS,
        Capability.ASSIGN_SCHOOL_DSL,
        Capability.RESET_USER_TWO_FACTOR,
        Capability.MANAGE_SCHOOLS,
        Capability.INVITE_STAFF,
        Capability.IMPORT_PUPILS,
        Capability.MANAGE_CATEGORIES,
        Capability.MANAGE_API_KEYS,
        # Term dates move every deadline of the school.
        Capability.MANAGE_SCHOOL_CALENDAR,
        # Money: what the trust owes, and a school added to what it pays for.
        Capability.VIEW_TRUST_BILLING,
        Capability.MANAGE_TRUST_BILLING,
        Capability.MANAGE_SUBJECT_ACCESS,
        Capability.TRANSFER_FILES,
    }
)


class ApiScope(models.TextChoices):
    """What an API key may be used for (docs/api.md, "Keys and scopes"). A key also acts with
    no more rights than its holder has here now: both must allow a request."""

    READ_PUPILS = "read_pupils", "Read the pupil roll"
    WRITE_PUPILS = "write_pupils", "Update the pupil roll (MIS sync)"
    WRITE_CONCERNS = "write_concerns", "Record concerns"
    READ_RECORDS = "read_records", "Read concerns, actions and chronologies"
    ENCOMPASS = "encompass", "Operation Encompass notifications"


# What a key of each scope may do, within its holder's role: a key without a scope that grants
# a capability never uses it, whatever its holder may do in person.
SCOPE_CAPABILITIES: dict[ApiScope, frozenset[Capability]] = {
    ApiScope.READ_PUPILS: frozenset({Capability.IMPORT_PUPILS, Capability.VIEW_CATEGORY_GUIDANCE}),
    ApiScope.WRITE_PUPILS: frozenset({Capability.IMPORT_PUPILS}),
    ApiScope.WRITE_CONCERNS: frozenset(
        {Capability.RECORD_CONCERN, Capability.VIEW_CATEGORY_GUIDANCE}
    ),
    ApiScope.READ_RECORDS: frozenset(
        {
            Capability.VIEW_ALL_RECORDS,
            Capability.VIEW_GRANTED_RECORDS,
            Capability.SEARCH_RECORDS,
            Capability.VIEW_CATEGORY_GUIDANCE,
        }
    ),
    # Recording a police notification is the key adult's (the DSL's or a deputy's) part.
    ApiScope.ENCOMPASS: frozenset({Capability.SCREEN_CONCERNS}),
}
# Who may create a key of each scope: the DSL any; the school administrator the pupil-sync
# scopes only, which never read or write safeguarding flags (docs/api.md).
KEY_CREATORS: dict[Role, frozenset[ApiScope]] = {
    Role.DSL: frozenset(ApiScope),
    Role.SCHOOL_ADMIN: frozenset({ApiScope.READ_PUPILS, ApiScope.WRITE_PUPILS}),
}


def api_key_scopes(request: HttpRequest) -> frozenset[str] | None:
    """The scopes of the API key the request was made with; None for a signed-in session."""
    key = getattr(request, "api_key", None)
    return None if key is None else frozenset(key.scopes)


# Roles whose holders read child records: 2FA required, 30-minute idle timeout.
CHILD_DATA_ROLES = frozenset({Role.KEY_HOLDER, Role.DEPUTY_DSL, Role.DSL, Role.HEADTEACHER})


class Decision(enum.Enum):
    ALLOWED = "allowed"
    LOGIN_REQUIRED = "login_required"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    DENIED = "denied"


@dataclass(frozen=True)
class Place:
    """Where a request is: one school, or the root domain (trust portal)."""

    school: School | None

    @property
    def is_school(self) -> bool:
        return self.school is not None


# Asked on every request in a school (by the idle sign-out and every permission check): compiled
# once per process. One row at most (membership_one_per_school).
_SCHOOL_ROLE = Prepared(
    lambda user_id, school_id: SchoolMembership.objects.filter(
        user_id=user_id, school_id=school_id
    ).values("role")[:1],
    SchoolMembership,
)


def school_role(user: User, school: School) -> Role | None:
    if not user.is_authenticated or not user.is_active:
        return None
    rows = _SCHOOL_ROLE.rows(user_id=user.pk, school_id=school.pk)
    return Role(rows[0]["role"]) if rows and rows[0]["role"] else None


def trust_roles(user: User) -> dict[int, frozenset[Role]]:
    """The user's roles per trust id."""
    if not user.is_authenticated or not user.is_active:
        return {}
    roles: dict[int, set[Role]] = {}
    for trust_id, role in TrustMembership.objects.filter(user=user).values_list("trust_id", "role"):
        roles.setdefault(trust_id, set()).add(Role(role))
    return {trust_id: frozenset(r) for trust_id, r in roles.items()}


def _request_trust_roles(request: HttpRequest) -> dict[int, frozenset[Role]]:
    """`trust_roles` of the request's user, cached on the request."""
    cached = getattr(request, "_trust_roles", None)
    if cached is None:
        cached = trust_roles(request.user)  # type: ignore[arg-type]
        request._trust_roles = cached  # type: ignore[attr-defined]
    return cached


def roles_here(request: HttpRequest) -> frozenset[Role]:
    """The user's roles where the request is; cached on the request."""
    cached = getattr(request, "_roles_here", None)
    if cached is not None:
        return cached
    user = request.user
    school = school_of_request(request)
    roles: frozenset[Role]
    if not user.is_authenticated:
        roles = frozenset()
    elif school is not None:
        role = school_role(user, school)
        roles = frozenset({role}) if role else frozenset()
    else:
        roles = frozenset().union(*_request_trust_roles(request).values())
    request._roles_here = roles  # type: ignore[attr-defined]
    return roles


def role_allows(roles: frozenset[Role], capability: Capability) -> bool:
    return any(capability in ROLE_CAPABILITIES.get(role, frozenset()) for role in roles)


def roles_allowed(capability: Capability) -> frozenset[Role]:
    """Every role whose holders may do `capability`."""
    return frozenset(role for role, allowed in ROLE_CAPABILITIES.items() if capability in allowed)


def two_factor_passed(request: HttpRequest) -> bool:
    if getattr(request, "api_key", None) is not None:
        # Made by its holder behind two-factor, shown once, stored hashed (docs/api.md).
        return True
    return bool(request.user.is_authenticated and request.session.get(SESSION_OTP_VERIFIED))


def decide(request: HttpRequest, capability: Capability) -> Decision:
    if not request.user.is_authenticated:
        return Decision.LOGIN_REQUIRED
    if not role_allows(roles_here(request), capability):
        return Decision.DENIED
    scopes = api_key_scopes(request)
    if scopes is not None and not any(
        capability in SCOPE_CAPABILITIES.get(ApiScope(scope), frozenset()) for scope in scopes
    ):
        return Decision.DENIED
    if capability in NEEDS_TWO_FACTOR and not two_factor_passed(request):
        return Decision.TWO_FACTOR_REQUIRED
    return Decision.ALLOWED


def can(request: HttpRequest, capability: Capability) -> bool:
    return decide(request, capability) is Decision.ALLOWED


def trust_for_capability(request: HttpRequest, capability: Capability) -> Trust | None:
    """On the root domain: the trust in which the user may do `capability` (one trust per user)."""
    from tenants.models import Trust  # noqa: PLC0415 - tenants imports accounts

    for trust_id, roles in _request_trust_roles(request).items():
        if role_allows(roles, capability):
            return Trust.objects.get(pk=trust_id)
    return None


def refusal(request: HttpRequest, decision: Decision) -> HttpResponse:
    """The response for a refused decision: login, two-factor, or the same 404 as 'missing'."""
    if decision is Decision.LOGIN_REQUIRED:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    if decision is Decision.TWO_FACTOR_REQUIRED:
        enrolled = getattr(request.user, "has_two_factor", False)
        target = "accounts:two_factor" if enrolled else "accounts:two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
    raise Http404


def require(
    capability: Capability,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: the view runs only when `capability` is allowed here."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            decision = decide(request, capability)
            if decision is not Decision.ALLOWED:
                return refusal(request, decision)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


class TemplatePermissions:
    """`{% if can.manage_roles %}` in templates: asks `decide` for the named capability."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def __getitem__(self, name: str) -> bool:
        try:
            capability = Capability(name)
        except ValueError:
            return False
        return can(self._request, capability)


def permissions_context(request: HttpRequest) -> dict[str, object]:
    return {"can": SimpleLazyObject(lambda: TemplatePermissions(request))}


def acting_user(request: HttpRequest) -> User:
    """The signed-in user making the request, for views only they reach (`require`,
    `login_required`): never anonymous there."""
    return request.user  # type: ignore[return-value]

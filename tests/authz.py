"""The vocabulary of the authorisation matrix (tests/trustplatform/test_authorization_matrix.py).

Rows for the pages of one area live beside that area's tests, in `tests/<app>/authz_<area>.py`
as `SCHOOL_ROWS` / `ROOT_ROWS`; the matrix test gathers them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tests.conftest import World
from trustplatform.accounts.models import DslHandoverRequest, Role, SchoolMembership

OK, LOGIN, TWO_FACTOR, DENIED = "ok", "login", "2fa", "denied"

# Who is asking. School-site actors ask on school A's site; root actors on the root domain.
SCHOOL_ACTORS = (
    "anonymous",
    "a:staff",
    "a:key_holder",
    "a:deputy_dsl",
    "a:dsl",
    "a:headteacher",
    "a:governor",
    "a:school_admin",
    "b:dsl",
    "c:dsl",
    "trust:trust_admin",
)
ROOT_ACTORS = (
    "anonymous",
    "trust:trust_admin",
    "trust:trust_safeguarding_lead",
    "trust:trustee",
    "other_trust:trust_admin",
    "a:dsl",
    "operator",
)
WITHOUT_TWO_FACTOR = frozenset({"a:staff", "a:governor", "a:school_admin"})


@dataclass(frozen=True)
class Row:
    """Expected outcome per actor; anyone not named is LOGIN when anonymous, else DENIED."""

    allowed: frozenset[str]
    method: str = "GET"
    # The form sent (POST) or the query string (GET).
    data: dict[str, str] = field(default_factory=dict)
    kwargs: Callable[[World], Mapping[str, object]] | None = None
    two_factor_first: frozenset[str] = frozenset()
    anonymous: str = LOGIN
    refused: str = DENIED
    # An API operation: the body is sent as JSON, and a 400 naming the body's problems means
    # the caller got past the door (tests/safeguarding/authz_api.py).
    json: bool = False


def actors(*names: str) -> frozenset[str]:
    return frozenset(names)


EVERYONE_SCHOOL = frozenset(SCHOOL_ACTORS)
EVERYONE_ROOT = frozenset(ROOT_ACTORS)
SIGNED_IN_SCHOOL = EVERYONE_SCHOOL - {"anonymous"}
SIGNED_IN_ROOT = EVERYONE_ROOT - {"anonymous"}
A_MEMBERS = actors(
    "a:staff",
    "a:key_holder",
    "a:deputy_dsl",
    "a:dsl",
    "a:headteacher",
    "a:governor",
    "a:school_admin",
)


def membership_of(place_role: tuple[str, Role]) -> Callable[[World], Mapping[str, object]]:
    """URL kwargs naming the membership of one person of the world."""

    def kwargs(world: World) -> Mapping[str, object]:
        user = world.person(*place_role)
        return {"membership_id": SchoolMembership.objects.get(user=user).pk}

    return kwargs


def pending_dsl_naming(world: World) -> Mapping[str, object]:
    """URL kwargs naming a fresh request of the trust admin to make school A's staff member DSL."""
    pending = DslHandoverRequest.objects.create(
        school=world.school_a,
        nominee=world.person("a", Role.STAFF),
        requested_by=world.person("trust", Role.TRUST_ADMIN),
    )
    return {"request_id": pending.pk}

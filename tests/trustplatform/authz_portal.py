"""Who may open the trust portal's pages (merged into test_authorization_matrix.py).

School A belongs to `trust`: the other trust's admin gets the same 404 as for a missing school,
and the trust's safeguarding lead and trustees, who may see the list, may not change anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.authz import Row, actors
from tests.conftest import World
from trustplatform.accounts.models import Role, SchoolMembership

TRUST_ADMIN = actors("trust:trust_admin")


def _school_a(world: World) -> Mapping[str, object]:
    return {"school_id": world.school_a.pk}


def _dsl_of_a(world: World) -> Mapping[str, object]:
    dsl = world.person("a", Role.DSL)
    return {"membership_id": SchoolMembership.objects.get(user=dsl).pk}


ROOT_ROWS: dict[str, Row] = {
    "portal:home": Row(
        allowed=actors(
            "trust:trust_admin",
            "trust:trust_safeguarding_lead",
            "trust:trustee",
            "other_trust:trust_admin",
        )
    ),
    # Each trust's admin creates schools in their own trust.
    "portal:school_create": Row(allowed=actors("trust:trust_admin", "other_trust:trust_admin")),
    "portal:school_dsl": Row(allowed=TRUST_ADMIN, kwargs=_school_a),
    "portal:school_domain": Row(allowed=TRUST_ADMIN, kwargs=_school_a),
    "portal:school_rename": Row(allowed=TRUST_ADMIN, kwargs=_school_a),
    # GET: the confirmation step; the POST is tested in tests/trustplatform/test_portal.py.
    "portal:school_suspend": Row(allowed=TRUST_ADMIN, kwargs=_school_a),
    "portal:school_reactivate": Row(allowed=TRUST_ADMIN, kwargs=_school_a),
    "portal:dsl_training": Row(allowed=TRUST_ADMIN, kwargs=_dsl_of_a),
    # Each trust admin sees the people of their own trust's schools.
    "portal:two_factor_people": Row(allowed=actors("trust:trust_admin", "other_trust:trust_admin")),
    # School A's headteacher: the other trust's admin gets the same 404 as for nobody.
    "portal:two_factor_reset": Row(
        allowed=TRUST_ADMIN,
        method="POST",
        kwargs=lambda world: {"user_id": world.person("a", Role.HEADTEACHER).pk},
    ),
}

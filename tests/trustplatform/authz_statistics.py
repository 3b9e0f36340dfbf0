"""Who may open the statistics pages and their API: the trust's safeguarding lead on the root
domain; on a school's site its DSL, deputies, headteacher and governors (governors set up
two-factor first)."""

from __future__ import annotations

from tests.authz import SIGNED_IN_ROOT, Row, actors

SCHOOL_ROWS = {
    # Over a chosen period: the same people, and the same refusals (another school's DSL, staff,
    # the trust admin, anonymous) as without one.
    "school_statistics:page": Row(
        allowed=actors("a:deputy_dsl", "a:dsl", "a:headteacher", "a:governor"),
        two_factor_first=actors("a:governor"),
        data={"period": "term:2025-spring"},
    ),
}
ROOT_ROWS = {
    "trust_statistics:dashboard": Row(allowed=actors("trust:trust_safeguarding_lead")),
    # Every school of the lead's trust, a page at a time.
    "trust_statistics:schools": Row(
        allowed=actors("trust:trust_safeguarding_lead"), data={"q": "a", "page": "1"}
    ),
    # One school of the lead's own trust; another trust's school is refused in
    # tests/trustplatform/test_statistics_periods.py.
    "trust_statistics:school": Row(
        allowed=actors("trust:trust_safeguarding_lead"),
        kwargs=lambda w: {"school_id": w.school_a.pk},
    ),
    # The same figures through the portal's API (docs/api.md, "Trust statistics"); its schema
    # and docs page are for anyone signed in, like a school's.
    "portal_api:statistics": Row(
        allowed=actors("trust:trust_safeguarding_lead"), data={"period": "term:2025-spring"}
    ),
    "portal_api:school_statistics": Row(
        allowed=actors("trust:trust_safeguarding_lead"),
        kwargs=lambda w: {"school_id": w.school_a.pk},
    ),
    "portal_api:schema": Row(allowed=SIGNED_IN_ROOT),
    "portal_api:docs": Row(allowed=SIGNED_IN_ROOT),
}

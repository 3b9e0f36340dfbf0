"""Who may call each API operation with a signed-in session (merged into
tests/trustplatform/test_authorization_matrix.py). Keys are tested in tests/api/.

The API asks the same permission layer as the pages: readers of child records read pupils,
concerns and chronologies (a key holder without a grant sees empty lists and gets 404 for one
pupil or concern); whoever records concerns sees the categories; the DSL syncs pupils; the DSL
and deputies record Operation Encompass notifications. The world's school administrator has no
two-factor, so the API refuses them (403: an API has no two-factor page to send them to). The
schema and its docs are for anyone signed in.
"""

from __future__ import annotations

from collections.abc import Mapping

from django_tenants.utils import schema_context

from safeguarding.services.api_keys import api_key_create
from tests.authz import SIGNED_IN_SCHOOL, Row, actors
from tests.conftest import World
from tests.safeguarding.authz_concerns import concern_kwargs, pupil_kwargs
from trustplatform.accounts.models import Role

READERS = actors("a:key_holder", "a:deputy_dsl", "a:dsl", "a:headteacher")
LEADS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")
RECORDERS = actors("a:staff", "a:key_holder", "a:deputy_dsl", "a:dsl", "a:headteacher")


def _sync_key(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        made = api_key_create(
            school=world.school_a,
            actor=world.person("a", Role.DSL),
            role=Role.DSL,
            name="Nightly MIS sync",
            scopes=["read_pupils", "write_pupils"],
        )
        return {"key_id": made.key.pk}


SCHOOL_ROWS: dict[str, Row] = {
    "api:schema": Row(allowed=SIGNED_IN_SCHOOL),
    "api:docs": Row(allowed=SIGNED_IN_SCHOOL),
    "api:pupil_list": Row(allowed=READERS),
    "api:pupil_detail": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "api:pupil_sync": Row(
        allowed=actors("a:dsl"),
        method="POST",
        json=True,
        data={"pupils": [{"upn": "not a upn"}]},  # type: ignore[dict-item]
    ),
    "api:chronology": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "api:category_list": Row(allowed=RECORDERS),
    "api:concern_list": Row(allowed=READERS),
    # The key adult (the DSL or a deputy) records a police notification, as on its page.
    "api:encompass_notification": Row(
        allowed=actors("a:deputy_dsl", "a:dsl"),
        method="POST",
        json=True,
        data={"police_force": ""},
    ),
    "api:concern_detail": Row(allowed=LEADS, kwargs=concern_kwargs()),
    "api:action_list": Row(allowed=LEADS, kwargs=concern_kwargs()),
    "staff:api_keys": Row(allowed=actors("a:dsl"), two_factor_first=actors("a:school_admin")),
    "staff:api_key_revoke": Row(
        allowed=actors("a:dsl"),
        method="POST",
        kwargs=_sync_key,
        two_factor_first=actors("a:school_admin"),
    ),
}

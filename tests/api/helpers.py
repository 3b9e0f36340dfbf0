"""Keys and clients for the API tests: keys made through the service, as the page makes them."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django_tenants.utils import schema_context

from safeguarding.services.api_keys import NewKey, api_key_create
from tenants.models import School
from tests.conftest import World, host_of
from trustplatform.accounts.models import Role


def make_key(
    world: World,
    *scopes: str,
    school: str = "a",
    role: Role = Role.DSL,
    expires_at: dt.datetime | None = None,
) -> NewKey:
    target: School = getattr(world, f"school_{school}")
    with schema_context(target.schema_name):
        return api_key_create(
            school=target,
            actor=world.person(school, role),
            role=role,
            name="Test integration",
            scopes=scopes,
            expires_at=expires_at,
        )


def key_client(school: School, token: str) -> Client:
    """A client on the school's site sending `token` as its API key, with no session."""
    return Client(HTTP_HOST=host_of(school), HTTP_AUTHORIZATION=f"Bearer {token}")


ALL_SCOPES = ("read_pupils", "write_pupils", "write_concerns", "read_records", "encompass")

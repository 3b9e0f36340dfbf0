from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Trust
from tests.conftest import World
from trustplatform.accounts.models import Role, TrustMembership, User


def test_create_trust_command_creates_the_trust_and_its_admin_without_a_password(
    world: World, db: None
) -> None:
    out = StringIO()
    call_command(
        "create_trust",
        name="Fernhill Schools Trust",
        slug="fernhill",
        admin_email="ada.quill@example.org",
        admin_name="Ada Quill",
        stdout=out,
    )

    trust = Trust.objects.get(slug="fernhill")
    admin = User.objects.get(email="ada.quill@example.org")
    assert TrustMembership.objects.filter(user=admin, trust=trust, role=Role.TRUST_ADMIN).exists()
    assert not admin.has_usable_password()
    assert "http://localhost:8000/accounts/password/reset/" in out.getvalue()


def test_create_trust_command_refuses_a_taken_slug_and_creates_no_admin(
    world: World, db: None
) -> None:
    with pytest.raises(CommandError, match="Trust not created"):
        call_command(
            "create_trust",
            name="Another Northwood",
            slug="northwood",
            admin_email="new.admin@example.org",
            admin_name="Nell Ash",
        )
    assert not User.objects.filter(email="new.admin@example.org").exists()


def test_create_trust_command_refuses_an_email_that_has_an_account(world: World, db: None) -> None:
    taken = world.person("a", Role.DSL).email
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "create_trust", name="Fernhill", slug="fernhill", admin_email=taken, admin_name="X Y"
        )
    assert not Trust.objects.filter(slug="fernhill").exists()

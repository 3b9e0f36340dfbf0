from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_exists

from tenants.models import School
from tests.conftest import World

# Schools are created and their schemas altered as the owner role does (docs/security.md,
# "Database roles"), inside the test's transaction.
pytestmark = pytest.mark.usefixtures("as_owner")


def test_create_school_command_creates_a_school_and_prints_its_address(
    world: World, db: None
) -> None:
    out = StringIO()
    call_command(
        "create_school",
        trust="northwood",
        name="Rowan Field Primary",
        slug="rowanfield",
        urn="934567",
        stdout=out,
    )

    assert "http://rowanfield.localhost" in out.getvalue()
    assert School.objects.get(slug="rowanfield").trust == world.trust
    assert schema_exists("school_rowanfield")


def test_create_school_command_reports_every_problem_and_creates_nothing(
    world: World, db: None
) -> None:
    with pytest.raises(CommandError) as exc:
        call_command(
            "create_school",
            trust="northwood",
            name="Rowan Field Primary",
            slug="alder",
            urn="12",
            stdout=StringIO(),
        )

    message = str(exc.value)
    assert "slug:" in message
    assert "urn: A DfE URN is exactly 6 digits." in message
    assert not School.objects.filter(name="Rowan Field Primary").exists()


def test_create_school_command_names_an_unknown_trust(world: World, db: None) -> None:
    with pytest.raises(CommandError, match="No trust with slug “nope”"):
        call_command(
            "create_school",
            trust="nope",
            name="X School",
            slug="xschool",
            urn="934568",
            stdout=StringIO(),
        )

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings

from billing.models import Invoice
from safeguarding.models import Category, ChronologyEntry, Concern, Pupil
from tenants.models import School, Trust
from tests.conftest import World
from trustplatform.accounts.models import SCHOOL_ROLES, TRUST_ROLES, SchoolMembership, User
from trustplatform.demo_data import DEMO_PASSWORD, DEMO_SCHOOLS


def test_demo_seed_creates_the_trust_its_people_and_their_records_once(
    world: World, db: None, settings: Settings, tmp_path: Path
) -> None:
    # The one test that seeds everything (about 20 s): the other tests here stay fast.
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    out = StringIO()
    call_command("seed_demo", stdout=out)

    trust = Trust.objects.get(slug="kestrel-vale")
    schools = School.objects.filter(trust=trust)
    assert schools.count() == 3
    records = {}
    for school in schools:
        roles = set(SchoolMembership.objects.filter(school=school).values_list("role", flat=True))
        assert roles == {r.value for r in SCHOOL_ROLES}
        with schema_context(school.schema_name):
            assert Category.objects.exists()
            records[school.slug] = (
                Pupil.objects.count(),
                Concern.objects.count(),
                ChronologyEntry.objects.count(),
            )
        pupils, concerns, entries = records[school.slug]
        assert 80 <= pupils <= 150
        assert 60 <= concerns <= 120
        assert entries > 5 * concerns
        assert (
            f"{school.name}: {pupils} pupils, {concerns} concerns, {entries} chronology entries "
            "(seeded)" in out.getvalue()
        )
    assert set(trust.memberships.values_list("role", flat=True)) == {r.value for r in TRUST_ROLES}
    assert "http://oakfield.localhost:8000/" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert User.objects.get(email="dsl.oakfield@example.org").check_password(DEMO_PASSWORD)
    people = (School.objects.count(), User.objects.count(), SchoolMembership.objects.count())

    again = StringIO()
    call_command("seed_demo", stdout=again)

    assert (
        School.objects.count(),
        User.objects.count(),
        SchoolMembership.objects.count(),
    ) == people
    assert School.objects.filter(slug__in=[s.slug for s in DEMO_SCHOOLS]).count() == 3
    for school in schools:
        with schema_context(school.schema_name):
            assert (
                Pupil.objects.count(),
                Concern.objects.count(),
                ChronologyEntry.objects.count(),
            ) == records[school.slug]
    assert again.getvalue().count("(already seeded)") == 3
    # The trust's subscription and its one invoice, each school a line banded by its pupils.
    [invoice] = Invoice.objects.filter(trust=trust)
    assert invoice.lines.count() == 3
    assert all(line.pupils > 0 and line.band_name for line in invoice.lines.all())
    assert f"Subscription invoiced: {invoice.reference}" in out.getvalue()


def test_demo_seed_is_refused_in_production(
    world: World, db: None, settings: pytest.FixtureRequest
) -> None:
    settings.IS_PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="never seeded in production"):
        call_command("seed_demo", stdout=StringIO())

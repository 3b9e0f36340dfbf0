"""The trust portal: the trust admin's list of schools, creating one, its subdomain, suspending
it, naming its DSL and recording DSL training; what the lead and trustees may see; refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from tenants.addresses import site_origin
from tenants.models import Domain, School
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.portal.selectors import dsl_training_due_on
from trustplatform.statistics.models import SchoolSnapshot

pytestmark = pytest.mark.django_db

PORTAL = "trustplatform.urls_public"


def url(name: str, **kwargs: object) -> str:
    return reverse(name, urlconf=PORTAL, kwargs=kwargs or None)


def admin_client(world: World) -> tuple[Client, User]:
    admin = world.person("trust", Role.TRUST_ADMIN)
    return school_client(None, admin), admin


def membership_of(user: User) -> SchoolMembership:
    return SchoolMembership.objects.get(user=user)


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_only_the_schools_of_the_users_trust(world: World) -> None:
    client, _ = admin_client(world)
    page = client.get(url("portal:home")).content.decode()
    assert "Alder Lane Primary" in page
    assert "Birchwood Academy" in page
    assert "Cedar Bank School" not in page
    assert "alder.localhost" in page
    other = school_client(None, world.person("other_trust", Role.TRUST_ADMIN))
    page = other.get(url("portal:home")).content.decode()
    assert "Cedar Bank School" in page
    assert "Alder Lane Primary" not in page


def test_list_shows_pupils_on_roll_or_not_counted_yet(world: World) -> None:
    SchoolSnapshot.objects.create(
        school=world.school_a, pupils_on_roll=413, refreshed_at=timezone.now()
    )
    client, _ = admin_client(world)
    page = client.get(url("portal:home")).content.decode()
    assert "413" in page
    assert page.count("Not counted yet") == 1  # Birchwood has no snapshot


def test_list_names_the_dsl_and_deputies(world: World) -> None:
    client, _ = admin_client(world)
    page = client.get(url("portal:home")).content.decode()
    assert "Designated Safeguarding Lead of Alder Lane Primary" in page
    assert "Deputy DSL of Birchwood Academy" in page
    assert "Staff of Alder Lane Primary" not in page


def test_list_page_makes_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Callable[[int], Any]
) -> None:
    client, _ = admin_client(world)
    client.get(url("portal:home"))  # warm the session
    # session, user, trust roles (once per the template's permission checks), trust, schools, leads
    with django_assert_max_num_queries(12):
        assert client.get(url("portal:home")).status_code == 200


@pytest.mark.parametrize("role", [Role.TRUST_SAFEGUARDING_LEAD, Role.TRUSTEE])
def test_lead_and_trustee_see_the_list_without_edit_links(world: World, role: Role) -> None:
    client = school_client(None, world.person("trust", role))
    response = client.get(url("portal:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alder Lane Primary" in page
    for name in ("portal:school_create", "portal:school_dsl", "portal:school_suspend"):
        kwargs = {} if name == "portal:school_create" else {"school_id": world.school_a.pk}
        assert url(name, **kwargs) not in page
    assert "Record training" not in page


# --- creating a school ---------------------------------------------------------------------------


# The portal creates a school through the owner role's connection (docs/security.md, "Database
# roles"): these tests run through it, so the school is made inside the test's transaction.
def test_trust_admin_creates_a_school_with_its_schema_and_is_offered_its_dsl(
    as_owner: None, world: World
) -> None:
    client, admin = admin_client(world)
    response = client.post(
        url("portal:school_create"),
        {"name": "Hazel Grove Primary", "slug": "hazelgrove", "urn": "900077", "phase": "primary"},
    )
    school = School.objects.get(slug="hazelgrove")
    assert response.status_code == 302
    assert response["Location"] == url("portal:school_dsl", school_id=school.pk)
    assert school.trust == world.trust
    assert schema_exists(school.schema_name)
    assert Domain.objects.filter(tenant=school, domain="hazelgrove.localhost").exists()
    event = AuditEvent.objects.get(action=AuditAction.SCHOOL_CREATED, school_id=school.pk)
    assert event.actor_id == admin.pk
    assert (
        "Now name its Designated Safeguarding Lead"
        in client.get(response["Location"]).content.decode()
    )


@pytest.mark.parametrize(
    ("slug", "urn", "field_message"),
    [
        ("admin", "900078", "is reserved"),
        ("alder", "900078", "Slug already exists"),
        ("Not A Slug!", "900078", "lower-case letters"),
        ("rowan", "12", "exactly 6 digits"),
        ("rowan", "900001", "already exists"),  # school A's URN
    ],
)
def test_a_bad_subdomain_or_urn_shows_the_error_and_creates_nothing(
    as_owner: None, world: World, slug: str, urn: str, field_message: str
) -> None:
    client, _ = admin_client(world)
    schools = School.objects.count()
    response = client.post(
        url("portal:school_create"),
        {"name": "Rowan Tree School", "slug": slug, "urn": urn, "phase": "primary"},
    )
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert School.objects.count() == schools
    assert not schema_exists("school_rowan")


# --- the subdomain -------------------------------------------------------------------------------


def test_changing_the_subdomain_moves_the_site_and_keeps_the_schema(world: World) -> None:
    client, admin = admin_client(world)
    school = world.school_b
    response = client.post(url("portal:school_domain", school_id=school.pk), {"slug": "birch-hill"})
    assert response.status_code == 302
    moved = School.objects.get(pk=school.pk)
    assert moved.slug == "birch-hill"
    assert moved.schema_name == school.schema_name
    assert Client(HTTP_HOST="birch-hill.localhost").get("/accounts/login/").status_code == 200
    assert Client(HTTP_HOST="birchwood.localhost").get("/accounts/login/").status_code == 404
    event = AuditEvent.objects.get(action=AuditAction.SCHOOL_DOMAIN_CHANGED)
    assert event.actor_id == admin.pk
    assert event.data["old_slug"] == "birchwood"
    assert event.data["new_slug"] == "birch-hill"


@pytest.mark.parametrize(
    ("slug", "message"),
    [("www", "is reserved"), ("alder", "already in use"), ("x", "lower-case letters")],
)
def test_a_bad_new_subdomain_is_refused(world: World, slug: str, message: str) -> None:
    client, _ = admin_client(world)
    response = client.post(url("portal:school_domain", school_id=world.school_b.pk), {"slug": slug})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert School.objects.get(pk=world.school_b.pk).slug == "birchwood"
    assert not AuditEvent.objects.filter(action=AuditAction.SCHOOL_DOMAIN_CHANGED).exists()


# --- the name ------------------------------------------------------------------------------------


def test_renaming_a_school_changes_its_name_everywhere_and_keeps_its_site(world: World) -> None:
    client, admin = admin_client(world)
    school = world.school_b
    response = client.post(url("portal:school_rename", school_id=school.pk), {"name": "Birch Hill"})
    assert response.status_code == 302
    assert (
        "Birchwood Academy is now called Birch Hill."
        in client.get(response["Location"]).content.decode()
    )
    renamed = School.objects.get(pk=school.pk)
    assert renamed.name == "Birch Hill"
    assert (renamed.slug, renamed.schema_name) == (school.slug, school.schema_name)
    assert "Birch Hill" in client.get(url("portal:home")).content.decode()
    event = AuditEvent.objects.get(action=AuditAction.SCHOOL_RENAMED)
    assert event.actor_id == admin.pk
    assert event.data == {"old_name": school.name, "new_name": "Birch Hill"}


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "This field is required"), ("ALDER LANE  primary", "Another school of the trust")],
)
def test_a_bad_new_name_is_refused_and_keeps_what_was_typed(
    world: World, name: str, message: str
) -> None:
    client, _ = admin_client(world)
    old_name = world.school_b.name
    response = client.post(url("portal:school_rename", school_id=world.school_b.pk), {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert School.objects.get(pk=world.school_b.pk).name == old_name
    assert not AuditEvent.objects.filter(action=AuditAction.SCHOOL_RENAMED).exists()


# --- suspending ----------------------------------------------------------------------------------


def test_suspend_asks_first_then_the_schools_site_shows_the_suspended_page(world: World) -> None:
    client, admin = admin_client(world)
    school = world.school_a
    confirm = client.get(url("portal:school_suspend", school_id=school.pk))
    assert "Suspend Alder Lane Primary?" in confirm.content.decode()
    assert School.objects.get(pk=school.pk).is_active  # a GET changes nothing

    assert client.post(url("portal:school_suspend", school_id=school.pk)).status_code == 302
    site = Client(HTTP_HOST="alder.localhost").get("/accounts/login/")
    assert site.status_code == 403
    assert "this site is suspended" in site.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.SCHOOL_SUSPENDED, school_id=school.pk)
    assert event.actor_id == admin.pk

    assert client.post(url("portal:school_reactivate", school_id=school.pk)).status_code == 302
    assert Client(HTTP_HOST="alder.localhost").get("/accounts/login/").status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.SCHOOL_REACTIVATED, school_id=school.pk, actor_id=admin.pk
    ).exists()


# --- the DSL -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_assigning_a_dsl_emails_them_without_child_data_and_audits_it(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with schema_context(world.school_a.schema_name):
        enrol(first="Tamsin", last="Oakridge", serial=88001)
    client, admin = admin_client(world)
    # A school without a DSL gets the one named at once (a replacement waits for the school:
    # tests/trustplatform/test_grants.py).
    previous = world.person("a", Role.DSL)
    SchoolMembership.objects.filter(user=previous).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("portal:school_dsl", school_id=world.school_a.pk),
            {"full_name": "Morgan Ellis", "email": "Morgan.Ellis@example.org"},
        )
    assert response.status_code == 302
    new_dsl = User.objects.get(email="morgan.ellis@example.org")
    assert membership_of(new_dsl).role == Role.DSL
    [message] = mail.outbox
    assert message.to == ["morgan.ellis@example.org"]
    assert "Alder Lane Primary" in message.subject
    assert f"{site_origin(world.school_a)}/accounts/invite/" in message.body
    for child_data in ("Tamsin", "Oakridge", "pupil", "concern"):
        assert child_data not in message.body
    event = AuditEvent.objects.get(action=AuditAction.DSL_HANDOVER, school_id=world.school_a.pk)
    assert event.actor_id == admin.pk
    assert event.target_id == str(new_dsl.pk)
    assert event.data["previous_dsl_id"] is None


# --- DSL training --------------------------------------------------------------------------------


def test_the_refresh_falls_due_two_years_after_the_training() -> None:
    assert dsl_training_due_on(dt.date(2024, 9, 3)) == dt.date(2026, 9, 3)
    assert dsl_training_due_on(dt.date(2024, 2, 29)) == dt.date(2026, 2, 28)


def test_training_dates_show_their_refresh_and_flag_overdue_and_due_soon(world: World) -> None:
    dsl_a = membership_of(world.person("a", Role.DSL))
    deputy_a = membership_of(world.person("a", Role.DEPUTY_DSL))
    dsl_b = membership_of(world.person("b", Role.DSL))
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        client, admin = admin_client(world)
        for membership, trained_on in (
            (dsl_a, "2024-02-20"),  # due 20 Feb 2026: overdue
            (deputy_a, "2024-04-15"),  # due 15 Apr 2026: within 60 days
            (dsl_b, "2025-01-10"),  # due 10 Jan 2027: current
        ):
            response = client.post(
                url("portal:dsl_training", membership_id=membership.pk), {"trained_on": trained_on}
            )
            assert response.status_code == 302, response.content.decode()
        page = client.get(url("portal:home")).content.decode()
    assert 'trained 20 Feb 2024, refresh due 20 Feb 2026 <strong class="tag tag--overdue">' in page
    assert 'trained 15 Apr 2024, refresh due 15 Apr 2026 <strong class="tag tag--due-soon">' in page
    assert "trained 10 Jan 2025, refresh due 10 Jan 2027\n" in page
    assert page.count("Overdue") == 1
    assert page.count("Due soon") == 1
    events = AuditEvent.objects.filter(actor_id=admin.pk, data__field="dsl_training_on")
    assert events.count() == 3
    assert events.filter(
        target_id=str(dsl_a.user_id), data__new_dsl_training_on="2024-02-20"
    ).exists()


def test_a_training_date_in_the_future_is_refused(world: World) -> None:
    client, _ = admin_client(world)
    membership = membership_of(world.person("a", Role.DSL))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        url("portal:dsl_training", membership_id=membership.pk),
        {"trained_on": tomorrow.isoformat()},
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert SchoolMembership.objects.get(pk=membership.pk).dsl_training_on is None


def test_training_is_recorded_only_for_the_dsl_and_deputies(world: World) -> None:
    client, _ = admin_client(world)
    staff = membership_of(world.person("a", Role.STAFF))
    response = client.get(url("portal:dsl_training", membership_id=staff.pk))
    assert response.status_code == 404


# --- refusals ------------------------------------------------------------------------------------


def _school_urls(world: World, school: School) -> list[str]:
    dsl = SchoolMembership.objects.get(school=school, role=Role.DSL)
    return [
        url("portal:school_dsl", school_id=school.pk),
        url("portal:school_domain", school_id=school.pk),
        url("portal:school_suspend", school_id=school.pk),
        url("portal:school_reactivate", school_id=school.pk),
        url("portal:dsl_training", membership_id=dsl.pk),
    ]


def test_another_trusts_admin_gets_404_for_every_school_and_changes_nothing(
    world: World,
) -> None:
    client = school_client(None, world.person("other_trust", Role.TRUST_ADMIN))
    for school in (world.school_a, world.school_b):
        for address in _school_urls(world, school):
            assert client.get(address).status_code == 404, address
            post = client.post(address, {"slug": "stolen", "trained_on": "2025-01-01"})
            assert post.status_code == 404, address
    missing = url("portal:school_suspend", school_id=999_999)
    assert (
        school_client(None, world.person("trust", Role.TRUST_ADMIN)).get(missing).status_code == 404
    )
    assert School.objects.filter(trust=world.trust, status="active").count() == 2
    assert not School.objects.filter(slug="stolen").exists()


@pytest.mark.parametrize("role", [Role.TRUST_SAFEGUARDING_LEAD, Role.TRUSTEE])
def test_lead_and_trustee_cannot_change_a_school(world: World, role: Role) -> None:
    client = school_client(None, world.person("trust", role))
    for address in [url("portal:school_create"), *_school_urls(world, world.school_a)]:
        assert client.get(address).status_code == 404, address
        assert client.post(address, {"slug": "x-y-z"}).status_code == 404, address
    assert School.objects.get(pk=world.school_a.pk).is_active


def test_a_school_member_has_no_portal(world: World) -> None:
    client = school_client(None, world.person("a", Role.DSL))
    assert client.get(url("portal:home")).status_code == 404


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    for address in [
        url("portal:home"),
        url("portal:school_create"),
        *_school_urls(world, world.school_a),
    ]:
        response = school_client(None).get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_trust_admin_with_only_their_password_is_not_signed_in(world: World) -> None:
    admin = world.person("trust", Role.TRUST_ADMIN)
    client = school_client(None, admin, two_factor=False)
    response = client.post(url("portal:school_suspend", school_id=world.school_a.pk))
    assert response["Location"].startswith("/accounts/login/")
    assert School.objects.get(pk=world.school_a.pk).is_active

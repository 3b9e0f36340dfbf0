"""Who may grant what, one finding at a time: nobody gives themselves records (docs/security.md).

The whole table is driven by tests/trustplatform/test_grant_matrix.py; these tests tell the
stories behind it, through the services and through the pages people use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tenants.addresses import site_url
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, SchoolMembership, TrustMembership, User
from trustplatform.accounts.services import (
    dsl_handover,
    invitation_send,
    school_dsl_assign,
    school_membership_add,
    school_membership_remove,
    school_membership_set_role,
    totp_reset,
    user_create,
)
from trustplatform.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SCHOOL = "trustplatform.urls_tenant"
PORTAL = "trustplatform.urls_public"


def _refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="grant_refused").order_by("id"))


def _role_of(user: User, world: World) -> str | None:
    return (
        SchoolMembership.objects.filter(user=user, school=world.school_a)
        .values_list("role", flat=True)
        .first()
    )


def _name_dsl(
    world: World, *, school: School | None = None, email: str, by: User | None = None
) -> object:
    """The trust admin names the DSL of school A (or `school`)."""
    school = school or world.school_a
    return school_dsl_assign(
        school=school,
        email=email,
        full_name="Morgan Ellis",
        actor=by or world.person("trust", Role.TRUST_ADMIN),
    )


# --- a school administrator and record-reading roles ----------------------------------------------


def test_a_school_administrator_cannot_invite_a_deputy_dsl(world: World) -> None:
    admin = world.person("a", Role.SCHOOL_ADMIN)
    with pytest.raises(ValidationError):
        invitation_send(
            school=world.school_a,
            email="second.mailbox@example.org",
            full_name="Second Mailbox",
            role=Role.DEPUTY_DSL,
            actor=admin,
        )
    assert not User.objects.filter(email="second.mailbox@example.org").exists()
    [refusal] = _refusals()
    assert refusal.actor_id == admin.pk
    assert refusal.data["way"] == "invitation"
    assert refusal.data["actor_role"] == "school_admin"
    assert refusal.data["role"] == "deputy_dsl"
    assert "Second" not in str(refusal.data)


@pytest.mark.parametrize("role", [Role.KEY_HOLDER, Role.HEADTEACHER])
def test_a_headteacher_cannot_invite_a_role_that_reads_records(world: World, role: Role) -> None:
    with pytest.raises(ValidationError):
        invitation_send(
            school=world.school_a,
            email="reader@example.org",
            full_name="Ada Reader",
            role=role,
            actor=world.person("a", Role.HEADTEACHER),
        )
    assert not SchoolMembership.objects.filter(user__email="reader@example.org").exists()


def _past_two_factor(world: World, user: User) -> Any:
    """A session past two-factor, for a person the shared world set up without it."""
    return school_client(world.school_a, with_two_factor(user))


def test_the_invite_form_offers_a_school_administrator_only_what_they_may_grant(
    world: World,
) -> None:
    client = _past_two_factor(world, world.person("a", Role.SCHOOL_ADMIN))
    page = client.get(reverse("staff:invite", urlconf=SCHOOL)).content.decode()
    for offered in ("staff", "governor", "school_admin"):
        assert f'value="{offered}"' in page, offered
    for refused in ("deputy_dsl", "headteacher", "key_holder", "dsl"):
        assert f'value="{refused}"' not in page, refused


def test_a_refused_invitation_posted_by_hand_says_why_and_changes_nothing(world: World) -> None:
    admin = world.person("a", Role.SCHOOL_ADMIN)
    client = _past_two_factor(world, admin)
    response = client.post(
        reverse("staff:invite", urlconf=SCHOOL),
        {
            "full_name": "Second Mailbox",
            "email": "second.mailbox@example.org",
            "role": "deputy_dsl",
        },
    )
    assert response.status_code == 200
    assert "You cannot give the Deputy DSL role" in response.content.decode()
    assert not User.objects.filter(email="second.mailbox@example.org").exists()
    assert len(_refusals()) == 1


def test_a_school_administrator_cannot_demote_or_remove_someone_who_reads_records(
    world: World,
) -> None:
    admin = world.person("a", Role.SCHOOL_ADMIN)
    deputy = world.person("a", Role.DEPUTY_DSL)
    key_holder = world.person("a", Role.KEY_HOLDER)
    with pytest.raises(ValidationError):
        school_membership_set_role(
            membership=SchoolMembership.objects.get(user=deputy, school=world.school_a),
            role=Role.STAFF,
            actor=admin,
        )
    with pytest.raises(ValidationError):
        school_membership_remove(
            membership=SchoolMembership.objects.get(user=key_holder, school=world.school_a),
            actor=admin,
        )
    assert _role_of(deputy, world) == Role.DEPUTY_DSL
    assert _role_of(key_holder, world) == Role.KEY_HOLDER
    assert len(_refusals()) == 2


def test_nobody_raises_their_own_role(world: World) -> None:
    deputy = world.person("a", Role.DEPUTY_DSL)
    with pytest.raises(ValidationError):
        school_membership_set_role(
            membership=SchoolMembership.objects.get(user=deputy, school=world.school_a),
            role=Role.HEADTEACHER,
            actor=deputy,
        )
    assert _role_of(deputy, world) == Role.DEPUTY_DSL


def test_the_dsl_still_grants_record_reading_roles_and_it_is_audited(world: World) -> None:
    staff = world.person("a", Role.STAFF)
    school_membership_set_role(
        membership=SchoolMembership.objects.get(user=staff, school=world.school_a),
        role=Role.DEPUTY_DSL,
        actor=world.person("a", Role.DSL),
    )
    assert _role_of(staff, world) == Role.DEPUTY_DSL
    assert not _refusals()


def test_the_dsl_cannot_give_a_role_to_someone_with_more_access(world: World) -> None:
    # A trust admin has no child data; a school cannot hand them any.
    trust_admin = world.person("trust", Role.TRUST_ADMIN)
    with pytest.raises(ValidationError):
        invitation_send(
            school=world.school_a,
            email=trust_admin.email,
            full_name=trust_admin.full_name,
            role=Role.DEPUTY_DSL,
            actor=world.person("a", Role.DSL),
        )
    assert _role_of(trust_admin, world) is None


# --- the DSL role -------------------------------------------------------------------------------


def test_a_governor_is_never_made_the_dsl(world: World) -> None:
    dsl, governor = world.person("a", Role.DSL), world.person("a", Role.GOVERNOR)
    with pytest.raises(ValidationError):
        dsl_handover(school=world.school_a, new_dsl=governor, actor=dsl)
    assert _role_of(dsl, world) == Role.DSL


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_a_handover_on_the_school_site_tells_the_outgoing_dsl(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    dsl, deputy = world.person("a", Role.DSL), world.person("a", Role.DEPUTY_DSL)
    with django_capture_on_commit_callbacks(execute=True):
        dsl_handover(
            school=world.school_a, new_dsl=deputy, actor=world.person("a", Role.HEADTEACHER)
        )
    assert _role_of(deputy, world) == Role.DSL
    assert _role_of(dsl, world) == Role.DEPUTY_DSL
    told = {tuple(m.to) for m in mail.outbox}
    assert (dsl.email,) in told
    assert (deputy.email,) in told
    for message in mail.outbox:
        assert deputy.full_name not in message.body
        assert dsl.full_name not in message.body


def test_a_trust_admin_cannot_name_themselves_dsl(world: World) -> None:
    trust_admin = world.person("trust", Role.TRUST_ADMIN)
    dsl = world.person("a", Role.DSL)
    with pytest.raises(ValidationError):
        _name_dsl(world, email=trust_admin.email, by=trust_admin)
    assert _role_of(trust_admin, world) is None
    assert _role_of(dsl, world) == Role.DSL
    [refusal] = _refusals()
    assert refusal.data["reason"] == "self"


def test_a_trust_admin_cannot_name_themselves_dsl_of_a_school_without_one(world: World) -> None:
    trust_admin = world.person("trust", Role.TRUST_ADMIN)
    SchoolMembership.objects.filter(school=world.school_b, role=Role.DSL).delete()
    with pytest.raises(ValidationError):
        _name_dsl(world, school=world.school_b, email=trust_admin.email, by=trust_admin)
    assert not SchoolMembership.objects.filter(user=trust_admin).exists()


def test_a_trust_admin_cannot_name_another_trust_admin_dsl(world: World) -> None:
    trust_admin = world.person("trust", Role.TRUST_ADMIN)
    colleague = user_create(email="second.admin@example.org", full_name="Sol Pike", password=None)
    TrustMembership.objects.create(user=colleague, trust=world.trust, role=Role.TRUST_ADMIN)
    SchoolMembership.objects.filter(school=world.school_b, role=Role.DSL).delete()
    with pytest.raises(ValidationError):
        _name_dsl(world, school=world.school_b, email=colleague.email, by=trust_admin)
    assert not SchoolMembership.objects.filter(user=colleague).exists()


@pytest.mark.usefixtures("tasks_run_when_sent")  # the notices go through the outbox
def test_replacing_a_dsl_waits_for_the_school_to_confirm_and_the_dsl_stays_until_then(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    dsl, head = world.person("a", Role.DSL), world.person("a", Role.HEADTEACHER)
    with django_capture_on_commit_callbacks(execute=True):
        _name_dsl(world, email="morgan.ellis@example.org")
    assert _role_of(dsl, world) == Role.DSL
    assert not SchoolMembership.objects.filter(user__email="morgan.ellis@example.org").exists()
    # The headteacher and the DSL are both told, neither seeing the other's address; the email
    # names nobody.
    told = {to for m in mail.outbox for to in m.recipients()}
    assert {dsl.email, head.email} <= told
    naming = [m for m in mail.outbox if "needs confirming" in m.subject]
    assert naming and all(dsl.email not in m.to and head.email not in m.to for m in naming)
    assert all("Bcc" not in m.message().as_string() for m in naming)
    assert "morgan.ellis@example.org" not in told
    for message in mail.outbox:
        assert "Morgan" not in message.body
        assert site_url(world.school_a, "/staff/") in message.body


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_the_headteacher_confirms_a_named_dsl_on_the_school_site(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from trustplatform.accounts.models import DslHandoverRequest  # noqa: PLC0415

    dsl, head = world.person("a", Role.DSL), world.person("a", Role.HEADTEACHER)
    _name_dsl(world, email="morgan.ellis@example.org")
    pending = DslHandoverRequest.objects.get(school=world.school_a)
    client = school_client(world.school_a, head)
    page = client.get(reverse("staff:list", urlconf=SCHOOL)).content.decode()
    assert "The trust has named a new DSL" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:dsl_confirm", urlconf=SCHOOL, kwargs={"request_id": pending.pk}),
            {"previous_dsl_role": "deputy_dsl"},
        )
    assert response.status_code == 302
    new_dsl = User.objects.get(email="morgan.ellis@example.org")
    assert _role_of(new_dsl, world) == Role.DSL
    assert _role_of(dsl, world) == Role.DEPUTY_DSL
    assert {m.to[0] for m in mail.outbox} >= {new_dsl.email, dsl.email}
    event = AuditEvent.objects.filter(action="dsl_handover").latest("id")
    assert (event.actor_id, event.target_id) == (head.pk, str(new_dsl.pk))


def test_the_nominee_cannot_confirm_their_own_naming(world: World) -> None:
    from trustplatform.accounts.models import DslHandoverRequest  # noqa: PLC0415
    from trustplatform.accounts.services import dsl_handover_confirm  # noqa: PLC0415

    head = world.person("a", Role.HEADTEACHER)
    _name_dsl(world, email=head.email)
    pending = DslHandoverRequest.objects.get(school=world.school_a)
    with pytest.raises(ValidationError):
        dsl_handover_confirm(handover_request=pending, actor=head)
    assert _role_of(head, world) == Role.HEADTEACHER
    assert _role_of(world.person("a", Role.DSL), world) == Role.DSL


def test_the_trust_portal_says_a_replacement_waits_for_the_school(world: World) -> None:
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    response = client.post(
        reverse("portal:school_dsl", urlconf=PORTAL, kwargs={"school_id": world.school_a.pk}),
        {"full_name": "Morgan Ellis", "email": "morgan.ellis@example.org"},
        follow=True,
    )
    assert "waits for the headteacher or the current DSL to confirm" in response.content.decode()
    assert _role_of(world.person("a", Role.DSL), world) == Role.DSL


# --- two-factor resets ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DSL, Role.HEADTEACHER])
def test_a_deputy_cannot_reset_the_two_factor_of_the_dsl_or_headteacher(
    world: World, role: Role
) -> None:
    target, deputy = world.person("a", role), world.person("a", Role.DEPUTY_DSL)
    with pytest.raises(ValidationError):
        totp_reset(user=target, actor=deputy, school=world.school_a)
    assert User.objects.get(pk=target.pk).has_two_factor
    [refusal] = _refusals()
    assert refusal.data["way"] == "two-factor reset"
    assert refusal.data["reason"] == "more_access"


def test_a_deputy_cannot_reset_a_colleague_who_has_more_access_elsewhere(world: World) -> None:
    # Two-factor belongs to the person: the reset would also reach their other school.
    deputy = world.person("a", Role.DEPUTY_DSL)
    head_of_b = world.person("b", Role.HEADTEACHER)
    school_membership_add(user=head_of_b, school=world.school_a, role=Role.STAFF)
    with pytest.raises(ValidationError):
        totp_reset(user=head_of_b, actor=deputy, school=world.school_a)
    assert User.objects.get(pk=head_of_b.pk).has_two_factor


def test_the_deputy_reset_button_is_shown_only_where_allowed(world: World) -> None:
    client = school_client(world.school_a, world.person("a", Role.DEPUTY_DSL))
    page = client.get(reverse("staff:list", urlconf=SCHOOL)).content.decode()
    assert 'Reset two-factor<span class="visually-hidden"> for Key holder of' in page
    assert "for Designated Safeguarding Lead of" not in page
    assert "for Headteacher of" not in page


def test_the_trust_admin_resets_the_two_factor_a_school_may_not(world: World) -> None:
    head = world.person("a", Role.HEADTEACHER)
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    response = client.post(
        reverse("portal:two_factor_reset", urlconf=PORTAL, kwargs={"user_id": head.pk})
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=head.pk).has_two_factor
    event = AuditEvent.objects.filter(action="totp_reset").latest("id")
    assert (event.trust_id, event.school_id) == (world.trust.pk, None)


def test_the_trust_admin_cannot_reset_a_user_of_another_trust(world: World) -> None:
    dsl_c = world.person("c", Role.DSL)
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    response = client.post(
        reverse("portal:two_factor_reset", urlconf=PORTAL, kwargs={"user_id": dsl_c.pk})
    )
    assert response.status_code == 404
    assert User.objects.get(pk=dsl_c.pk).has_two_factor


def test_the_staff_page_offers_a_school_administrator_only_office_accounts(world: World) -> None:
    client = _past_two_factor(world, world.person("a", Role.SCHOOL_ADMIN))
    page = client.get(reverse("staff:list", urlconf=SCHOOL)).content.decode()
    deputy = SchoolMembership.objects.get(user=world.person("a", Role.DEPUTY_DSL))
    staff = SchoolMembership.objects.get(user=world.person("a", Role.STAFF))
    assert reverse("staff:role_change", urlconf=SCHOOL, args=[staff.pk]) in page
    assert reverse("staff:remove", urlconf=SCHOOL, args=[staff.pk]) in page
    assert reverse("staff:role_change", urlconf=SCHOOL, args=[deputy.pk]) not in page
    assert reverse("staff:remove", urlconf=SCHOOL, args=[deputy.pk]) not in page
    assert 'value="deputy_dsl"' not in page
    assert 'value="key_holder"' not in page


def test_a_role_change_posted_by_hand_is_refused_with_a_message(world: World) -> None:
    client = _past_two_factor(world, world.person("a", Role.SCHOOL_ADMIN))
    staff = SchoolMembership.objects.get(user=world.person("a", Role.STAFF))
    response = client.post(
        reverse("staff:role_change", urlconf=SCHOOL, args=[staff.pk]),
        {"role": "deputy_dsl"},
        follow=True,
    )
    assert "You cannot give the Deputy DSL role." in response.content.decode()
    assert _role_of(world.person("a", Role.STAFF), world) == Role.STAFF
    assert len(_refusals()) == 1


def test_the_headteacher_declines_a_named_dsl_and_nothing_changes(world: World) -> None:
    from trustplatform.accounts.models import DslHandoverRequest  # noqa: PLC0415

    _name_dsl(world, email="morgan.ellis@example.org")
    pending = DslHandoverRequest.objects.get(school=world.school_a)
    client = school_client(world.school_a, world.person("a", Role.HEADTEACHER))
    response = client.post(
        reverse("staff:dsl_decline", urlconf=SCHOOL, kwargs={"request_id": pending.pk}),
        follow=True,
    )
    assert "Nothing has changed" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "declined"
    assert _role_of(world.person("a", Role.DSL), world) == Role.DSL
    # A decided naming is gone from the page and cannot be posted again.
    again = client.post(
        reverse("staff:dsl_confirm", urlconf=SCHOOL, kwargs={"request_id": pending.pk})
    )
    assert again.status_code == 404


def test_the_trust_two_factor_page_lists_only_the_trusts_people(world: World) -> None:
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    page = client.get(reverse("portal:two_factor_people", urlconf=PORTAL)).content.decode()
    assert world.person("a", Role.HEADTEACHER).full_name in page
    assert world.person("b", Role.DSL).full_name in page
    assert world.person("c", Role.DSL).full_name not in page
    assert world.person("trust", Role.TRUST_ADMIN).full_name not in page  # never themselves


def test_a_refusal_inside_another_service_is_audited_once_and_kept(world: World) -> None:
    from django.db import transaction  # noqa: PLC0415

    from trustplatform import grants  # noqa: PLC0415

    admin = world.person("a", Role.SCHOOL_ADMIN)

    @grants.refusals_audited
    @transaction.atomic
    def inner() -> None:
        grants.check(
            grants.Grant(
                actor=admin,
                way=grants.Way.INVITATION,
                school=world.school_a,
                role=Role.DEPUTY_DSL,
            )
        )

    @grants.refusals_audited
    @transaction.atomic
    def outer() -> None:
        inner()

    with pytest.raises(grants.GrantRefused):
        outer()
    [refusal] = _refusals()
    assert refusal.data["way"] == "invitation"

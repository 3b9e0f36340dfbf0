from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tenants.addresses import site_origin
from tenants.models import School
from tests.conftest import PASSWORD, World
from trustplatform.accounts.models import DslHandoverRequest, Role, SchoolMembership, User
from trustplatform.accounts.services import (
    dsl_handover,
    dsl_handover_confirm,
    dsl_handover_decline,
    invitation_send,
    school_dsl_assign,
    school_membership_add,
    school_membership_remove,
    school_membership_set_role,
    sessions_end_all,
    trust_membership_add,
    user_create,
)
from trustplatform.audit.models import AuditAction, AuditEvent


def _new_user(email: str = "new.teacher@example.org") -> User:
    return user_create(email=email, full_name="Nell Tarrant", password=PASSWORD)


def test_a_password_shorter_than_twelve_characters_is_refused(db: None) -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        user_create(email="new.teacher@example.org", full_name="Nell Tarrant", password="short-pw1")


def test_emails_are_stored_in_lower_case_and_unique(db: None) -> None:
    user_create(email="Nell.Tarrant@Example.org", full_name="Nell Tarrant", password=PASSWORD)
    with pytest.raises(ValidationError):
        user_create(email="nell.tarrant@example.org", full_name="Nell Tarrant", password=PASSWORD)


def test_a_school_has_exactly_one_dsl(world: World, school_a: School) -> None:
    with pytest.raises(ValidationError, match="already has a DSL"):
        school_membership_add(user=_new_user(), school=school_a, role=Role.DSL)
    assert SchoolMembership.objects.filter(school=school_a, role=Role.DSL).count() == 1


def test_trust_roles_and_school_roles_do_not_mix(world: World, school_a: School) -> None:
    user = _new_user()
    with pytest.raises(ValidationError, match="not a role within a school"):
        school_membership_add(user=user, school=school_a, role=Role.TRUSTEE)
    with pytest.raises(ValidationError, match="not a role within a trust"):
        trust_membership_add(user=user, trust=world.trust, role=Role.DSL)


def test_handing_over_the_dsl_role_is_one_step_and_audited(world: World, school_a: School) -> None:
    old_dsl, deputy = world.person("a", Role.DSL), world.person("a", Role.DEPUTY_DSL)
    head = world.person("a", Role.HEADTEACHER)

    dsl_handover(school=school_a, new_dsl=deputy, actor=head)

    roles = dict(SchoolMembership.objects.filter(school=school_a).values_list("user_id", "role"))
    assert roles[deputy.pk] == Role.DSL
    assert roles[old_dsl.pk] == Role.DEPUTY_DSL
    assert list(roles.values()).count(Role.DSL) == 1
    event = AuditEvent.objects.filter(action=AuditAction.DSL_HANDOVER).latest("id")
    assert (event.actor_id, event.school_id, event.target_id) == (
        head.pk,
        school_a.pk,
        str(deputy.pk),
    )
    assert event.data["previous_dsl_id"] == old_dsl.pk


def test_the_dsl_role_is_not_given_by_a_role_change(world: World, school_a: School) -> None:
    staff = SchoolMembership.objects.get(user=world.person("a", Role.STAFF), school=school_a)
    with pytest.raises(ValidationError, match="handover"):
        school_membership_set_role(
            membership=staff, role=Role.DSL, actor=world.person("a", Role.DSL)
        )


def test_changing_a_role_is_audited_with_old_and_new_value_and_ends_sessions(
    world: World, school_a: School
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    hash_before = User.objects.get(pk=key_holder.pk).get_session_auth_hash()
    membership = SchoolMembership.objects.get(user=key_holder, school=school_a)

    school_membership_set_role(
        membership=membership, role=Role.STAFF, actor=world.person("a", Role.DSL)
    )

    assert User.objects.get(pk=key_holder.pk).get_session_auth_hash() != hash_before
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).latest("id")
    assert event.data == {"old_role": "key_holder", "new_role": "staff"}


def test_removing_a_membership_ends_the_persons_sessions(world: World, school_a: School) -> None:
    staff = world.person("a", Role.STAFF)
    hash_before = User.objects.get(pk=staff.pk).get_session_auth_hash()

    school_membership_remove(
        membership=SchoolMembership.objects.get(user=staff, school=school_a),
        actor=world.person("a", Role.DSL),
    )

    assert not SchoolMembership.objects.filter(user=staff, school=school_a).exists()
    assert User.objects.get(pk=staff.pk).get_session_auth_hash() != hash_before


def test_the_dsl_cannot_be_removed_before_a_handover(world: World, school_a: School) -> None:
    dsl = SchoolMembership.objects.get(school=school_a, role=Role.DSL)
    with pytest.raises(ValidationError, match="Hand over"):
        school_membership_remove(membership=dsl, actor=world.person("a", Role.HEADTEACHER))


def test_sign_out_everywhere_changes_the_session_hash(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    before = staff.get_session_auth_hash()
    sessions_end_all(user=staff, actor=staff)
    assert staff.get_session_auth_hash() != before


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_an_invitation_creates_the_account_and_emails_a_link_without_child_data(
    world: World, school_a: School, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        invitation_send(
            school=school_a,
            email="Newcomer@Example.org",
            full_name="Orla Venn",
            role=Role.STAFF,
            actor=world.person("a", Role.DSL),
        )

    user = User.objects.get(email="newcomer@example.org")
    assert not user.has_usable_password()
    assert SchoolMembership.objects.get(user=user, school=school_a).role == Role.STAFF
    (message,) = mail.outbox
    assert message.to == ["newcomer@example.org"]
    # The school's configured address, whatever host the caller passed.
    assert f"{site_origin(school_a)}/accounts/invite/" in message.body
    assert "Alder Lane Primary" in message.body


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_the_trust_admin_names_the_dsl_of_a_school_without_one_at_once_and_they_are_emailed(
    world: World, school_a: School, django_capture_on_commit_callbacks: object
) -> None:
    old_dsl = world.person("a", Role.DSL)
    SchoolMembership.objects.filter(user=old_dsl, school=school_a).delete()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        school_dsl_assign(
            school=school_a,
            email="new.dsl@example.org",
            full_name="Tove Harrowby",
            actor=world.person("trust", Role.TRUST_ADMIN),
        )

    new_dsl = User.objects.get(email="new.dsl@example.org")
    assert SchoolMembership.objects.get(school=school_a, role=Role.DSL).user == new_dsl
    assert mail.outbox[0].to == ["new.dsl@example.org"]


def test_the_trust_admin_naming_a_replacement_dsl_changes_nothing_until_confirmed(
    world: World, school_a: School
) -> None:
    old_dsl = world.person("a", Role.DSL)
    handover = school_dsl_assign(
        school=school_a,
        email="new.dsl@example.org",
        full_name="Tove Harrowby",
        actor=world.person("trust", Role.TRUST_ADMIN),
    )

    assert isinstance(handover, DslHandoverRequest)
    assert SchoolMembership.objects.get(school=school_a, role=Role.DSL).user == old_dsl
    dsl_handover_confirm(handover_request=handover, actor=old_dsl, previous_dsl_role=Role.STAFF)
    new_dsl = User.objects.get(email="new.dsl@example.org")
    assert SchoolMembership.objects.get(school=school_a, role=Role.DSL).user == new_dsl
    assert SchoolMembership.objects.get(school=school_a, user=old_dsl).role == Role.STAFF
    handover.refresh_from_db()
    assert (handover.status, handover.decided_by) == ("confirmed", old_dsl)


def test_a_declined_naming_changes_nothing_and_cannot_be_confirmed_later(
    world: World, school_a: School
) -> None:
    head = world.person("a", Role.HEADTEACHER)
    handover = school_dsl_assign(
        school=school_a,
        email="new.dsl@example.org",
        full_name="Tove Harrowby",
        actor=world.person("trust", Role.TRUST_ADMIN),
    )
    assert isinstance(handover, DslHandoverRequest)
    dsl_handover_decline(handover_request=handover, actor=head)
    with pytest.raises(ValidationError, match="already been decided"):
        dsl_handover_confirm(handover_request=handover, actor=head)
    assert SchoolMembership.objects.get(school=school_a, role=Role.DSL).user == world.person(
        "a", Role.DSL
    )
    assert AuditEvent.objects.filter(action=AuditAction.DSL_HANDOVER_DECLINED).count() == 1

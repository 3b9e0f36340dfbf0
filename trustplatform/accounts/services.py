"""Writes for users, memberships, two-factor and sessions. Each audited in its own transaction."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

import pyotp
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenants.addresses import site_url
from tenants.models import School, Trust
from trustplatform import grants
from trustplatform.accounts.crypto import secret_rotate
from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    TRUST_ROLES,
    DslHandoverRequest,
    RecoveryCode,
    Role,
    SchoolMembership,
    TrustMembership,
    User,
)
from trustplatform.accounts.selectors import recovery_codes_remaining, trust_people
from trustplatform.accounts.tokens import InvitationTokenGenerator
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.grants import Way, refusals_audited
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add

if TYPE_CHECKING:
    from django.http import HttpRequest

TOTP_ISSUER = "Safeguarding Records"
TOTP_INTERVAL = 30
# Codes of the previous and next 30-second step are accepted too (clock drift), never older.
TOTP_VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# A recovery code: a public lookup id of 5 characters, then 16 secret ones of 32 possible
# (Crockford's base 32, no I, L, O or U): 80 random bits.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_LOOKUP_LENGTH = 5
RECOVERY_SECRET_LENGTH = 16
# Roles a colleague can be given on the staff page; the DSL changes only by an explicit handover.
ASSIGNABLE_SCHOOL_ROLES = tuple(r for r in Role if r in SCHOOL_ROLES and r is not Role.DSL)


def _audit_about_user(
    *,
    action: AuditAction,
    user_id: int,
    actor: User | None,
    request: HttpRequest | None = None,
    **where: Any,
) -> AuditEvent:
    """An audit row about one person: what was done to them, by whom, and where (school/trust)."""
    return audit_record(
        action=action,
        actor=actor,
        target_type="user",
        target_id=user_id,
        request=request,
        **where,
    )


# --- users ---------------------------------------------------------------------------------------


@transaction.atomic
def user_create(*, email: str, full_name: str, password: str | None) -> User:
    """Creates a user; without a password they cannot log in until they set one."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User(email=email, full_name=full_name.strip())
    if password is not None:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def _end_sessions(user: User) -> None:
    # Every session's hash includes session_version (User._get_session_auth_hash).
    User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1)
    user.refresh_from_db(fields=["session_version"])


@transaction.atomic
def sessions_end_all(*, user: User, actor: User, request: HttpRequest | None = None) -> None:
    """Signs the user out on every device ("sign out everywhere")."""
    _end_sessions(user)
    _audit_about_user(
        action=AuditAction.SESSIONS_ENDED,
        actor=actor,
        user_id=user.pk,
        request=request,
    )


@transaction.atomic
def user_disable(*, user: User, actor: User, request: HttpRequest | None = None) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    _end_sessions(user)
    _audit_about_user(
        action=AuditAction.USER_DISABLED,
        actor=actor,
        user_id=user.pk,
        request=request,
    )


# --- memberships ---------------------------------------------------------------------------------
# Every way of giving, changing or taking a role asks trustplatform/grants.py first; a refusal is
# audited (GRANT_REFUSED) and changes nothing. An actor of None is the system: provisioning and
# the demo's seeding, never a request.


@refusals_audited
@transaction.atomic
def school_membership_add(
    *,
    user: User,
    school: School,
    role: Role,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> SchoolMembership:
    if actor is not None:
        grants.check(
            grants.Grant(actor=actor, way=Way.INVITATION, school=school, target=user, role=role)
        )
    if role not in SCHOOL_ROLES:
        raise ValidationError({"role": f"{Role(role).label} is not a role within a school."})
    if SchoolMembership.objects.filter(user=user, school=school).exists():
        raise ValidationError({"user": "This person already has a role in this school."})
    if role == Role.DSL and SchoolMembership.objects.filter(school=school, role=Role.DSL).exists():
        raise ValidationError(
            {"role": "This school already has a DSL; hand over the role instead."}
        )
    membership = SchoolMembership.objects.create(user=user, school=school, role=role)
    _audit_about_user(
        action=AuditAction.ROLE_ASSIGNED,
        actor=actor,
        school=school,
        user_id=user.pk,
        data={"new_role": str(role)},
        request=request,
    )
    return membership


@refusals_audited
@transaction.atomic
def school_membership_set_role(
    *, membership: SchoolMembership, role: Role, actor: User, request: HttpRequest | None = None
) -> SchoolMembership:
    membership = SchoolMembership.objects.select_for_update().get(pk=membership.pk)
    old = membership.role
    grants.check(
        grants.Grant(
            actor=actor,
            way=Way.ROLE_CHANGE,
            school=membership.school,
            target=membership.user,
            role=Role(role),
            old_role=Role(old),
        )
    )
    if old == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    # A role that reads less must take effect now, not at the next login.
    _end_sessions(membership.user)
    _audit_about_user(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        school=membership.school,
        user_id=membership.user_id,
        data={"old_role": old, "new_role": str(role)},
        request=request,
    )
    return membership


@refusals_audited
@transaction.atomic
def school_membership_remove(
    *, membership: SchoolMembership, actor: User, request: HttpRequest | None = None
) -> None:
    membership = SchoolMembership.objects.select_for_update().get(pk=membership.pk)
    user, school, old = membership.user, membership.school, membership.role
    grants.check(
        grants.Grant(actor=actor, way=Way.REMOVAL, school=school, target=user, role=Role(old))
    )
    membership.delete()
    _end_sessions(user)
    _audit_about_user(
        action=AuditAction.MEMBERSHIP_REMOVED,
        actor=actor,
        school=school,
        user_id=user.pk,
        data={"old_role": old},
        request=request,
    )


def _dsl_make(
    *,
    school: School,
    new_dsl: User,
    actor: User,
    previous_dsl_role: Role,
    request: HttpRequest | None,
    **extra: object,
) -> SchoolMembership:
    """Makes `new_dsl` the school's one DSL in one step; the previous DSL keeps another role and
    both are told. Callers have asked grants.py; the memberships are locked here."""
    if previous_dsl_role not in ASSIGNABLE_SCHOOL_ROLES:
        raise ValidationError({"previous_dsl_role": "Choose the previous DSL's new role."})
    memberships = SchoolMembership.objects.select_for_update().filter(school=school)
    previous = memberships.filter(role=Role.DSL).select_related("user").first()
    if previous is not None and previous.user_id == new_dsl.pk:
        raise ValidationError({"new_dsl": "This person is already the DSL."})
    if previous is not None:
        previous.role = previous_dsl_role
        previous.save(update_fields=["role"])
        _end_sessions(previous.user)
    membership = memberships.filter(user=new_dsl).first()
    old_role = membership.role if membership else None
    if membership is None:
        membership = SchoolMembership.objects.create(user=new_dsl, school=school, role=Role.DSL)
    else:
        membership.role = Role.DSL
        membership.save(update_fields=["role"])
    handed_over = _audit_about_user(
        action=AuditAction.DSL_HANDOVER,
        actor=actor,
        school=school,
        user_id=new_dsl.pk,
        data={
            "previous_dsl_id": previous.user_id if previous else None,
            "previous_dsl_new_role": str(previous_dsl_role) if previous else None,
            "new_dsl_old_role": old_role,
            **extra,
        },
        request=request,
    )
    outbox_add(kind=ACCESS_EMAIL, object_id=handed_over.pk)
    if previous is not None:
        # The outgoing DSL is never demoted without being told: through the outbox, so a mail
        # server that is down delays the notice, never the handover (docs/outbox.md).
        outbox_add(kind=HANDOVER_EMAIL, object_id=handed_over.pk)
    return membership


@refusals_audited
@transaction.atomic
def dsl_handover(
    *,
    school: School,
    new_dsl: User,
    actor: User,
    previous_dsl_role: Role = Role.DEPUTY_DSL,
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """The DSL or the headteacher hands the DSL role to a member of the school's staff."""
    grants.check(grants.dsl_grant(Way.DSL_HANDOVER, school=school, nominee=new_dsl, actor=actor))
    return _dsl_make(
        school=school,
        new_dsl=new_dsl,
        actor=actor,
        previous_dsl_role=previous_dsl_role,
        request=request,
    )


@transaction.atomic
def trust_membership_add(
    *,
    user: User,
    trust: Trust,
    role: Role,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> TrustMembership:
    if role not in TRUST_ROLES:
        raise ValidationError({"role": f"{Role(role).label} is not a role within a trust."})
    membership, created = TrustMembership.objects.get_or_create(user=user, trust=trust, role=role)
    if created:
        _audit_about_user(
            action=AuditAction.ROLE_ASSIGNED,
            actor=actor,
            trust=trust,
            user_id=user.pk,
            data={"new_role": str(role)},
            request=request,
        )
    return membership


# --- invitations ---------------------------------------------------------------------------------


def invitation_link(*, user: User, school: School) -> str:
    """The link that sets the invited person's password: the school's configured address, and a
    token that opens nothing on any other site (accounts/tokens.py)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = InvitationTokenGenerator(place=school.schema_name).make_token(user)
    return site_url(school, f"/accounts/invite/{uid}/{token}/")


@refusals_audited
@transaction.atomic
def invitation_send(
    *,
    school: School,
    email: str,
    full_name: str,
    role: Role,
    actor: User,
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """Gives a person a role in the school and emails them a link that sets their password."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email=email).first()
    # Asked before an account is made: a refused invitation leaves no trace but its audit row.
    grants.check(
        grants.Grant(actor=actor, way=Way.INVITATION, school=school, target=user, role=role)
    )
    if user is None:
        user = user_create(email=email, full_name=full_name, password=None)
    membership = school_membership_add(
        user=user, school=school, role=role, actor=actor, request=request
    )
    invited = _audit_about_user(
        action=AuditAction.INVITATION_SENT,
        actor=actor,
        school=school,
        user_id=user.pk,
        data={"role": str(role)},
        request=request,
    )
    outbox_add(kind=ACCESS_EMAIL, object_id=invited.pk)
    return membership


# The email telling someone of their new role (an invitation when they have no password yet),
# through the outbox (docs/outbox.md): a mail server that is down delays it, never the role. It
# is rendered, at each attempt, from the audit event that gave the role.
ACCESS_EMAIL = "accounts.access"


def access_email(event_id: int) -> Email | None:
    """The email of the role given by audit event `event_id`; None once there is no one to tell.

    It names the school, never a child; the link works on the school's own site only.
    """
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None or event.school_id is None:
        return None
    user = User.objects.filter(pk=int(event.target_id), is_active=True).first()
    school = School.objects.filter(pk=event.school_id).first()
    if user is None or school is None:
        return None
    role = Role.DSL if event.action == AuditAction.DSL_HANDOVER else Role(event.data["role"])
    if user.has_usable_password():
        start = f"To start, sign in at: {site_url(school, '/accounts/login/')}"
    else:
        # Made at each attempt: the link's lifetime starts when the email is sent.
        hours = InvitationTokenGenerator(place=school.schema_name).max_age(user) // 3600
        start = (
            f"To start, choose your password at: {invitation_link(user=user, school=school)}\n"
            f"The link works once, within {hours} hours."
        )
    return Email(
        subject=f"Your access to {school.name}'s safeguarding records",
        body=(
            f"You have been given access to {school.name}'s safeguarding records "
            f"as {role.label}.\n\n{start}\n\n"
            "If you did not expect this email, tell your Designated Safeguarding Lead."
        ),
        to=[user.email],
    )


outbox_kind_register(ACCESS_EMAIL, render=access_email)


# The notice to the outgoing DSL that the role has passed to a colleague, rendered from the
# handover's audit event; and the notice to the school's headteachers and current DSL that the
# trust has named a new DSL, rendered from the naming while it waits for them. Both through the
# outbox, content-free: the school and a link, never a person's name nor a child's.
HANDOVER_EMAIL = "accounts.dsl_handed_over"
NAMING_EMAIL = "accounts.dsl_named"


def _notice(*, school: School, text: str, path: str) -> str:
    return (
        f"{text}\n\nSign in to see more: {site_url(school, path)}\n\n"
        "If you did not expect this email, tell your trust."
    )


def handover_email(event_id: int) -> Email | None:
    """The outgoing DSL's notice of handover event `event_id`; None once there is no one to tell."""
    event = AuditEvent.objects.filter(pk=event_id, action=AuditAction.DSL_HANDOVER).first()
    if event is None or event.school_id is None or not event.data.get("previous_dsl_id"):
        return None
    user = User.objects.filter(pk=event.data["previous_dsl_id"], is_active=True).first()
    school = School.objects.filter(pk=event.school_id).first()
    if user is None or school is None:
        return None
    role = Role(event.data["previous_dsl_new_role"]).label
    return Email(
        subject=f"The DSL role at {school.name} has passed to a colleague",
        body=_notice(
            school=school,
            text=(
                f"The Designated Safeguarding Lead role at {school.name} has been handed over. "
                f"Your role there is now {role}."
            ),
            path="/accounts/login/",
        ),
        to=[user.email],
    )


def naming_email(request_id: int) -> Email | None:
    """The notice of a naming to those who may confirm it (the school's headteachers and current
    DSL, as they are when it is sent); None once it is decided or there is no one to tell."""
    handover = (
        DslHandoverRequest.objects.filter(pk=request_id, status=DslHandoverRequest.Status.PENDING)
        .select_related("school")
        .first()
    )
    if handover is None:
        return None
    school = handover.school
    confirmers = sorted(
        SchoolMembership.objects.filter(
            school=school, role__in=[Role.DSL, Role.HEADTEACHER], user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if not confirmers:
        return None
    return Email(
        subject=f"A change of DSL at {school.name} needs confirming",
        body=_notice(
            school=school,
            text=(
                f"Your trust has named a new Designated Safeguarding Lead for {school.name}. "
                "Nothing changes until the headteacher or the current DSL confirms it on the "
                "school's site, or declines it."
            ),
            path="/staff/",
        ),
        # One email, each confirmer in Bcc: none sees the others' addresses.
        to=[],
        bcc=confirmers,
    )


outbox_kind_register(HANDOVER_EMAIL, render=handover_email)
outbox_kind_register(NAMING_EMAIL, render=naming_email)


# --- the trust names a school's DSL --------------------------------------------------------------


@refusals_audited
@transaction.atomic
def school_dsl_assign(
    *,
    school: School,
    email: str,
    full_name: str,
    actor: User,
    request: HttpRequest | None = None,
) -> SchoolMembership | DslHandoverRequest:
    """The trust admin names a school's DSL: at once when the school has none; otherwise a request
    that the headteacher or the current DSL confirms on the school's site (both are told)."""
    trust = Trust.objects.get(pk=school.trust_id)
    email = User.objects.normalize_email(email.strip()).lower()
    nominee = User.objects.filter(email=email).first()
    current = list(
        SchoolMembership.objects.select_for_update()
        .filter(school=school, role=Role.DSL)
        .select_related("user")
    )
    grants.check(
        grants.Grant(
            actor=actor,
            way=Way.DSL_NAMING,
            trust=trust,
            target=nominee,
            role=grants.role_here(nominee, school) if nominee else None,
        )
    )
    if nominee is None:
        nominee = user_create(email=email, full_name=full_name, password=None)
    if not current:
        membership = _dsl_make(
            school=school,
            new_dsl=nominee,
            actor=actor,
            previous_dsl_role=Role.STAFF,
            request=request,
        )
        return membership
    DslHandoverRequest.objects.filter(
        school=school, status=DslHandoverRequest.Status.PENDING
    ).update(status=DslHandoverRequest.Status.REPLACED, decided_at=timezone.now())
    handover = DslHandoverRequest.objects.create(school=school, nominee=nominee, requested_by=actor)
    _audit_about_user(
        action=AuditAction.DSL_HANDOVER_REQUESTED,
        actor=actor,
        school=school,
        user_id=nominee.pk,
        data={"request_id": handover.pk, "current_dsl_id": current[0].user_id},
        request=request,
    )
    # The headteachers and the current DSL are told (in one email, naming nobody).
    outbox_add(kind=NAMING_EMAIL, object_id=handover.pk)
    return handover


def _pending_handover(handover_request: DslHandoverRequest) -> DslHandoverRequest:
    handover = (
        DslHandoverRequest.objects.select_for_update()
        .select_related("school", "nominee")
        .get(pk=handover_request.pk)
    )
    if handover.status != DslHandoverRequest.Status.PENDING:
        raise ValidationError("This naming has already been decided or replaced.")
    return handover


@refusals_audited
@transaction.atomic
def dsl_handover_confirm(
    *,
    handover_request: DslHandoverRequest,
    actor: User,
    previous_dsl_role: Role = Role.DEPUTY_DSL,
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """The headteacher or the outgoing DSL confirms the trust's naming: the handover happens."""
    handover = _pending_handover(handover_request)
    grants.check(
        grants.dsl_grant(
            Way.DSL_CONFIRMATION, school=handover.school, nominee=handover.nominee, actor=actor
        )
    )
    membership = _dsl_make(
        school=handover.school,
        new_dsl=handover.nominee,
        actor=actor,
        previous_dsl_role=previous_dsl_role,
        request=request,
        request_id=handover.pk,
        requested_by_id=handover.requested_by_id,
    )
    handover.status = DslHandoverRequest.Status.CONFIRMED
    handover.decided_by, handover.decided_at = actor, timezone.now()
    handover.save(update_fields=["status", "decided_by", "decided_at"])
    return membership


@refusals_audited
@transaction.atomic
def dsl_handover_decline(
    *, handover_request: DslHandoverRequest, actor: User, request: HttpRequest | None = None
) -> None:
    """The headteacher or the current DSL declines the trust's naming: nothing changes."""
    handover = _pending_handover(handover_request)
    grants.check(
        grants.dsl_grant(
            Way.DSL_CONFIRMATION, school=handover.school, nominee=handover.nominee, actor=actor
        )
    )
    handover.status = DslHandoverRequest.Status.DECLINED
    handover.decided_by, handover.decided_at = actor, timezone.now()
    handover.save(update_fields=["status", "decided_by", "decided_at"])
    _audit_about_user(
        action=AuditAction.DSL_HANDOVER_DECLINED,
        actor=actor,
        school=handover.school,
        user_id=handover.nominee_id,
        data={"request_id": handover.pk, "requested_by_id": handover.requested_by_id},
        request=request,
    )


# --- two-factor ----------------------------------------------------------------------------------


class _RecoveryCodeHasher(PBKDF2PasswordHasher):
    """PBKDF2 with fewer rounds than passwords get: a code carries 80 random bits, which no
    stretching improves, and ten are hashed at each enrolment. Django's PBKDF2 hasher reads the
    rounds from the stored value, so check_password verifies these as any other."""

    iterations = 10_000


def _recovery_code_parts(code: str) -> tuple[str, str]:
    """(lookup id, secret) of a code as typed: any case, with or without dashes and spaces."""
    plain = "".join(code.lower().split()).replace("-", "")
    return plain[:RECOVERY_LOOKUP_LENGTH], plain[RECOVERY_LOOKUP_LENGTH:]


def _random_text(length: int) -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(length))


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.email, issuer_name=TOTP_ISSUER
    )


@transaction.atomic
def totp_enrolment_begin(*, user: User) -> str:
    """Gives the user a new, not yet trusted TOTP secret; returns its otpauth:// URI."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_two_factor:
        raise ValidationError("Two-factor is already set up for this account.")
    if not user.totp_secret_encrypted:
        user.totp_secret = pyotp.random_base32()
        user.save(update_fields=["totp_secret_encrypted"])
    return totp_uri(user)


def _matching_step(user: User, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code is `code`, within the window, and newer than the last used."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6) or not user.totp_secret_encrypted:
        return None
    totp = pyotp.TOTP(user.totp_secret, interval=TOTP_INTERVAL)
    now_step = int((at if at is not None else time.time()) // TOTP_INTERVAL)
    for step in range(now_step - TOTP_VALID_WINDOW, now_step + TOTP_VALID_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * TOTP_INTERVAL), code):
            # A code already used (or older than one used) is refused: ASVS 2.8.4.
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None
            return step
    return None


def _recovery_codes_new(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    lookups: set[str] = set()
    while len(lookups) < RECOVERY_CODE_COUNT:
        lookups.add(_random_text(RECOVERY_LOOKUP_LENGTH))
    codes = {lookup: _random_text(RECOVERY_SECRET_LENGTH) for lookup in sorted(lookups)}
    hasher = _RecoveryCodeHasher()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, lookup=lookup, code_hash=make_password(secret, hasher=hasher))
        for lookup, secret in codes.items()
    )
    return [
        "-".join([lookup, *(secret[i : i + 4] for i in range(0, len(secret), 4))])
        for lookup, secret in codes.items()
    ]


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, code: str, request: HttpRequest | None = None, at: float | None = None
) -> list[str]:
    """Trusts the secret once the first code checks out; returns ten recovery codes, shown once."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_two_factor:
        raise ValidationError("Two-factor is already set up for this account.")
    step = _matching_step(user, code, at=at)
    if step is None:
        raise ValidationError("That code is not right. Check the time on your phone and try again.")
    user.totp_last_step = step
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_last_step", "totp_confirmed_at"])
    codes = _recovery_codes_new(user)
    _audit_about_user(
        action=AuditAction.TOTP_ENROLLED,
        actor=user,
        user_id=user.pk,
        request=request,
    )
    return codes


@transaction.atomic
def totp_verify(*, user: User, code: str, at: float | None = None) -> bool:
    """Checks a TOTP code and uses it up; the row lock stops two requests using one code."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.has_two_factor:
        return False
    step = _matching_step(user, code, at=at)
    if step is None:
        return False
    User.objects.filter(pk=user.pk).update(totp_last_step=step)
    return True


@transaction.atomic
def recovery_code_use(*, user: User, code: str, request: HttpRequest | None = None) -> bool:
    """Uses up a recovery code: its lookup id finds one row, and one hash is checked."""
    lookup, secret = _recovery_code_parts(code)
    row = RecoveryCode.objects.filter(user=user, lookup=lookup, used_at__isnull=True).first()
    if row is None or not secret or not check_password(secret, row.code_hash):
        return False
    # Conditional on still unused: of two requests with one code, one wins.
    updated = RecoveryCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if updated:
        _audit_about_user(
            action=AuditAction.RECOVERY_CODE_USED,
            actor=user,
            user_id=user.pk,
            data={"remaining": recovery_codes_remaining(user=user)},
            request=request,
        )
    return bool(updated)


@transaction.atomic
def recovery_codes_regenerate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    codes = _recovery_codes_new(user)
    _audit_about_user(
        action=AuditAction.RECOVERY_CODES_REGENERATED,
        actor=user,
        user_id=user.pk,
        request=request,
    )
    return codes


@transaction.atomic
def totp_secrets_rotate() -> int:
    """Re-encrypts every TOTP secret under the first of TOTP_ENCRYPTION_KEY's keys."""
    users = User.objects.select_for_update().exclude(totp_secret_encrypted="")
    count = 0
    for user_id, token in users.values_list("pk", "totp_secret_encrypted"):
        User.objects.filter(pk=user_id).update(totp_secret_encrypted=secret_rotate(token))
        count += 1
    return count


@refusals_audited
@transaction.atomic
def totp_reset(
    *,
    user: User,
    actor: User,
    school: School | None = None,
    trust: Trust | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Resets a person's two-factor: they must enrol again to read records. From a school (the
    DSL or a deputy) only when the person's access anywhere is no more than theirs; otherwise from
    the trust portal by the trust admin, for people of the trust's schools only."""
    if (school is None) == (trust is None):
        raise TypeError("totp_reset needs exactly one of school and trust.")
    if school is not None:
        grant = grants.Grant(
            actor=actor,
            way=Way.TWO_FACTOR_RESET,
            school=school,
            target=user,
            role=grants.role_here(user, school),
        )
    else:
        grant = grants.Grant(
            actor=actor, way=Way.TRUST_TWO_FACTOR_RESET, trust=trust, target=user, role=None
        )
    grants.check(grant)
    if trust is not None and not trust_people(trust=trust).filter(pk=user.pk).exists():
        raise grants.GrantRefused(
            grant,
            grants.Reason.NOT_YOURS,
            "This person is not only of this trust's schools: the operator resets it.",
        )
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted="", totp_confirmed_at=None, totp_last_step=None
    )
    RecoveryCode.objects.filter(user=user).delete()
    _end_sessions(user)
    _audit_about_user(
        action=AuditAction.TOTP_RESET,
        actor=actor,
        school=school,
        trust=trust,
        user_id=user.pk,
        request=request,
    )

"""Writes for users, memberships, two-factor and sessions. Each audited in its own transaction."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenants.models import School, Trust
from tenants.services import school_url
from trustplatform.accounts.crypto import secret_rotate
from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    TRUST_ROLES,
    RecoveryCode,
    Role,
    SchoolMembership,
    TrustMembership,
    User,
)
from trustplatform.accounts.tokens import InvitationTokenGenerator
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record

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
) -> None:
    """An audit row about one person: what was done to them, by whom, and where (school/trust)."""
    audit_record(
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


@transaction.atomic
def school_membership_add(
    *,
    user: User,
    school: School,
    role: Role,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> SchoolMembership:
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


@transaction.atomic
def school_membership_set_role(
    *, membership: SchoolMembership, role: Role, actor: User, request: HttpRequest | None = None
) -> SchoolMembership:
    membership = SchoolMembership.objects.select_for_update().get(pk=membership.pk)
    if role not in ASSIGNABLE_SCHOOL_ROLES:
        raise ValidationError({"role": "The DSL role changes hands only through a handover."})
    if membership.role == Role.DSL:
        raise ValidationError({"role": "Hand over the DSL role to someone else first."})
    old = membership.role
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


@transaction.atomic
def school_membership_remove(
    *, membership: SchoolMembership, actor: User, request: HttpRequest | None = None
) -> None:
    if membership.role == Role.DSL:
        raise ValidationError("Hand over the DSL role before removing this person.")
    user, school, old = membership.user, membership.school, membership.role
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


@transaction.atomic
def dsl_handover(
    *,
    school: School,
    new_dsl: User,
    actor: User,
    previous_dsl_role: Role = Role.DEPUTY_DSL,
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """Makes `new_dsl` the school's one DSL in one step; the previous DSL keeps another role."""
    if previous_dsl_role not in ASSIGNABLE_SCHOOL_ROLES:
        raise ValidationError({"role": "Choose the previous DSL's new role."})
    memberships = SchoolMembership.objects.select_for_update().filter(school=school)
    previous = memberships.filter(role=Role.DSL).first()
    if previous is not None and previous.user_id == new_dsl.pk:
        raise ValidationError({"user": "This person is already the DSL."})
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
    _audit_about_user(
        action=AuditAction.DSL_HANDOVER,
        actor=actor,
        school=school,
        user_id=new_dsl.pk,
        data={
            "previous_dsl_id": previous.user_id if previous else None,
            "previous_dsl_new_role": str(previous_dsl_role) if previous else None,
            "new_dsl_old_role": old_role,
        },
        request=request,
    )
    return membership


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
    return school_url(school, f"/accounts/invite/{uid}/{token}/")


@transaction.atomic
def invitation_send(
    *,
    school: School,
    email: str,
    full_name: str,
    role: Role,
    actor: User,
    # Unused: links are written from the configured site address (tenants.services.site_address),
    # never from the Host header of the request that asked.
    host: str = "",
    scheme: str = "",
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """Gives a person a role in the school and emails them a link that sets their password."""
    if role not in ASSIGNABLE_SCHOOL_ROLES:
        raise ValidationError({"role": "Invite the new DSL as staff, then hand over the role."})
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, full_name=full_name, password=None)
    membership = school_membership_add(
        user=user, school=school, role=role, actor=actor, request=request
    )
    _audit_about_user(
        action=AuditAction.INVITATION_SENT,
        actor=actor,
        school=school,
        user_id=user.pk,
        data={"role": str(role)},
        request=request,
    )
    _access_email_on_commit(user=user, school=school, role=role)
    return membership


def _access_email_on_commit(*, user: User, school: School, role: Role) -> None:
    # The email names the school, never a child; the link works on the school's own site only.
    if user.has_usable_password():
        start = f"To start, sign in at: {school_url(school, '/accounts/login/')}"
    else:
        hours = InvitationTokenGenerator(place=school.schema_name).max_age(user) // 3600
        start = (
            f"To start, choose your password at: {invitation_link(user=user, school=school)}\n"
            f"The link works once, within {hours} hours."
        )
    body = (
        f"You have been given access to {school.name}'s safeguarding records "
        f"as {Role(role).label}.\n\n{start}\n\n"
        "If you did not expect this email, tell your Designated Safeguarding Lead."
    )
    transaction.on_commit(
        lambda: send_mail(
            f"Your access to {school.name}'s safeguarding records",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    )


@transaction.atomic
def school_dsl_assign(
    *,
    school: School,
    email: str,
    full_name: str,
    actor: User,
    # Unused: links are written from the configured site address (tenants.services.site_address),
    # never from the Host header of the request that asked.
    host: str = "",
    scheme: str = "",
    request: HttpRequest | None = None,
) -> SchoolMembership:
    """The trust admin names a school's DSL (first or replacement); the previous one keeps staff."""
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email=email).first() or user_create(
        email=email, full_name=full_name, password=None
    )
    membership = dsl_handover(
        school=school, new_dsl=user, actor=actor, previous_dsl_role=Role.STAFF, request=request
    )
    _access_email_on_commit(user=user, school=school, role=Role.DSL)
    return membership


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


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


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


@transaction.atomic
def totp_reset(
    *, user: User, actor: User, school: School, request: HttpRequest | None = None
) -> None:
    """A DSL or deputy resets a colleague's two-factor: they must enrol again to read records."""
    if user.pk == actor.pk:
        raise ValidationError("Ask a colleague to reset your own two-factor.")
    if not SchoolMembership.objects.filter(user=user, school=school).exists():
        raise ValidationError("This person has no role in this school.")
    User.objects.filter(pk=user.pk).update(
        totp_secret_encrypted="", totp_confirmed_at=None, totp_last_step=None
    )
    RecoveryCode.objects.filter(user=user).delete()
    _end_sessions(user)
    _audit_about_user(
        action=AuditAction.TOTP_RESET,
        actor=actor,
        school=school,
        user_id=user.pk,
        request=request,
    )

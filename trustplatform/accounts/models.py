"""Users of every school and trust. Public schema: they log in on each school's subdomain."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from trustplatform.accounts.crypto import secret_decrypt, secret_encrypt


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. What they may see is decided by their memberships, never by this row alone."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # The SaaS operator's Django admin on the root domain; it never reaches child data.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    # Part of the session hash: raising it ends every session of this user at once (ASVS 7.4.2).
    session_version = models.PositiveIntegerField(default=0)
    # TOTP (RFC 6238). The secret is set at enrolment and trusted only once a first code is
    # confirmed; the last accepted time step is kept so a code is never accepted twice. Stored
    # encrypted (accounts/crypto.py); read and set it as `totp_secret`.
    totp_secret_encrypted = models.TextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def totp_secret(self) -> str:
        return secret_decrypt(self.totp_secret_encrypted)

    @totp_secret.setter
    def totp_secret(self, plain: str) -> None:
        self.totp_secret_encrypted = secret_encrypt(plain)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None and bool(self.totp_secret_encrypted)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's hash covers the password only; adding session_version lets one update end
        # every session (disabling, removing a membership, "sign out everywhere").
        return salted_hmac(
            "trustplatform.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class RecoveryCode(models.Model):
    """A single-use 2FA recovery code: a public lookup id, and the secret's salted hash.

    The lookup id finds the one row to check, so an attempt costs one hash, not ten.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    lookup = models.CharField(max_length=8)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lookup"], name="recovery_code_lookup_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"


class Role(models.TextChoices):
    """The one vocabulary of roles. School roles are held in a school, trust roles in a trust."""

    STAFF = "staff", "Staff"
    KEY_HOLDER = "key_holder", "Key holder"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    DSL = "dsl", "Designated Safeguarding Lead"
    HEADTEACHER = "headteacher", "Headteacher"
    GOVERNOR = "governor", "Governor"
    SCHOOL_ADMIN = "school_admin", "School administrator"
    TRUST_ADMIN = "trust_admin", "Trust admin"
    TRUST_SAFEGUARDING_LEAD = "trust_safeguarding_lead", "Trust safeguarding lead"
    TRUSTEE = "trustee", "Trustee"


SCHOOL_ROLES = frozenset(
    {
        Role.STAFF,
        Role.KEY_HOLDER,
        Role.DEPUTY_DSL,
        Role.DSL,
        Role.HEADTEACHER,
        Role.GOVERNOR,
        Role.SCHOOL_ADMIN,
    }
)
TRUST_ROLES = frozenset({Role.TRUST_ADMIN, Role.TRUST_SAFEGUARDING_LEAD, Role.TRUSTEE})


class SchoolMembership(models.Model):
    """A user's role in one school. Assigned on that school's site (or by the trust admin)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="school_memberships")
    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # The date of the DSL's (or a deputy's) last DSL training, recorded by the trust admin: KCSIE
    # asks for it to be refreshed at least every two years (docs/rules.md, "DSL training").
    # Null: not recorded.
    dsl_training_on = models.DateField("last DSL training", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="membership_one_per_school"),
            # Exactly one named DSL per school at any time (docs/rules.md, "Roles in a school").
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(role="dsl"), name="membership_one_dsl"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=sorted(r.value for r in SCHOOL_ROLES)),
                name="membership_school_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} at {self.school_id}"


class TrustMembership(models.Model):
    """A user's role across a trust: admin, safeguarding lead or trustee. No child data."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="trust_memberships")
    trust = models.ForeignKey("tenants.Trust", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "trust", "role"], name="trust_membership_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=sorted(r.value for r in TRUST_ROLES)),
                name="trust_membership_trust_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} is {self.role} of {self.trust_id}"


class DslHandoverRequest(models.Model):
    """The trust admin names a new DSL for a school that has one: nothing changes until the
    school's headteacher or its current DSL confirms it on the school's site (docs/security.md).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the school"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        REPLACED = "replaced", "Replaced by a later naming"

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, related_name="dsl_handover_requests"
    )
    nominee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    # Null once that account is deleted: the audit log keeps who it was, by id.
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One naming waits per school: a later one replaces it.
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(status="pending"),
                name="dsl_handover_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"DSL handover request {self.pk} at {self.school_id}: {self.status}"


class SignInLockout(models.Model):
    """One lockout of an email+IP pair, remembered for a day to grow the next cool-off.

    In PostgreSQL, not the cache: signing in reads it, and must work while Redis is down
    (trustplatform/accounts/lockout.py). The pair is kept as a digest only.
    """

    key_sha256 = models.CharField(max_length=64)
    locked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key_sha256", "locked_at"], name="lockout_key_time")]

    def __str__(self) -> str:
        return f"lockout {self.pk}"

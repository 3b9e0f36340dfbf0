"""Writes for users and their memberships."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.models import School, Trust
from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    TRUST_ROLES,
    Role,
    SchoolMembership,
    TrustMembership,
    User,
)


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


@transaction.atomic
def school_membership_add(*, user: User, school: School, role: Role) -> SchoolMembership:
    if role not in SCHOOL_ROLES:
        raise ValidationError({"role": f"{Role(role).label} is not a role within a school."})
    if SchoolMembership.objects.filter(user=user, school=school).exists():
        raise ValidationError({"user": "This person already has a role in this school."})
    if role == Role.DSL and SchoolMembership.objects.filter(school=school, role=Role.DSL).exists():
        raise ValidationError(
            {"role": "This school already has a DSL; hand over the role instead."}
        )
    return SchoolMembership.objects.create(user=user, school=school, role=role)


@transaction.atomic
def trust_membership_add(*, user: User, trust: Trust, role: Role) -> TrustMembership:
    if role not in TRUST_ROLES:
        raise ValidationError({"role": f"{Role(role).label} is not a role within a trust."})
    membership, _ = TrustMembership.objects.get_or_create(user=user, trust=trust, role=role)
    return membership

"""TOTP (RFC 6238) with replay protection, and single-use recovery codes."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD, World
from trustplatform.accounts.models import Role, User
from trustplatform.accounts.services import (
    recovery_code_use,
    totp_enrolment_begin,
    totp_enrolment_confirm,
    totp_reset,
    totp_verify,
    user_create,
)
from trustplatform.audit.models import AuditAction, AuditEvent

STEP = 30


def _enrolled(at: float) -> tuple[User, pyotp.TOTP, list[str]]:
    user = user_create(email="tfa@example.org", full_name="Pip Ormesby", password=PASSWORD)
    uri = totp_enrolment_begin(user=user)
    user.refresh_from_db()
    assert uri.startswith("otpauth://totp/")
    assert "tfa%40example.org" in uri
    totp = pyotp.TOTP(user.totp_secret)
    codes = totp_enrolment_confirm(user=user, code=totp.at(at), at=at)
    return user, totp, codes


def test_enrolment_needs_a_right_first_code(db: None) -> None:
    user = user_create(email="tfa@example.org", full_name="Pip Ormesby", password=PASSWORD)
    totp_enrolment_begin(user=user)
    with pytest.raises(ValidationError, match="not right"):
        totp_enrolment_confirm(user=user, code="000000")
    user.refresh_from_db()
    assert not user.has_two_factor


def test_a_valid_code_works_once_and_only_once(db: None) -> None:
    now = time.time()
    user, totp, _ = _enrolled(now - 3 * STEP)
    code = totp.at(now)

    assert totp_verify(user=user, code=code, at=now) is True
    assert totp_verify(user=user, code=code, at=now) is False


def test_the_previous_and_next_step_are_accepted_for_clock_drift(db: None) -> None:
    now = time.time()
    user, totp, _ = _enrolled(now - 10 * STEP)
    assert totp_verify(user=user, code=totp.at(now - STEP), at=now) is True
    assert totp_verify(user=user, code=totp.at(now + STEP), at=now) is True


def test_a_code_from_three_steps_ago_is_refused(db: None) -> None:
    now = time.time()
    user, totp, _ = _enrolled(now - 10 * STEP)
    assert totp_verify(user=user, code=totp.at(now - 3 * STEP), at=now) is False


def test_an_older_code_is_refused_once_a_newer_one_was_used(db: None) -> None:
    now = time.time()
    user, totp, _ = _enrolled(now - 10 * STEP)
    assert totp_verify(user=user, code=totp.at(now), at=now) is True
    assert totp_verify(user=user, code=totp.at(now - STEP), at=now) is False


def test_ten_recovery_codes_each_work_once_and_are_stored_hashed(db: None) -> None:
    user, _, codes = _enrolled(time.time())

    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(user.recovery_codes.values_list("code_hash", flat=True))
    assert not stored & set(codes)
    assert recovery_code_use(user=user, code=codes[0]) is True
    assert recovery_code_use(user=user, code=codes[0]) is False
    assert recovery_code_use(user=user, code="nothing-like-it") is False
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED).count() == 1


def test_a_dsl_resets_a_colleagues_two_factor_and_it_is_audited(world: World, db: None) -> None:
    key_holder, dsl = world.person("a", Role.KEY_HOLDER), world.person("a", Role.DSL)

    totp_reset(user=key_holder, actor=dsl, school=world.school_a)

    key_holder.refresh_from_db()
    assert not key_holder.has_two_factor
    assert not key_holder.recovery_codes.exists()
    event = AuditEvent.objects.filter(action=AuditAction.TOTP_RESET).latest("id")
    assert (event.actor_id, event.target_id) == (dsl.pk, str(key_holder.pk))


def test_nobody_resets_their_own_two_factor(world: World, db: None) -> None:
    dsl = world.person("a", Role.DSL)
    with pytest.raises(ValidationError, match="colleague"):
        totp_reset(user=dsl, actor=dsl, school=world.school_a)

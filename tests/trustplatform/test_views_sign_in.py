"""Signing in, two-factor, sessions, lockouts, password resets and invitations, through the views.

Each test drives Django's test client on a school's subdomain (alder.localhost, birchwood.localhost)
or on the root domain (localhost), as a browser would. Lockouts are counted per email and IP
address together, so every lockout test signs in from an address of its own (`fresh_ip`): what a
test locks never reaches another test, nor a later run sharing the same Redis.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django_tenants.utils import get_public_schema_name, schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from tenants.models import School
from tests.conftest import PASSWORD, World, host_of, school_client
from trustplatform.accounts.forms import axes_credentials
from trustplatform.accounts.lockout import cooloff
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.accounts.services import (
    school_membership_add,
    school_membership_remove,
    user_disable,
)
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import email_sha256
from trustplatform.permissions import SESSION_OTP_VERIFIED

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

WRONG_PASSWORD = "not-the-right-passphrase"
NEW_PASSWORD = "a-fresh-and-long-passphrase"
INVALID_LOGIN = "That email address and password do not match an account for this site."
WRONG_CODE = "That code is not right, or it has already been used."
LOCKED_OUT = "Too many attempts"
LOGIN_PATH = "/accounts/login/"
TWO_FACTOR_PATH = "/accounts/two-factor/"
STEP = 30


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def fresh_ip() -> Callable[[], str]:
    """A new client address for each call: lockouts of one test never meet another's."""

    def make() -> str:
        return "10." + ".".join(str(b) for b in secrets.token_bytes(3))

    return make


def site_client(school: School | None, ip: str = "127.0.0.1") -> Client:
    """An anonymous browser on the school's site (None: the root domain), from address `ip`."""
    return Client(HTTP_HOST=host_of(school), REMOTE_ADDR=ip)


def sign_in(client: Client, email: str, password: str, next_path: str = "/guidance/") -> Response:
    return client.post(
        f"{LOGIN_PATH}?next={next_path}",
        {"username": email, "password": password, "next": next_path},
    )


def enter_code(client: Client, code: str, next_path: str = "/staff/") -> Response:
    return client.post(f"{TWO_FACTOR_PATH}?next={next_path}", {"code": code, "next": next_path})


def next_totp(user: User) -> str:
    """The code of the next 30-second step: accepted for clock drift, and never the step the
    session fixture used at enrolment, which the replay guard would refuse."""
    user.refresh_from_db()
    return pyotp.TOTP(user.totp_secret).at(time.time() + STEP)


def wrong_totp(user: User) -> str:
    """A code that no step near now has: five steps, six candidates."""
    user.refresh_from_db()
    totp = pyotp.TOTP(user.totp_secret)
    valid = {totp.at(time.time() + k * STEP) for k in range(-2, 3)}
    return next(
        code
        for code in ("000000", "111111", "222222", "333333", "444444", "555555")
        if code not in valid
    )


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens (masked afresh on every response, 64 characters)."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", html)


def is_signed_in(client: Client, path: str = "/accounts/") -> bool:
    response = client.get(path)
    return bool(response.wsgi_request.user.is_authenticated and response.status_code == 200)


def redirects_to_login(response: Response) -> bool:
    return response.status_code == 302 and urlsplit(response["Location"]).path == LOGIN_PATH


def link_in(message: EmailMessage) -> str:
    [link] = re.findall(r"https?://\S+", str(message.body))
    return link


def attempt_request(school: School | None, email: str, ip: str) -> HttpRequest:
    """A sign-in POST as the lockout code sees it, without sending it through the views."""
    return RequestFactory().post(
        LOGIN_PATH, {"username": email}, HTTP_HOST=host_of(school), REMOTE_ADDR=ip
    )


def cooloff_on(school: School | None, email: str, ip: str) -> timedelta:
    schema = school.schema_name if school is not None else get_public_schema_name()
    with schema_context(schema):
        return cooloff(attempt_request(school, email, ip))


def is_locked(school: School | None, email: str, ip: str) -> bool:
    schema = school.schema_name if school is not None else get_public_schema_name()
    with schema_context(schema):
        return AxesProxyHandler.is_locked(
            attempt_request(school, email, ip), credentials=axes_credentials(email)
        )


def lock_out(school: School | None, email: str, ip: str) -> Response:
    """Five wrong passwords for `email` from `ip`; returns the fifth response."""
    client = site_client(school, ip)
    for _ in range(4):
        response = sign_in(client, email, WRONG_PASSWORD)
        assert response.status_code == 200
        assert INVALID_LOGIN in response.text
    return sign_in(client, email, WRONG_PASSWORD)


def signs_in(school: School | None, email: str, password: str, ip: str) -> bool:
    response = sign_in(site_client(school, ip), email, password)
    return response.status_code == 302 and urlsplit(response["Location"]).path != LOGIN_PATH


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    # Forward from now, never back: TOTP steps already used by the session fixture stay used.
    with time_machine.travel(time.time() + 60, tick=False) as traveller:
        yield traveller


# --- signing in ----------------------------------------------------------------------------------


def test_a_member_with_two_factor_signs_in_then_passes_the_code_check_to_reach_next(
    world: World, db: None
) -> None:
    dsl = world.person("a", Role.DSL)
    client = site_client(world.school_a)

    response = sign_in(client, dsl.email, PASSWORD, next_path="/staff/")

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == TWO_FACTOR_PATH
    assert "next=%2Fstaff%2F" in response["Location"]
    # Not signed in yet: every page but the code check answers as to a visitor.
    assert redirects_to_login(client.get("/staff/"))
    assert client.get(response["Location"]).status_code == 200

    passed = enter_code(client, next_totp(dsl), next_path="/staff/")

    assert (passed.status_code, passed["Location"]) == (302, "/staff/")
    assert client.session[SESSION_OTP_VERIFIED] is True
    assert client.get("/staff/").status_code == 200


def test_a_member_without_two_factor_signs_in_straight_to_next(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    client = site_client(world.school_a)

    response = sign_in(client, staff.email, PASSWORD, next_path="/guidance/")

    assert (response.status_code, response["Location"]) == (302, "/guidance/")
    assert client.get("/guidance/").status_code == 200


def test_the_email_address_is_matched_whatever_its_letter_case(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    response = sign_in(site_client(world.school_a), f" {staff.email.upper()} ", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, "/guidance/")


def test_a_trust_member_signs_in_on_the_root_domain(world: World, db: None) -> None:
    trustee = world.person("trust", Role.TRUSTEE)
    client = site_client(None)

    response = sign_in(client, trustee.email, PASSWORD, next_path="/portal/")

    assert urlsplit(response["Location"]).path == TWO_FACTOR_PATH
    passed = enter_code(client, next_totp(trustee), next_path="/portal/")
    assert passed["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_and_a_non_members_right_password_get_the_same_page(
    world: World, db: None
) -> None:
    outsider = world.person("b", Role.STAFF)  # a member of Birchwood, not of Alder
    member = world.person("a", Role.STAFF)

    wrong = sign_in(site_client(world.school_a), outsider.email, WRONG_PASSWORD)
    right = sign_in(site_client(world.school_a), outsider.email, PASSWORD)
    members_wrong = sign_in(site_client(world.school_a), member.email, WRONG_PASSWORD)

    assert wrong.status_code == right.status_code == members_wrong.status_code == 200
    assert INVALID_LOGIN in wrong.text
    assert without_csrf(right.text) == without_csrf(wrong.text)
    assert without_csrf(members_wrong.text).replace(member.email, outsider.email) == without_csrf(
        wrong.text
    )
    assert not right.wsgi_request.user.is_authenticated


def test_on_the_root_domain_a_school_member_without_a_trust_role_gets_the_wrong_password_page(
    world: World, db: None
) -> None:
    dsl = world.person("a", Role.DSL)

    wrong = sign_in(site_client(None), dsl.email, WRONG_PASSWORD, next_path="/portal/")
    right = sign_in(site_client(None), dsl.email, PASSWORD, next_path="/portal/")

    assert wrong.status_code == right.status_code == 200
    assert INVALID_LOGIN in right.text
    assert without_csrf(right.text) == without_csrf(wrong.text)
    assert not right.wsgi_request.user.is_authenticated


# --- sessions ------------------------------------------------------------------------------------


def test_a_session_of_school_a_replayed_on_school_b_is_anonymous_there(
    world: World, db: None
) -> None:
    dsl = world.person("a", Role.DSL)
    # A member of both schools: B must refuse the session because it was opened on A's site,
    # not because the person has no role at B.
    school_membership_add(user=dsl, school=world.school_b, role=Role.STAFF)
    on_a = school_client(world.school_a, dsl)
    assert on_a.get("/guidance/").status_code == 200

    on_b = site_client(world.school_b)
    on_b.cookies[settings.SESSION_COOKIE_NAME] = on_a.cookies[settings.SESSION_COOKIE_NAME].value
    replayed = on_b.get("/guidance/")

    assert redirects_to_login(replayed)
    assert not replayed.wsgi_request.user.is_authenticated
    # The same cookie jar sent with B's Host header, as a misconfigured parent-domain cookie would.
    assert redirects_to_login(on_a.get("/guidance/", HTTP_HOST=host_of(world.school_b)))
    # A's session is left as it was.
    assert on_a.get("/guidance/").status_code == 200


def test_a_dsl_idle_for_more_than_thirty_minutes_is_signed_out(world: World, db: None) -> None:
    dsl = school_client(world.school_a, world.person("a", Role.DSL))
    staff = school_client(world.school_a, world.person("a", Role.STAFF))

    with time_machine.travel(time.time() + 31 * 60, tick=False):
        timed_out = dsl.get("/guidance/")
        login_page = dsl.get(timed_out["Location"])
        after = dsl.get("/guidance/")
        staff_page = staff.get("/guidance/")

    assert redirects_to_login(timed_out)
    assert "signed out after 30 minutes without activity" in login_page.text
    assert redirects_to_login(after)
    assert not after.wsgi_request.user.is_authenticated
    # Staff read no child records: their session lasts the working day.
    assert staff_page.status_code == 200


def test_a_dsl_active_within_every_thirty_minutes_stays_signed_in(world: World, db: None) -> None:
    dsl = school_client(world.school_a, world.person("a", Role.DSL))

    with time_machine.travel(time.time() + 29 * 60, tick=False) as traveller:
        assert dsl.get("/guidance/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert dsl.get("/guidance/").status_code == 200


def test_signing_out_everywhere_ends_the_users_other_sessions(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    laptop = school_client(world.school_a, staff)
    phone = school_client(world.school_a, staff)

    response = laptop.post("/accounts/sign-out-everywhere/")

    assert redirects_to_login(response)
    assert redirects_to_login(phone.get("/guidance/"))
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)


def test_removing_a_membership_ends_that_persons_sessions(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    phone = school_client(world.school_a, staff)
    assert is_signed_in(phone)

    school_membership_remove(
        membership=SchoolMembership.objects.get(user=staff, school=world.school_a),
        actor=world.person("a", Role.DSL),
    )

    assert redirects_to_login(phone.get("/guidance/"))
    assert not is_signed_in(phone)


def test_disabling_a_user_ends_their_sessions(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    phone = school_client(world.school_a, staff)
    assert is_signed_in(phone)

    user_disable(user=staff, actor=world.person("a", Role.DSL))

    assert redirects_to_login(phone.get("/guidance/"))
    assert not is_signed_in(phone)
    assert not signs_in(world.school_a, staff.email, PASSWORD, "127.0.0.1")


# --- brute force ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_that_email_from_that_address_and_are_audited(
    world: World, db: None, fresh_ip: Callable[[], str]
) -> None:
    staff, colleague = world.person("a", Role.STAFF), world.person("a", Role.GOVERNOR)
    ip, other_ip = fresh_ip(), fresh_ip()

    fifth = lock_out(world.school_a, staff.email, ip)

    assert fifth.status_code == 429
    assert LOCKED_OUT in fifth.text
    assert settings.AXES_LOCKOUT_TEMPLATE in [t.name for t in fifth.templates]
    # Even the right password is refused while the lock lasts.
    refused = sign_in(site_client(world.school_a, ip), staff.email, PASSWORD)
    assert (refused.status_code, LOCKED_OUT in refused.text) == (429, True)
    assert not refused.wsgi_request.user.is_authenticated
    # One email from one address: a shared school address does not lock the whole staffroom,
    # and the person signs in from elsewhere.
    assert signs_in(world.school_a, colleague.email, PASSWORD, ip)
    assert signs_in(world.school_a, staff.email, PASSWORD, other_ip)

    [event] = AuditEvent.objects.filter(
        action=AuditAction.LOCKOUT, data__email_sha256=email_sha256(staff.email)
    )
    assert event.ip_address == ip
    assert event.actor_id is None


def test_the_cool_off_grows_with_each_lockout_and_always_ends_by_itself(
    world: World, db: None, fresh_ip: Callable[[], str], frozen_clock: time_machine.Traveller
) -> None:
    staff = world.person("a", Role.STAFF)
    ip = fresh_ip()

    assert lock_out(world.school_a, staff.email, ip).status_code == 429
    assert cooloff_on(world.school_a, staff.email, ip) == timedelta(minutes=1)
    frozen_clock.shift(timedelta(seconds=61))
    assert not is_locked(world.school_a, staff.email, ip)
    assert signs_in(world.school_a, staff.email, PASSWORD, ip)

    # The second lockout of the day lasts twice as long.
    assert lock_out(world.school_a, staff.email, ip).status_code == 429
    assert cooloff_on(world.school_a, staff.email, ip) == timedelta(minutes=2)
    frozen_clock.shift(timedelta(seconds=61))
    assert is_locked(world.school_a, staff.email, ip)
    frozen_clock.shift(timedelta(seconds=60))
    assert not is_locked(world.school_a, staff.email, ip)
    assert signs_in(world.school_a, staff.email, PASSWORD, ip)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.LOCKOUT, data__email_sha256=email_sha256(staff.email)
        ).count()
        == 2
    )


def test_the_cool_off_never_passes_an_hour(
    world: World, db: None, fresh_ip: Callable[[], str], frozen_clock: time_machine.Traveller
) -> None:
    staff = world.person("a", Role.STAFF)
    ip = fresh_ip()

    lengths = []
    for _ in range(7):
        assert lock_out(world.school_a, staff.email, ip).status_code == 429
        lengths.append(cooloff_on(world.school_a, staff.email, ip))
        frozen_clock.shift(lengths[-1] + timedelta(seconds=1))

    # The seventh would be 64 minutes.
    assert [int(length.total_seconds()) // 60 for length in lengths] == [1, 2, 4, 8, 16, 32, 60]
    assert signs_in(world.school_a, staff.email, PASSWORD, ip)


def test_trying_again_during_a_lockout_does_not_count_as_another_lockout(
    world: World, db: None, fresh_ip: Callable[[], str], frozen_clock: time_machine.Traveller
) -> None:
    staff = world.person("a", Role.STAFF)
    ip = fresh_ip()
    assert lock_out(world.school_a, staff.email, ip).status_code == 429

    # "Try again later": a person who tries twice more too soon is refused, and no more.
    for password in (PASSWORD, WRONG_PASSWORD):
        frozen_clock.shift(timedelta(seconds=10))
        assert sign_in(site_client(world.school_a, ip), staff.email, password).status_code == 429

    assert cooloff_on(world.school_a, staff.email, ip) == timedelta(minutes=1)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.LOCKOUT, data__email_sha256=email_sha256(staff.email)
        ).count()
        == 1
    )
    # Each refused try restarts the cool-off (axes' default), which then ends by itself.
    frozen_clock.shift(timedelta(seconds=61))
    assert signs_in(world.school_a, staff.email, PASSWORD, ip)


def test_a_grown_cool_off_holds_on_every_site_and_however_the_email_is_typed(
    world: World, db: None, fresh_ip: Callable[[], str], frozen_clock: time_machine.Traveller
) -> None:
    staff = world.person("a", Role.STAFF)
    ip = fresh_ip()
    assert lock_out(world.school_a, staff.email, ip).status_code == 429
    frozen_clock.shift(timedelta(seconds=61))
    assert lock_out(world.school_b, f" {staff.email.upper()}", ip).status_code == 429

    for school in (world.school_a, world.school_b, None):
        for typed in (staff.email, f"{staff.email.upper()} "):
            assert cooloff_on(school, typed, ip) == timedelta(minutes=2)


def test_a_grown_cool_off_is_not_cut_short_by_someone_elses_sign_in(
    world: World, db: None, fresh_ip: Callable[[], str], frozen_clock: time_machine.Traveller
) -> None:
    staff, colleague = world.person("a", Role.STAFF), world.person("a", Role.GOVERNOR)
    ip = fresh_ip()
    assert lock_out(world.school_a, staff.email, ip).status_code == 429
    frozen_clock.shift(timedelta(seconds=61))
    assert lock_out(world.school_a, staff.email, ip).status_code == 429
    frozen_clock.shift(timedelta(seconds=61))

    assert signs_in(world.school_a, colleague.email, PASSWORD, fresh_ip())

    assert is_locked(world.school_a, staff.email, ip)


def test_five_wrong_two_factor_codes_lock_out_like_five_wrong_passwords(
    world: World, db: None, fresh_ip: Callable[[], str]
) -> None:
    dsl = world.person("a", Role.DSL)
    ip = fresh_ip()
    client = site_client(world.school_a, ip)
    assert urlsplit(sign_in(client, dsl.email, PASSWORD)["Location"]).path == TWO_FACTOR_PATH

    for _ in range(4):
        response = enter_code(client, wrong_totp(dsl))
        assert response.status_code == 200
        assert WRONG_CODE in response.text
    fifth = enter_code(client, wrong_totp(dsl))

    assert fifth.status_code == 429
    assert LOCKED_OUT in fifth.text
    # The right code no longer helps, nor does signing in again: it is the same lock.
    assert enter_code(client, next_totp(dsl)).status_code == 429
    assert SESSION_KEY not in client.session
    assert sign_in(site_client(world.school_a, ip), dsl.email, PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(
        action=AuditAction.LOCKOUT, data__email_sha256=email_sha256(dsl.email)
    ).exists()


def test_signing_in_again_does_not_clear_the_wrong_two_factor_codes_before(
    world: World, db: None, fresh_ip: Callable[[], str]
) -> None:
    dsl = world.person("a", Role.DSL)
    ip = fresh_ip()
    client = site_client(world.school_a, ip)
    sign_in(client, dsl.email, PASSWORD)
    for _ in range(4):
        assert enter_code(client, wrong_totp(dsl)).status_code == 200

    again = site_client(world.school_a, ip)
    assert urlsplit(sign_in(again, dsl.email, PASSWORD)["Location"]).path == TWO_FACTOR_PATH

    assert enter_code(again, wrong_totp(dsl)).status_code == 429


def test_failures_are_forgotten_once_signing_in_is_complete(
    world: World, db: None, fresh_ip: Callable[[], str]
) -> None:
    staff, dsl = world.person("a", Role.STAFF), world.person("a", Role.DSL)
    ip = fresh_ip()
    # Without two-factor, the right password completes signing in.
    for _ in range(4):
        assert (
            sign_in(site_client(world.school_a, ip), staff.email, WRONG_PASSWORD).status_code == 200
        )
    assert signs_in(world.school_a, staff.email, PASSWORD, ip)
    assert sign_in(site_client(world.school_a, ip), staff.email, WRONG_PASSWORD).status_code == 200
    # With two-factor, the right code does.
    client = site_client(world.school_a, ip)
    sign_in(client, dsl.email, WRONG_PASSWORD)
    sign_in(client, dsl.email, PASSWORD)
    for _ in range(3):
        assert enter_code(client, wrong_totp(dsl)).status_code == 200
    assert enter_code(client, next_totp(dsl)).status_code == 302
    later = site_client(world.school_a, ip)
    sign_in(later, dsl.email, PASSWORD)
    for _ in range(4):
        assert enter_code(later, wrong_totp(dsl)).status_code == 200


# --- password reset ------------------------------------------------------------------------------


def test_a_member_resets_their_password_with_the_link_emailed_for_their_schools_site(
    world: World, db: None, mailoutbox: list[EmailMessage]
) -> None:
    staff = world.person("a", Role.STAFF)
    client = site_client(world.school_a)

    asked = client.post("/accounts/password/reset/", {"email": staff.email}, follow=True)

    assert "Check your email" in asked.text
    [message] = mailoutbox
    assert message.to == [staff.email]
    link = urlsplit(link_in(message))
    assert link.hostname == host_of(world.school_a)
    assert link.path.startswith("/accounts/password/reset/")
    # Only the link: no name, no school detail, nothing about any child.
    assert staff.full_name not in message.body
    assert message.body.count("http") == 1

    # Django swaps the token in the URL for one kept in the session before showing the form.
    opened = client.get(link.path)
    assert opened.status_code == 302
    set_password = opened["Location"]
    assert set_password.endswith("/set-password/")

    short = client.post(set_password, {"new_password1": "short", "new_password2": "short"})
    assert short.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in short.text

    saved = client.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert (saved.status_code, saved["Location"]) == (302, "/accounts/password/reset/complete/")
    assert signs_in(world.school_a, staff.email, NEW_PASSWORD, "127.0.0.1")
    assert not signs_in(world.school_a, staff.email, PASSWORD, "127.0.0.1")
    # The link was for one use.
    assert "already been used" in site_client(world.school_a).get(link.path, follow=True).text


def test_a_reset_for_an_address_with_no_account_here_sends_nothing_and_says_the_same(
    world: World, db: None, mailoutbox: list[EmailMessage]
) -> None:
    member = world.person("a", Role.STAFF)
    outsider = world.person("b", Role.STAFF)

    pages = {
        email: site_client(world.school_a)
        .post("/accounts/password/reset/", {"email": email}, follow=True)
        .text
        for email in (member.email, outsider.email, "nobody@example.org")
    }

    assert [m.to for m in mailoutbox] == [[member.email]]
    assert len({without_csrf(page) for page in pages.values()}) == 1
    assert "Check your email" in pages["nobody@example.org"]


# --- invitations ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_an_invited_person_sets_a_password_from_the_link_once_and_signs_in(
    world: World,
    db: None,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    dsl = school_client(world.school_a, world.person("a", Role.DSL))
    email = "robin.newcomer@example.org"

    with django_capture_on_commit_callbacks(execute=True):
        invited = dsl.post(
            "/staff/invite/", {"full_name": "Robin Newcomer", "email": email, "role": "staff"}
        )

    assert (invited.status_code, invited["Location"]) == (302, "/staff/")
    [message] = mailoutbox
    assert message.to == [email]
    link = urlsplit(link_in(message))
    assert link.hostname == host_of(world.school_a)
    assert link.path.startswith("/accounts/invite/")
    assert not signs_in(world.school_a, email, NEW_PASSWORD, "127.0.0.1")

    invitee = site_client(world.school_a)
    opened = invitee.get(link.path)
    assert opened.status_code == 302
    form = invitee.get(opened["Location"])
    assert "Welcome: choose your password" in form.text
    saved = invitee.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert (saved.status_code, saved["Location"]) == (302, LOGIN_PATH)

    signed_in = site_client(world.school_a)
    assert sign_in(signed_in, email, NEW_PASSWORD)["Location"] == "/guidance/"
    assert signed_in.get("/guidance/").status_code == 200
    # The link works once: afterwards it says so and offers no form.
    again = site_client(world.school_a).get(link.path, follow=True)
    assert "already been used" in again.text
    assert "new_password1" not in again.text


# --- two-factor enrolment ------------------------------------------------------------------------


def test_a_staff_member_sets_up_two_factor_and_gets_ten_recovery_codes_that_work_once(
    world: World, db: None
) -> None:
    staff = world.person("a", Role.STAFF)
    client = school_client(world.school_a, staff)

    setup = client.get("/accounts/two-factor/setup/")

    assert setup.status_code == 200
    assert "<svg" in setup.text
    staff.refresh_from_db()
    assert staff.totp_secret
    assert staff.totp_secret in setup.text
    assert not staff.has_two_factor

    turned_on = client.post(
        "/accounts/two-factor/setup/", {"code": pyotp.TOTP(staff.totp_secret).now()}
    )

    assert turned_on.status_code == 200
    codes = re.findall(r"<code>([0-9a-z]{5}(?:-[0-9a-z]{4}){4})</code>", turned_on.text)
    assert len(set(codes)) == 10
    staff.refresh_from_db()
    assert staff.has_two_factor
    assert client.session[SESSION_OTP_VERIFIED] is True

    # At the next sign-in a recovery code stands in for the app, once.
    laptop = site_client(world.school_a)
    assert urlsplit(sign_in(laptop, staff.email, PASSWORD)["Location"]).path == TWO_FACTOR_PATH
    passed = enter_code(laptop, codes[0], next_path="/guidance/")
    assert (passed.status_code, passed["Location"]) == (302, "/guidance/")
    assert laptop.session[SESSION_OTP_VERIFIED] is True

    tablet = site_client(world.school_a)
    sign_in(tablet, staff.email, PASSWORD)
    reused = enter_code(tablet, codes[0], next_path="/guidance/")
    assert reused.status_code == 200
    assert WRONG_CODE in reused.text
    assert SESSION_KEY not in tablet.session

"""Signing in is complete only after the second factor; links, secrets and guessing limits.

A user with two-factor who has typed only their password holds a short-lived "password accepted"
mark that opens the two-factor page and nothing else: every other URL of both URLconfs answers
them exactly as it answers an anonymous visitor. The operator's Django admin sits behind the same
sign-in. Invitation and reset links are written from the configured site address and work only
on the school that sent them.
"""

from __future__ import annotations

import base64
import math
import re
import secrets
import time
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from tenants.models import School
from tests.authz import Row
from tests.conftest import PASSWORD, World, host_of, school_client
from tests.safeguarding.fixtures import with_two_factor
from tests.trustplatform.test_authorization_matrix import (
    ROOT_MATRIX,
    SCHOOL_MATRIX,
    row_for,
)
from tests.trustplatform.test_views_sign_in import (
    INVALID_LOGIN,
    LOCKED_OUT,
    LOGIN_PATH,
    NEW_PASSWORD,
    TWO_FACTOR_PATH,
    WRONG_PASSWORD,
    enter_code,
    link_in,
    next_totp,
    sign_in,
    site_client,
    without_csrf,
)
from trustplatform.accounts.models import Role, User
from trustplatform.accounts.services import (
    totp_enrolment_begin,
    totp_enrolment_confirm,
    user_create,
)
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import email_sha256

TWO_FACTOR_PAGE = "accounts:two_factor"
RECORD_READING_ROLES = (Role.KEY_HOLDER, Role.DEPUTY_DSL, Role.HEADTEACHER)


def new_ip() -> str:
    return "10." + ".".join(str(b) for b in secrets.token_bytes(3))


def password_only(school: School | None, user: User) -> Client:
    """A browser that typed the user's right password on the site, and no code yet."""
    client = site_client(school, new_ip())
    response = sign_in(client, user.email, PASSWORD)
    assert urlsplit(response["Location"]).path == TWO_FACTOR_PATH
    return client


def url_of(matrix: dict[str, Row], name: str, school: School | None, world: World) -> str:
    row = row_for(matrix, name)
    assert row is not None
    url_name = "admin:index" if name.endswith(":*") else name
    urlconf = "trustplatform.urls_tenant" if school is not None else "trustplatform.urls_public"
    return reverse(
        url_name, urlconf=urlconf, kwargs=dict(row.kwargs(world)) if row.kwargs else None
    )


def answer(client: Client, matrix: dict[str, Row], name: str, url: str) -> tuple[int, str, str]:
    """What a page answers: status, where it sends the browser, and its text."""
    row = row_for(matrix, name)
    assert row is not None
    response = client.post(url, row.data) if row.method == "POST" else client.get(url, row.data)
    body = without_csrf(response.content.decode()) if response.status_code == 200 else ""
    return response.status_code, response.get("Location", ""), body


def _names(matrix: dict[str, Row]) -> list[str]:
    # The matrix has a row for every URL pattern of the URLconf (its own test makes sure).
    return [name for name in matrix if name != TWO_FACTOR_PAGE]


# --- a password alone --------------------------------------------------------------------------


def test_with_only_the_password_a_two_factor_user_is_not_signed_in(world: World, db: None) -> None:
    dsl = world.person("a", Role.DSL)
    client = password_only(world.school_a, dsl)

    assert SESSION_KEY not in client.session
    assert urlsplit(client.get("/accounts/")["Location"]).path == LOGIN_PATH
    # Not their receipts, not a concern as them, not their password.
    assert urlsplit(client.get("/accounts/password/")["Location"]).path == LOGIN_PATH
    changed = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert urlsplit(changed["Location"]).path == LOGIN_PATH
    dsl.refresh_from_db()
    assert dsl.check_password(PASSWORD)
    # The two-factor page is the one page it opens.
    assert client.get(TWO_FACTOR_PATH).status_code == 200


@pytest.mark.parametrize("name", _names(SCHOOL_MATRIX))
def test_with_only_the_password_every_school_url_answers_as_to_an_anonymous_visitor(
    world: World, db: None, name: str
) -> None:
    dsl = world.person("a", Role.DSL)
    url = url_of(SCHOOL_MATRIX, name, world.school_a, world)
    anonymous = answer(site_client(world.school_a), SCHOOL_MATRIX, name, url)
    half = answer(password_only(world.school_a, dsl), SCHOOL_MATRIX, name, url)
    assert half == anonymous


@pytest.mark.parametrize("name", _names(ROOT_MATRIX))
def test_with_only_the_password_every_root_url_answers_as_to_an_anonymous_visitor(
    world: World, db: None, name: str
) -> None:
    admin_user = world.person("trust", Role.TRUST_ADMIN)
    url = url_of(ROOT_MATRIX, name, None, world)
    anonymous = answer(site_client(None), ROOT_MATRIX, name, url)
    half = answer(password_only(None, admin_user), ROOT_MATRIX, name, url)
    assert half == anonymous


def test_the_password_accepted_mark_lasts_a_few_minutes(world: World, db: None) -> None:
    dsl = world.person("a", Role.DSL)
    client = password_only(world.school_a, dsl)

    with time_machine.travel(time.time() + 6 * 60, tick=False):
        late = enter_code(client, next_totp(dsl))

    assert urlsplit(late["Location"]).path == LOGIN_PATH
    assert SESSION_KEY not in client.session


def test_the_password_accepted_mark_counts_only_on_the_site_it_was_given(
    world: World, db: None
) -> None:
    dsl = world.person("a", Role.DSL)
    client = password_only(world.school_a, dsl)

    replayed = client.post(
        f"{TWO_FACTOR_PATH}?next=/staff/",
        {"code": next_totp(dsl), "next": "/staff/"},
        HTTP_HOST=host_of(world.school_b),
    )

    assert urlsplit(replayed["Location"]).path == LOGIN_PATH
    assert SESSION_KEY not in client.session


def test_a_session_opened_before_two_factor_was_set_up_elsewhere_no_longer_signs_in(
    world: World, db: None
) -> None:
    staff = world.person("a", Role.STAFF)
    laptop = school_client(world.school_a, staff)
    assert laptop.get("/accounts/").status_code == 200

    with_two_factor(staff)  # on their phone

    assert urlsplit(laptop.get("/accounts/")["Location"]).path == LOGIN_PATH


def test_typing_another_persons_password_signs_out_whoever_was_signed_in(
    world: World, db: None
) -> None:
    client = school_client(world.school_a, world.person("a", Role.STAFF))

    sign_in(client, world.person("a", Role.DSL).email, PASSWORD)

    assert SESSION_KEY not in client.session
    assert urlsplit(client.get("/accounts/")["Location"]).path == LOGIN_PATH


# --- the operator's admin ----------------------------------------------------------------------


def _operator(*, two_factor: bool) -> User:
    user = User.objects.create_superuser("operator@example.org", PASSWORD, full_name="Ode Pasco")
    return with_two_factor(user) if two_factor else user


def test_the_admin_login_sends_the_operator_to_the_two_step_sign_in(db: None) -> None:
    response = site_client(None).get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == LOGIN_PATH


def test_the_operator_reaches_the_admin_only_after_password_and_code(
    world: World, db: None
) -> None:
    operator = _operator(two_factor=True)
    client = site_client(None, new_ip())

    signed = sign_in(client, operator.email, PASSWORD, next_path="/admin/")
    assert urlsplit(signed["Location"]).path == TWO_FACTOR_PATH
    assert client.get("/admin/").status_code == 302

    passed = enter_code(client, next_totp(operator), next_path="/admin/")

    assert passed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_wants_a_session_that_passed_two_factor(world: World, db: None) -> None:
    operator = _operator(two_factor=False)
    client = school_client(None, operator)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/setup/?next=")
    assert "Set up" in response.text or "authenticator" in response.text


def test_after_a_lockout_the_right_password_does_not_open_the_admin(db: None) -> None:
    operator = _operator(two_factor=True)
    ip = new_ip()
    client = site_client(None, ip)
    for _ in range(5):
        client.post("/admin/login/", {"username": operator.email, "password": WRONG_PASSWORD})
    client.post("/admin/login/?next=/admin/", {"username": operator.email, "password": PASSWORD})
    for _ in range(5):
        sign_in(client, operator.email, WRONG_PASSWORD)

    for path in ("/admin/login/?next=/admin/", f"{LOGIN_PATH}?next=/admin/"):
        response = client.post(
            path, {"username": operator.email, "password": PASSWORD, "next": "/admin/"}
        )
        assert SESSION_KEY not in client.session
        assert urlsplit(response.get("Location") or "").path != TWO_FACTOR_PATH
    assert client.get("/admin/").status_code == 302


def test_the_admin_is_not_served_on_a_school_site_and_holds_no_school_data(
    world: World, db: None
) -> None:
    assert site_client(world.school_a).get("/admin/").status_code == 404
    school_apps = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    assert not {model._meta.app_label for model in admin.site._registry} & school_apps


# --- links -------------------------------------------------------------------------------------


def _invite(
    world: World, role: Role, email: str, capture: DjangoCaptureOnCommitCallbacks, host: str = ""
) -> str:
    dsl = school_client(world.school_a, world.person("a", Role.DSL))
    with capture(execute=True):
        response = dsl.post(
            "/staff/invite/",
            {"full_name": "Robin Newcomer", "email": email, "role": role.value},
            HTTP_HOST=host or host_of(world.school_a),
        )
    assert response.status_code == 302
    return email


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
@override_settings(SITE_SCHEME="https", SITE_PORT="8443")
def test_invitation_and_reset_links_use_the_configured_site_address_not_the_host_header(
    world: World,
    db: None,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    spoofed = f"{host_of(world.school_a)}:6666"
    _invite(world, Role.STAFF, "robin@example.org", django_capture_on_commit_callbacks, spoofed)
    site_client(world.school_a).post(
        "/accounts/password/reset/",
        {"email": world.person("a", Role.STAFF).email},
        HTTP_HOST=spoofed,
    )

    links = [urlsplit(link_in(message)) for message in mailoutbox]
    assert len(links) == 2
    for link in links:
        assert (link.scheme, link.netloc) == ("https", f"{host_of(world.school_a)}:8443")


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
def test_an_invitation_link_of_one_school_is_invalid_on_another(
    world: World,
    db: None,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _invite(world, Role.STAFF, "robin@example.org", django_capture_on_commit_callbacks)
    path = urlsplit(link_in(mailoutbox[0])).path

    elsewhere = site_client(world.school_b).get(path, follow=True)
    invalid = site_client(world.school_b).get("/accounts/invite/MQ/not-a-token/", follow=True)

    assert "new_password1" not in elsewhere.text
    assert without_csrf(elsewhere.text) == without_csrf(invalid.text)
    # The link still works on its own school.
    home = site_client(world.school_a)
    assert "new_password1" in home.get(home.get(path)["Location"]).text


def test_a_reset_link_of_one_school_is_invalid_on_another(
    world: World, db: None, mailoutbox: list[EmailMessage]
) -> None:
    dsl = world.person("a", Role.DSL)
    site_client(world.school_a).post("/accounts/password/reset/", {"email": dsl.email})
    path = urlsplit(link_in(mailoutbox[0])).path

    elsewhere = site_client(world.school_b).get(path, follow=True)

    assert "new_password1" not in elsewhere.text
    assert "already been used" in elsewhere.text


@pytest.mark.usefixtures("tasks_run_when_sent")  # the access email goes through the outbox
@pytest.mark.parametrize("role", RECORD_READING_ROLES)
def test_an_invitation_to_a_record_reading_role_lives_24_hours(
    world: World,
    db: None,
    role: Role,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _invite(world, role, "reader@example.org", django_capture_on_commit_callbacks)
    _invite(world, Role.STAFF, "recorder@example.org", django_capture_on_commit_callbacks)
    reader, recorder = (urlsplit(link_in(m)).path for m in mailoutbox)

    with time_machine.travel(time.time() + 23 * 3600, tick=False):
        assert site_client(world.school_a).get(reader).status_code == 302
    with time_machine.travel(time.time() + 25 * 3600, tick=False):
        late = site_client(world.school_a).get(reader, follow=True)
        staff_late = site_client(world.school_a).get(recorder)

    assert "new_password1" not in late.text
    assert "already been used" in late.text
    assert staff_late.status_code == 302
    # Each email says how long its link lives.
    assert "within 24 hours" in mailoutbox[0].body
    assert "within 72 hours" in mailoutbox[1].body


# --- secrets at rest ---------------------------------------------------------------------------


def test_totp_secrets_are_not_stored_in_plain_text(world: World, db: None) -> None:
    dsl = User.objects.get(pk=world.person("a", Role.DSL).pk)
    secret = dsl.totp_secret
    assert len(secret) >= 16

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [dsl.pk])
        row = cursor.fetchone()

    assert not any(secret in str(value) for value in row)
    # And the app still reads it.
    assert pyotp.TOTP(dsl.totp_secret).now() == pyotp.TOTP(secret).now()


def test_recovery_codes_carry_80_bits_and_are_stored_with_a_password_hasher(db: None) -> None:
    user = user_create(email="codes@example.org", full_name="Codie Keeper", password=PASSWORD)
    totp_enrolment_begin(user=user)
    user.refresh_from_db()
    codes = totp_enrolment_confirm(user=user, code=pyotp.TOTP(user.totp_secret).at(time.time()))

    for code in codes:
        characters = code.replace("-", "")
        alphabet = 16 if re.fullmatch(r"[0-9a-f]+", characters) else 32
        assert len(characters) * math.log2(alphabet) >= 80 + 20  # 80 secret bits + the lookup id
    stored = list(user.recovery_codes.values_list("code_hash", flat=True))
    assert len(stored) == 10
    for value in stored:
        assert identify_hasher(value).algorithm in {"argon2", "pbkdf2_sha256"}
    # Each hash checks one code, salted: the same code would not give the same value.
    assert sum(check_password(codes[0].split("-", 1)[1].replace("-", ""), h) for h in stored) == 1


# --- guessing across many addresses --------------------------------------------------------------


def test_guessing_one_accounts_password_from_many_addresses_cools_that_account_off(
    world: World, db: None
) -> None:
    staff, colleague = world.person("a", Role.STAFF), world.person("a", Role.GOVERNOR)
    start = time.time() + 60
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            client = site_client(world.school_a, new_ip())
            for _ in range(4):
                assert INVALID_LOGIN in sign_in(client, staff.email, WRONG_PASSWORD).text

        refused = sign_in(site_client(world.school_a, new_ip()), staff.email, PASSWORD)
        assert refused.status_code in (200, 429)
        assert LOCKED_OUT in refused.text or "too many" in refused.text.lower()
        assert not refused.wsgi_request.user.is_authenticated
        # Only that account: a colleague signs in as usual.
        ok = sign_in(site_client(world.school_a, new_ip()), colleague.email, PASSWORD)
        assert ok.status_code == 302

        assert (
            AuditEvent.objects.filter(
                action=AuditAction.LOCKOUT,
                data__email_sha256=email_sha256(staff.email),
                data__scope="account",
            ).count()
            == 1
        )
        # Never for good: the cool-off ends by itself.
        clock.shift(timedelta(minutes=16))
        back = sign_in(site_client(world.school_a, new_ip()), staff.email, PASSWORD)
        assert back.status_code == 302


# --- the API -------------------------------------------------------------------------------------


class _Me(APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request: object) -> ApiResponse:
        return ApiResponse({"ok": True})


def test_the_api_does_not_accept_basic_authentication(world: World, db: None) -> None:
    staff = world.person("a", Role.STAFF)
    credentials = base64.b64encode(f"{staff.email}:{PASSWORD}".encode()).decode()
    request = RequestFactory().get(
        "/api/me/", HTTP_AUTHORIZATION=f"Basic {credentials}", HTTP_HOST=host_of(world.school_a)
    )

    response = _Me.as_view()(request)

    assert response.status_code in (401, 403)


def test_a_new_key_takes_over_the_totp_secrets_after_rotation(world: World, db: None) -> None:
    dsl = world.person("a", Role.DSL)
    secret = User.objects.get(pk=dsl.pk).totp_secret
    old = settings.TOTP_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()

    with override_settings(TOTP_ENCRYPTION_KEYS=[new, old]):
        out = StringIO()
        call_command("rotate_totp_key", stdout=out)
    assert "Re-encrypted" in out.getvalue()

    with override_settings(TOTP_ENCRYPTION_KEYS=[new]):
        assert User.objects.get(pk=dsl.pk).totp_secret == secret
    with override_settings(TOTP_ENCRYPTION_KEYS=[old]), pytest.raises(InvalidToken):
        _ = User.objects.get(pk=dsl.pk).totp_secret


def test_the_migration_encrypts_secrets_that_were_stored_in_plain_text(
    world: World, db: None
) -> None:
    before, after = (
        ("accounts", "0005_totp_secret_encrypted"),
        ("accounts", "0007_remove_plain_totp_secret"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_user_model = executor.loader.project_state([before]).apps.get_model("accounts", "User")
    old_user_model.objects.create(
        email="plain@example.org", full_name="Tam Elder", totp_secret="JBSWY3DPEHPK3PXP"
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])

    user = User.objects.get(email="plain@example.org")
    assert user.totp_secret == "JBSWY3DPEHPK3PXP"
    assert "JBSWY3DPEHPK3PXP" not in user.totp_secret_encrypted
    # Everyone else's secret went back and forth and still works.
    dsl = User.objects.get(pk=world.person("a", Role.DSL).pk)
    assert len(dsl.totp_secret) >= 16

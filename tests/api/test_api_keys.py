"""API keys: made once and shown once, stored hashed, scoped, revocable, expiring, limited to
their school and to what their holder may do; every use audited by id (docs/api.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import AccessLogEntry, ApiKey, Concern, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.api_keys import api_key_revoke
from safeguarding.services.concerns import concern_record
from tests.api.helpers import ALL_SCOPES, key_client, make_key
from tests.authz import Row
from tests.conftest import World, school_client
from tests.safeguarding.authz_api import SCHOOL_ROWS
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.audit.models import AuditAction, AuditEvent

# Every API operation with a matrix row, the schema and its docs page aside.
API_NAMES = sorted(
    name
    for name in SCHOOL_ROWS
    if name.startswith("api:") and name not in {"api:schema", "api:docs"}
)


def _url(world: World, name: str) -> str:
    row: Row = SCHOOL_ROWS[name]
    return reverse(
        name,
        urlconf="trustplatform.urls_tenant",
        kwargs=dict(row.kwargs(world)) if row.kwargs else None,
    )


def _call(client: object, world: World, name: str) -> int:
    row = SCHOOL_ROWS[name]
    url = _url(world, name)
    if row.method == "POST":
        response = client.post(url, row.data, content_type="application/json")  # type: ignore[attr-defined]
    else:
        response = client.get(url)  # type: ignore[attr-defined]
    return int(response.status_code)


@pytest.mark.parametrize("name", API_NAMES)
def test_a_key_of_school_a_opens_nothing_of_school_b(world: World, db: None, name: str) -> None:
    made = make_key(world, *ALL_SCOPES)
    # Ids of school A's rows, asked for on school B's site with school A's key.
    assert _call(key_client(world.school_b, made.token), world, name) in (401, 403, 404)
    assert _call(key_client(world.school_c, made.token), world, name) in (401, 403, 404)


@pytest.mark.parametrize("name", API_NAMES)
def test_a_revoked_or_expired_key_is_refused(world: World, db: None, name: str) -> None:
    revoked = make_key(world, *ALL_SCOPES)
    with schema_context(world.school_a.schema_name):
        api_key_revoke(
            school=world.school_a,
            actor=world.person("a", Role.DSL),
            role=Role.DSL,
            key_id=revoked.key.pk,
        )
        expiring = make_key(world, *ALL_SCOPES, expires_at=timezone.now() + dt.timedelta(hours=1))
        ApiKey.objects.filter(pk=expiring.key.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    for token in (revoked.token, expiring.token, "sgk_nothere_x", revoked.token[:-2] + "zz"):
        assert _call(key_client(world.school_a, token), world, name) == 401


def test_a_wrong_secret_with_a_real_prefix_is_refused(world: World, db: None) -> None:
    made = make_key(world, "read_pupils")
    prefix = made.token.split("_")[1]
    response = key_client(world.school_a, f"sgk_{prefix}_{'x' * 43}").get("/api/v1/pupils/")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("The API key is not valid here")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_secret_is_stored_only_as_its_hash(world: World, db: None) -> None:
    made = make_key(world, "read_pupils")
    secret = made.token.split("_", 2)[2]
    with schema_context(world.school_a.schema_name):
        key = ApiKey.objects.get(pk=made.key.pk)
    assert secret not in json.dumps(
        [getattr(key, f.attname) for f in ApiKey._meta.fields], default=str
    )
    assert len(key.secret_sha256) == 64


@pytest.mark.parametrize(
    ("scopes", "name"),
    [
        (("read_pupils", "read_records"), "api:pupil_sync"),
        (("read_records", "write_pupils"), "api:concern_list_post"),
        (("write_pupils",), "api:pupil_list"),
        (("write_concerns", "read_pupils"), "api:concern_list"),
        (("encompass",), "api:category_list"),
    ],
)
def test_a_key_does_only_what_its_scopes_allow(
    world: World, db: None, scopes: tuple[str, ...], name: str
) -> None:
    made = make_key(world, *scopes)
    client = key_client(world.school_a, made.token)
    if name == "api:concern_list_post":
        concern = {"pupil_ids": [1], "category_ids": [1], "account": "x"}
        response = client.post("/api/v1/concerns/", concern, content_type="application/json")
    elif SCHOOL_ROWS[name].method == "POST":
        response = client.post(
            _url(world, name), SCHOOL_ROWS[name].data, content_type="application/json"
        )
    else:
        response = client.get(_url(world, name))
    assert response.status_code == 403
    assert "scope" in response.json()["error"]["message"]


def test_a_pupil_sync_key_reads_the_roll_but_never_the_safeguarding_flags(
    world: World, db: None
) -> None:
    made = make_key(world, "read_pupils", "write_pupils", role=Role.SCHOOL_ADMIN)
    with schema_context(world.school_a.schema_name):
        pupil = make_pupil("Marisol", "Quenby")
        Pupil.objects.filter(pk=pupil.pk).update(child_protection_plan=True)
    client = key_client(world.school_a, made.token)
    listed = client.get("/api/v1/pupils/").json()["results"]
    assert [p["safeguarding"] for p in listed if p["id"] == pupil.pk] == [None]
    one = client.get(f"/api/v1/pupils/{pupil.pk}/").json()
    assert one["safeguarding"] is None
    assert "child_protection_plan" not in one
    # The DSL's own key with read_records reads them, as the pupil page shows them.
    dsl = key_client(world.school_a, make_key(world, "read_pupils", "read_records").token)
    assert dsl.get(f"/api/v1/pupils/{pupil.pk}/").json()["safeguarding"]["child_protection_plan"]


def test_a_school_administrator_may_not_make_a_key_that_reads_records(
    world: World, db: None
) -> None:
    admin = world.person("a", Role.SCHOOL_ADMIN)
    client = school_client(world.school_a, with_two_factor(admin))
    response = client.post("/staff/api-keys/", {"name": "Sneaky", "scopes": ["read_records"]})
    assert response.status_code == 200
    assert "sgk_" not in response.content.decode()
    with schema_context(world.school_a.schema_name):
        assert not ApiKey.objects.filter(name="Sneaky").exists()
    made = client.post("/staff/api-keys/", {"name": "MIS", "scopes": ["write_pupils"]})
    token = made.content.decode().split('<code id="api-key">')[1].split("</code>")[0]
    assert token.startswith("sgk_")
    # Shown once: the list shows the key id, never the secret.
    assert token.split("_", 2)[2] not in client.get("/staff/api-keys/").content.decode()


def test_every_use_is_audited_with_the_key_id_never_its_secret(world: World, db: None) -> None:
    made = make_key(world, "read_pupils")
    key_client(world.school_a, made.token).get("/api/v1/pupils/?status=on_roll")
    event = AuditEvent.objects.filter(action=AuditAction.API_KEY_USED).latest("pk")
    assert event.target_id == str(made.key.pk)
    assert event.data == {"method": "GET", "path": "/api/v1/pupils/"}
    assert made.token.split("_", 2)[2] not in json.dumps(event.data)


def test_a_concern_sent_with_a_key_is_authored_by_its_holder(world: World, db: None) -> None:
    made = make_key(world, "write_concerns", role=Role.DSL)
    with schema_context(world.school_a.schema_name):
        pupil = make_pupil("Tamsin", "Orlebar")
        categories = category_ids("neglect")
    response = key_client(world.school_a, made.token).post(
        "/api/v1/concerns/",
        {"pupil_ids": [pupil.pk], "category_ids": categories, "account": "Arrived hungry."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    with schema_context(world.school_a.schema_name):
        concern = Concern.objects.get(pk=response.json()["id"])
    assert concern.author_id == world.person("a", Role.DSL).pk
    assert concern.author_role == "dsl"


def test_a_refused_concern_says_why_in_the_one_error_shape(world: World, db: None) -> None:
    made = make_key(world, "write_concerns")
    response = key_client(world.school_a, made.token).post(
        "/api/v1/concerns/",
        {"pupil_ids": [987654], "category_ids": [987654], "account": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid"
    assert "account" in error["fields"]


def test_reading_a_chronology_through_the_api_is_in_the_access_log(world: World, db: None) -> None:
    made = make_key(world, "read_records")
    with schema_context(world.school_a.schema_name):
        pupil = make_pupil("Ysolde", "Carrow")
    response = key_client(world.school_a, made.token).get(f"/api/v1/pupils/{pupil.pk}/chronology/")
    assert response.status_code == 200
    with schema_context(world.school_a.schema_name):
        entry = AccessLogEntry.objects.filter(pupil_id=pupil.pk).latest("pk")
    assert entry.user_id == world.person("a", Role.DSL).pk
    assert entry.action == "viewed_record"


def test_a_key_stops_when_its_holder_loses_the_role(world: World, db: None) -> None:
    made = make_key(world, "read_records")
    client = key_client(world.school_a, made.token)
    assert client.get("/api/v1/concerns/").status_code == 200
    SchoolMembership.objects.filter(user=world.person("a", Role.DSL)).update(role=Role.STAFF)
    assert client.get("/api/v1/concerns/").status_code == 403


def test_requests_beyond_the_rate_are_refused_and_fail_open_without_redis(
    world: World, db: None, settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    settings.API_RATE_PER_KEY = "2/minute"
    made = make_key(world, "read_pupils")
    client = key_client(world.school_a, made.token)
    cache.clear()
    assert [client.get("/api/v1/pupils/").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/pupils/").json()["error"]["code"] == "throttled"
    # Redis out of reach: the limit is not applied, the API still answers (and it is logged).
    settings.CACHES = {
        "default": {
            "BACKEND": "trustplatform.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert [client.get("/api/v1/pupils/").status_code for _ in range(3)] == [200, 200, 200]
    assert "Redis unavailable" in caplog.text


def test_a_key_holders_session_sees_through_the_api_what_the_pages_show(
    world: World, db: None
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    staff = world.person("a", Role.STAFF)
    with schema_context(world.school_a.schema_name):
        key_holder_access_set(
            school=world.school_a,
            key_holder=key_holder,
            category_ids=category_ids("neglect"),
            year_groups=[5],
            actor=world.person("a", Role.DSL),
        )
        year_5, year_7 = make_pupil("Liesl", "Amory"), make_pupil("Pell", "Dunstan", year_group=7)
        recorded = {
            name: concern_record(
                school=world.school_a,
                author=person(staff, Role.STAFF),
                pupil_ids=[pupil.pk],
                category_ids=category_ids(*codes),
                account="Invented account.",
            ).pk
            for name, pupil, codes in (
                ("granted", year_5, ("neglect",)),
                ("other category", year_5, ("neglect", "online-safety")),
                ("other year", year_7, ("neglect",)),
            )
        }
    client = school_client(world.school_a, key_holder)
    listed = {c["id"] for c in client.get("/api/v1/concerns/").json()["results"]}
    assert listed == {recorded["granted"]}
    for concern_id in recorded.values():
        page = client.get(reverse("safeguarding:concern_detail", kwargs={"concern_id": concern_id}))
        api = client.get(f"/api/v1/concerns/{concern_id}/")
        assert (page.status_code == 200) == (api.status_code == 200) == (concern_id in listed)
    pupils = {p["id"] for p in client.get("/api/v1/pupils/").json()["results"]}
    assert year_5.pk in pupils and year_7.pk not in pupils

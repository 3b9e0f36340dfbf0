"""Sentry events carry ids, never names or concern text (docs/rules.md, "No side channels").

Each test that turns Sentry on sends to a transport that keeps the envelopes in memory, and turns
Sentry off again afterwards so that no other test reports to it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport
from sentry_sdk.types import Event, Hint

from tenants.models import School
from tests.conftest import World, host_of
from trustplatform.sentry import scrub_event, sentry_init

PROJECT = Path(__file__).resolve().parents[2]
# A DSN that is never dialled: the capturing transport replaces the network.
DSN = "https://public@sentry.invalid/1"
PUPIL_NAME = "Zebedee Quintrell-Ashworth"
CONCERN_TEXT = "Arrived limping, bruised forearm, stepfather Corwin shouted"
# Every word a reader could recognise the child or the concern by.
SENSITIVE_WORDS = [*re.split(r"[\s-]+", PUPIL_NAME), *re.findall(r"\w+", CONCERN_TEXT)]


class CapturingTransport(Transport):
    """Keeps every envelope the SDK would have sent."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def serialized(self) -> str:
        """Everything that would have gone over the wire: headers, events, sessions, reports."""
        return b"".join(envelope.serialize() for envelope in self.envelopes).decode()

    def events(self) -> list[dict[str, Any]]:
        return [dict(event) for e in self.envelopes if (event := e.get_event()) is not None]


@contextmanager
def sentry_turned_off_afterwards() -> Iterator[None]:
    # A fresh scope: the tags and transaction name a request sets must not outlive the test.
    with sentry_sdk.isolation_scope():
        try:
            yield
        finally:
            sentry_sdk.get_client().close()
            # Back to the inactive client that settings leave when SENTRY_DSN is unset.
            sentry_sdk.get_global_scope().set_client(None)


@pytest.fixture
def sentry_transport() -> Iterator[CapturingTransport]:
    transport = CapturingTransport()
    with sentry_turned_off_afterwards():
        sentry_init(dsn=DSN, environment="test", transport=transport)
        yield transport


def assert_nothing_sensitive(transport: CapturingTransport) -> None:
    sent = transport.serialized()
    assert transport.envelopes, "nothing was captured: the test would prove nothing"
    for word in SENSITIVE_WORDS:
        assert not re.search(rf"\b{re.escape(word)}\b", sent, re.IGNORECASE), word
    # The form fields' and local variables' names: their values went with them if they showed.
    assert not re.search(r"\b(pupil_name|account)\b", sent)


def post_concern_over_http(server_url: str, school: School) -> int:
    """POST the failing concern form to the school's site, the name also in cookie and headers."""
    port = server_url.rsplit(":", 1)[1]
    request = Request(  # noqa: S310
        f"{server_url}/concerns/42/record/?search=Zebedee",
        data=urlencode({"pupil_name": PUPIL_NAME, "account": CONCERN_TEXT}).encode(),
        headers={
            "Host": f"{host_of(school)}:{port}",
            "Cookie": "last_search=Quintrell",
            "Referer": f"http://{host_of(school)}/pupils/?search=Quintrell",
            "X-Forwarded-User": PUPIL_NAME,
        },
    )
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except HTTPError as error:
        return error.code


# The school's host is routed by SchoolRoutingMiddleware, which sets `request.urlconf` from
# settings.ROOT_URLCONF at request time, and the `urls` marker overrides exactly that setting: the
# request goes through the real middleware into a school, and only the view is the test's own.
# (The root host would be routed to PUBLIC_SCHEMA_URLCONF, which the marker does not touch.)
@pytest.mark.urls("tests.trustplatform.sentry_urls")
def test_an_error_recording_a_concern_reaches_sentry_without_the_pupils_name_or_the_concern(
    school_a: School, sentry_transport: CapturingTransport
) -> None:
    client = Client(HTTP_HOST=host_of(school_a), raise_request_exception=False)
    client.cookies["last_search"] = PUPIL_NAME.replace(" ", "_")

    response = client.post(
        "/concerns/42/record/?search=Zebedee",
        {"pupil_name": PUPIL_NAME, "account": CONCERN_TEXT},
        HTTP_REFERER="https://alder.localhost/pupils/?search=Quintrell",
    )

    assert response.status_code == 500
    assert_nothing_sensitive(sentry_transport)
    [event] = sentry_transport.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert "value" not in exception
    frames = exception["stacktrace"]["frames"]
    assert frames[-1]["function"] == "record_concern_that_fails"
    assert all(
        set(frame) <= {"filename", "module", "function", "lineno", "in_app"} for frame in frames
    )
    # Named after the URL pattern, so that every pupil's failure is one issue in Sentry.
    assert event["transaction"] == "/concerns/{pupil_id}/record/"
    assert event["tags"] == {"school": school_a.schema_name}
    assert not {"extra", "contexts", "breadcrumbs", "server_name", "user"} & set(event)


@pytest.mark.urls("tests.trustplatform.sentry_urls")
def test_an_error_through_the_real_http_server_reaches_sentry_without_the_name_or_the_concern(
    world: World, server_url: str, django_db_blocker: Any, sentry_transport: CapturingTransport
) -> None:
    # The production path: WSGIHandler, which Sentry wraps to add the WSGI environment, headers
    # and the client's address. The server thread has its own connection, hence the unblock.
    with django_db_blocker.unblock():
        status = post_concern_over_http(server_url, world.school_a)

    assert status == 500
    assert_nothing_sensitive(sentry_transport)
    [event] = sentry_transport.events()
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["request"] == {"method": "POST", "url": "/concerns/42/record/"}
    assert event["tags"] == {"school": world.school_a.schema_name}


@pytest.mark.urls("tests.trustplatform.sentry_urls")
def test_the_allow_list_alone_keeps_the_name_out_when_the_sdk_collects_everything(
    world: World, server_url: str, django_db_blocker: Any
) -> None:
    # Defence in depth: should someone loosen the collection options in sentry_init, the
    # before_send allow-list still holds. Here the SDK collects locals, source lines, bodies,
    # headers, cookies, query strings and user details, and only `scrub_event` stands between.
    transport = CapturingTransport()
    unscrubbed: list[str] = []

    def record_then_scrub(event: Event, hint: Hint) -> Event | None:
        unscrubbed.append(json.dumps(event, default=str))
        return scrub_event(event, hint)

    with sentry_turned_off_afterwards():
        sentry_sdk.init(
            dsn=DSN,
            transport=transport,
            data_collection={},  # the SDK's defaults: collect (nearly) everything
            include_local_variables=True,
            include_source_context=True,
            max_request_body_size="always",
            before_send=record_then_scrub,
        )
        with django_db_blocker.unblock():
            status = post_concern_over_http(server_url, world.school_a)

    assert status == 500
    # The test proves something only if the name reached the SDK in the first place.
    assert PUPIL_NAME in unscrubbed[0]
    assert "Corwin" in unscrubbed[0]
    assert_nothing_sensitive(transport)
    [event] = transport.events()
    assert event["exception"]["values"][0]["type"] == "ValueError"


def test_an_error_logged_with_a_pupils_name_reaches_sentry_without_it(
    sentry_transport: CapturingTransport,
) -> None:
    logging.getLogger("safeguarding.concerns").error(
        "Could not notify the DSL about %s: %s",
        PUPIL_NAME,
        CONCERN_TEXT,
        extra={"pupil": PUPIL_NAME},
    )

    assert_nothing_sensitive(sentry_transport)
    [event] = sentry_transport.events()
    assert event["logger"] == "safeguarding.concerns"
    assert event["level"] == "error"
    # Only the call site names the event.
    assert re.fullmatch(
        r"Logged by test_sentry\.test_an_error_logged_with_a_pupils_name_\w+, line \d+",
        event["logentry"]["formatted"],
    )


def test_an_exception_logged_with_a_pupils_name_reaches_sentry_as_its_type_only(
    sentry_transport: CapturingTransport,
) -> None:
    try:
        raise KeyError(f"{PUPIL_NAME}: {CONCERN_TEXT}")
    except KeyError:
        logging.getLogger("safeguarding.concerns").exception("Lost %s", PUPIL_NAME)

    assert_nothing_sensitive(sentry_transport)
    [event] = sentry_transport.events()
    assert event["exception"]["values"][0]["type"] == "KeyError"
    assert "logentry" not in event


def test_initialising_twice_leaves_one_client_sending_scrubbed_events(
    sentry_transport: CapturingTransport,
) -> None:
    second = CapturingTransport()
    sentry_init(dsn=DSN, environment="test", transport=second)

    sentry_sdk.capture_message(f"Concern about {PUPIL_NAME}")

    assert sentry_transport.events() == []
    assert_nothing_sensitive(second)
    assert len(second.events()) == 1


def test_tests_run_with_sentry_off() -> None:
    # Settings start Sentry only when SENTRY_DSN is set; a test run must never report to it.
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize(("dsn", "active"), [("", False), (DSN, True)])
def test_settings_start_sentry_only_when_sentry_dsn_is_set(dsn: str, active: bool) -> None:
    script = (
        "import django, sentry_sdk; django.setup(); client = sentry_sdk.get_client();"
        "print(client.is_active(), getattr(client.options.get('before_send'), '__name__', None))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"} | {
        "DJANGO_SETTINGS_MODULE": "trustplatform.settings",
        "SENTRY_DSN": dsn,
        # Parsed, never connected to: keeps the embedded database out of this check.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/unused",
    }

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    expected = "True scrub_event" if active else "False None"
    assert result.stdout.split() == expected.split(), result.stderr

"""Error reports to Sentry, cut down to an allow-list so that no name or concern text leaves.

docs/rules.md, "No side channels": Sentry events carry ids, never names or concern text. Exception
messages, log messages, local variables, request bodies, headers, cookies and query strings can all
hold a pupil's name or what a member of staff wrote, so instead of scrubbing known-bad fields (a
deny-list misses the next one) `scrub_event` rebuilds each event from the few fields known to be
safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from logging import LogRecord
from typing import Any, cast
from urllib.parse import urlsplit

import sentry_sdk
from django.conf import settings
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.transport import Transport
from sentry_sdk.types import Event, Hint

from tenants.db import school_connection

# Top-level event fields copied as they are: ids, times, code and deployment facts.
# Left out on purpose: message/logentry (formatted text), extra (Celery task arguments, log
# record attributes, sys.argv), contexts, breadcrumbs, threads, fingerprint, modules,
# server_name (a host name says nothing useful and is not ours to publish) and _meta.
EVENT_KEYS = frozenset(
    {
        "event_id",
        "timestamp",
        "level",
        "platform",
        "environment",
        "release",
        "dist",
        "logger",
        "sdk",
    }
)
# school: the schema the error happened in; celery_*: which task run failed.
TAG_KEYS = frozenset({"school", "celery_task_id", "celery_task_name"})
# A transaction named after a URL pattern, view or task is kept; a raw path (source "url")
# carries ids and whatever a slug or path segment holds, and custom names could hold anything.
NAMED_TRANSACTION_SOURCES = frozenset({"route", "view", "component", "task"})
# Where the code was, never what it held: no vars, no source lines, no absolute paths.
FRAME_KEYS = frozenset({"filename", "module", "function", "lineno", "in_app"})
# How the exception was caught and how chained exceptions relate; `data` and `meta` are dropped.
MECHANISM_KEYS = frozenset(
    {"type", "handled", "exception_id", "parent_id", "source", "is_exception_group"}
)


def sentry_init(*, dsn: str, environment: str, transport: Transport | None = None) -> None:
    """Start Sentry; events leave only as rebuilt by `scrub_event` (an allow-list)."""
    previous = sentry_sdk.get_client()
    if previous.is_active():
        # Safe to call twice: the new client replaces the old one, whose sender thread stops.
        previous.close()

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        transport=transport,
        integrations=[
            # "url": errors are named after the URL pattern (`pupils/<int:pupil_id>/`).
            DjangoIntegration(transaction_style="url"),
            # No trace headers on task messages: tracing is off, and messages carry ids only.
            CeleryIntegration(propagate_traces=False),
        ],
        # The SDK's own collection switched off at the source; `scrub_event` is the backstop.
        # sentry-sdk 2.75 deprecates `send_default_pii` in favour of `data_collection` (setting both
        # warns and ignores the former); leaving it unset means "no PII".
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
            "frame_context_lines": 0,
        },
        max_request_body_size="never",
        include_local_variables=False,
        include_source_context=False,
        attach_stacktrace=False,
        # Breadcrumbs record log lines, SQL and cache keys of the request before the error.
        max_breadcrumbs=0,
        # Tracing and profiling stay off: spans carry SQL, cache keys and URLs that
        # `scrub_event` never sees. Turning tracing on needs a span scrubber first.
        traces_sample_rate=None,
        profiles_sample_rate=None,
        before_send=scrub_event,
        before_send_transaction=drop_transaction,
        enable_logs=False,
        enable_metrics=False,
    )


def drop_transaction(event: Event, hint: Hint) -> Event | None:
    """Performance transactions are never sent (see `sentry_init`)."""
    return None


def scrub_event(event: Event, hint: Hint) -> Event | None:
    """Rebuild an error event from the allow-listed fields only."""
    source: Mapping[str, Any] = event
    scrubbed: dict[str, Any] = {key: source[key] for key in EVENT_KEYS if key in source}

    if isinstance(exception := source.get("exception"), Mapping):
        scrubbed["exception"] = _scrub_exception(exception)
    if isinstance(request := source.get("request"), Mapping):
        scrubbed["request"] = _scrub_request(request)
    if isinstance(user := source.get("user"), Mapping) and _is_id(user.get("id")):
        scrubbed["user"] = {"id": user["id"]}

    transaction_info = source.get("transaction_info")
    if (
        isinstance(transaction_info, Mapping)
        and transaction_info.get("source") in NAMED_TRANSACTION_SOURCES
        and isinstance(source.get("transaction"), str)
    ):
        scrubbed["transaction"] = source["transaction"]
        scrubbed["transaction_info"] = {"source": transaction_info["source"]}

    if tags := _scrub_tags(source):
        scrubbed["tags"] = tags

    record = hint.get("log_record")
    if isinstance(record, LogRecord) and "exception" not in scrubbed:
        # The log message is dropped; name the call site instead, so that distinct log calls
        # stay distinct issues in Sentry rather than one "<unlabeled event>".
        scrubbed["logentry"] = {
            "formatted": f"Logged by {record.module}.{record.funcName}, line {record.lineno}"
        }
    return cast("Event", scrubbed)


def _scrub_exception(exception: Mapping[str, Any]) -> dict[str, Any]:
    values = []
    for value in exception.get("values") or []:
        # The type and where it was raised; never `value`, the message, which is where
        # f"could not save concern for {pupil}" ends up.
        scrubbed: dict[str, Any] = {
            key: value[key] for key in ("type", "module") if isinstance(value.get(key), str)
        }
        if isinstance(mechanism := value.get("mechanism"), Mapping):
            scrubbed["mechanism"] = {k: v for k, v in mechanism.items() if k in MECHANISM_KEYS}
        stacktrace = value.get("stacktrace")
        if isinstance(stacktrace, Mapping):
            scrubbed["stacktrace"] = {
                "frames": [
                    {k: v for k, v in frame.items() if k in FRAME_KEYS}
                    for frame in stacktrace.get("frames") or []
                    if isinstance(frame, Mapping)
                ]
            }
        values.append(scrubbed)
    return {"values": values}


def _scrub_request(request: Mapping[str, Any]) -> dict[str, Any]:
    # Method and path only: the query string, body, headers, cookies and WSGI environment can
    # all carry names (a search term, a form field, a Referer with a search in it).
    scrubbed: dict[str, Any] = {}
    if isinstance(method := request.get("method"), str):
        scrubbed["method"] = method
    if isinstance(url := request.get("url"), str):
        scrubbed["url"] = urlsplit(url).path
    return scrubbed


def _scrub_tags(event: Mapping[str, Any]) -> dict[str, str]:
    incoming = event.get("tags")
    tags = (
        {key: str(value) for key, value in incoming.items() if key in TAG_KEYS}
        if isinstance(incoming, Mapping)
        else {}
    )
    # Celery's integration puts the task name in `extra`, which is dropped as a whole.
    extra = event.get("extra")
    celery_job = extra.get("celery-job") if isinstance(extra, Mapping) else None
    if isinstance(celery_job, Mapping) and isinstance(celery_job.get("task_name"), str):
        tags["celery_task_name"] = celery_job["task_name"]
    # The event is captured on the thread that failed, whose connection is inside the school.
    # (django_tenants.utils.get_public_schema_name would read the same setting, but that module
    # cannot be imported here: settings import this module, and it reads settings on import.)
    schema_name = school_connection.schema_name
    if schema_name and schema_name != getattr(settings, "PUBLIC_SCHEMA_NAME", "public"):
        tags["school"] = schema_name
    return tags


def _is_id(value: object) -> bool:
    # Our user ids are integers; a string id might be an email address set by some integration.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and value.isdigit()
    )

"""Server time of a pupil's chronology page with 1,000 and 10,000 entries, and of recording a
concern.

Prints, from one run:

- p50/p95 of the chronology page's first screen (GET /pupils/<id>/chronology/ on the school's
  host, as the DSL past two-factor; the latest 100 entries) for a pupil with 1,000 entries and
  one with 10,000, interleaved, beside a bare GET through the same middleware; the p95 ratio of
  the two (goal: within 20 %), each page's size (goal: under 200 KiB) and p95 (goal: under
  100 ms), the number of SQL queries for 10, 1,000 and 10,000 entries (they must be equal), and
  "Load older entries" near the start of the 10,000 (keyset: it must cost what the first screen
  does);
- p50/p95 of recording a concern (POST /concerns/new/ as a member of staff: the whole view,
  validation, inserts, chronology append, alerts, the Celery message sent on commit) beside a
  bare view returning "ok" through the same middleware stack, and their ratio (goal: <= 3x).

Server time is the time Django takes to handle the request in this process: a django.test.Client
call timed with time.perf_counter(). It includes the client's own work of building the request,
not the network, a WSGI server, or opening a database connection (the client keeps one open, as
production does for CONN_MAX_AGE seconds, 60 unless set).

The 1,000 entries are made through the services (concern_record, concern_screen, contact_record),
each in its own transaction as in production, so their creation time is the cost of appending
to the hash chain; it is printed as well.

Runs against its own throwaway database (`bench_chronology`) on the server named by DATABASE_URL
(or the embedded development server when DATABASE_URL is unset); the database is dropped at the
end. Usage, from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/chronology.py

The bare view is served from a URLconf made by this script (settings.ROOT_URLCONF overridden to
the school's own patterns plus `bare/`), so the product gains no benchmark-only URL. The Celery
broker is the settings' filesystem transport, pointed at a temporary folder removed at the end.

`--show-queries` prints the SQL of each measured request; `--profile N` runs N more recordings
and N more chronology pages under cProfile and prints where their time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import math
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _benchdb import bench_database  # also puts the project on the path

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.test import Client

    from safeguarding.models import Pupil
    from safeguarding.services.chronology import Person
    from tenants.models import School
    from trustplatform.accounts.models import Role, User

# Development settings with DEBUG off, whatever the shell says: DEBUG would keep every query.
os.environ["ENVIRONMENT"] = "development"
os.environ["DEBUG"] = "False"
# Without REDIS_URL the Celery broker is the filesystem transport, pointed below at a temporary
# folder: the alert task sent on commit goes through the real .delay() path, and no worker (of
# the demo, or of a test run sharing a Redis) can pick up a message for a school it lacks.
os.environ.pop("REDIS_URL", None)

# Overridable, so that two runs on one server do not drop each other's database.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "bench_chronology")
URLCONF_MODULE = "bench_chronology_urls"
BIG_CHRONOLOGY = 1000
HUGE_CHRONOLOGY = 10_000
SMALL_CHRONOLOGY = 10
# The first screen's goals: p95 under 100 ms, the 10,000-entry page within 20 % of the 1,000-entry
# one, and the HTML under 200 KiB.
GOAL_PAGE_P95_MS = 100.0
GOAL_PAGE_SPREAD = 0.20
GOAL_PAGE_KIB = 200
# The 10,000 entries are appended this many to a transaction: the same services and chain, fewer
# commits, so seeding takes a minute rather than several.
HUGE_BATCH = 500
# Concerns among the 1,000 entries, each screened by the DSL; the rest are calls and meetings.
SEED_CONCERNS = 20
GOAL_RATIO = 3.0


# --- the Celery broker ---------------------------------------------------------------------------


def _celery_broker_in(folder: Path) -> None:
    """The filesystem broker of the settings, in `folder` instead of the project's .data/."""
    from trustplatform.celery import app  # noqa: PLC0415  (needs Django set up)

    # kombu warns that a filesystem:// URL names no host, which it does not need.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)

    for sub in ("processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


# --- the school, its people and its pupils (invented) -------------------------------------------


@dataclass(frozen=True)
class Site:
    school: School
    host: str
    dsl: User
    staff: User
    big: Pupil  # 1,000 entries
    huge: Pupil  # 10,000 entries
    small: Pupil  # 10 entries
    others: list[Pupil]  # pupils concerns are recorded about while measuring
    category_id: int
    seed_seconds: float
    seed_first_ms: float  # mean time of one entry among the first 100 appended, and the last 100
    seed_last_ms: float


def _user(email: str, name: str, *, two_factor: bool) -> User:
    import pyotp  # noqa: PLC0415

    from trustplatform.accounts.models import User  # noqa: PLC0415
    from trustplatform.accounts.services import (  # noqa: PLC0415
        totp_enrolment_begin,
        totp_enrolment_confirm,
        user_create,
    )

    user = user_create(email=email, full_name=name, password=None)
    if two_factor:
        totp_enrolment_begin(user=user)
        secret = User.objects.get(pk=user.pk).totp_secret
        totp_enrolment_confirm(user=user, code=pyotp.TOTP(secret).now())
    return User.objects.get(pk=user.pk)


def _member(school: School, role: Role, email: str, name: str, *, two_factor: bool) -> User:
    from trustplatform.accounts.services import school_membership_add  # noqa: PLC0415

    user = _user(email, name, two_factor=two_factor)
    school_membership_add(user=user, school=school, role=role)
    return user


def _pupil(n: int, first: str, last: str) -> Pupil:
    from safeguarding.models import Pupil  # noqa: PLC0415

    # As tests/safeguarding/conftest.py makes them: pupils come from the MIS import in real life.
    return Pupil.objects.create(
        upn=f"B{n:012d}",
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=dt.date(2016, 9, 3),
        sex=Pupil.Sex.MALE if n % 2 else Pupil.Sex.FEMALE,
        year_group=4,
        form="4H",
    )


def _chronology_seed(
    pupil: Pupil,
    count: int,
    *,
    staff: Person,
    dsl: Person,
    category_id: int,
    school: School,
    batch: int = 1,
) -> list[float]:
    """`count` entries through the services, oldest first; returns the time of each append.
    With `batch` > 1, that many entries share a transaction."""
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from safeguarding.models import ChronologyEntry, Concern  # noqa: PLC0415
    from safeguarding.services.concerns import (  # noqa: PLC0415
        concern_record,
        concern_screen,
        contact_record,
    )

    concerns = max(1, min(SEED_CONCERNS, count // 10))
    screenings = concerns if count >= 2 * concerns + 1 else 0
    start_at = timezone.now() - dt.timedelta(days=400)
    # Spread over the 400 days, whatever the count (9 hours apart for 1,000).
    step = dt.timedelta(days=400) / max(count, 1) * 0.9
    times: list[float] = []
    concern: Concern | None = None
    # Spread over the year: a concern every so often, then screened, then calls and meetings.
    every = count // concerns
    outer = None
    for i in range(count):
        if batch > 1 and i % batch == 0:
            if outer is not None:
                outer.__exit__(None, None, None)
            outer = transaction.atomic()
            outer.__enter__()
        occurred_at = start_at + i * step
        started = time.perf_counter()
        if i % every == 0 and i // every < concerns:
            concern = concern_record(
                school=school,
                author=staff,
                pupil_ids=[pupil.pk],
                category_ids=[category_id],
                account=f'Said "my tummy hurts, there was no tea again" (entry {i}).',
                occurred_at=occurred_at,
                backdate_reason="Entered from the paper log for the benchmark.",
                location="Classroom 4H",
                action_taken="Gave breakfast club toast; told the DSL.",
            )
        elif screenings and i % every == 1 and concern is not None and i // every < screenings:
            concern_screen(
                concern=concern,
                screener=dsl,
                level=Concern.Level.MEDIUM,
                rationale="Pattern of hunger across several weeks.",
                next_steps="Call the family; early help assessment.",
            )
        elif i % 2:
            contact_record(
                pupil=pupil,
                author=dsl,
                kind=ChronologyEntry.Kind.PHONE_CALL,
                occurred_at=occurred_at,
                summary=f"Discussed attendance and lunches; agreed to review in a week ({i}).",
                agency="Early Help Hub",
                person="Sam Invented (family worker)",
                concern=concern,
            )
        else:
            contact_record(
                pupil=pupil,
                author=dsl,
                kind=ChronologyEntry.Kind.MEETING,
                occurred_at=occurred_at,
                summary=f"Team around the family meeting; plan reviewed ({i}).",
                participants="DSL, class teacher, family worker, parent",
            )
        times.append(time.perf_counter() - started)
    if outer is not None:
        outer.__exit__(None, None, None)
    made = ChronologyEntry.objects.filter(pupil=pupil).count()
    if made != count:
        raise RuntimeError(f"expected {count} entries for the pupil, found {made}")
    return times


def _site_make() -> Site:
    from django.db import connection  # noqa: PLC0415
    from django_tenants.utils import schema_context  # noqa: PLC0415

    from safeguarding.models import Category  # noqa: PLC0415
    from safeguarding.services.chronology import Person  # noqa: PLC0415
    from safeguarding.services.concerns import ALLEGATION_CODE  # noqa: PLC0415
    from tenants.addresses import site_host  # noqa: PLC0415
    from tenants.services import school_create, trust_create  # noqa: PLC0415
    from trustplatform.accounts.models import Role  # noqa: PLC0415

    trust = trust_create(name="Bench Vale Learning Trust", slug="benchvale")
    school = school_create(
        trust=trust, name="Quillwood Primary", slug="quillwood", urn="990101", phase="primary"
    )
    people = {}
    for role, email, name in (
        (Role.DSL, "dsl@quillwood.example.org", "Morag Quill"),
        (Role.DEPUTY_DSL, "deputy1@quillwood.example.org", "Tomasz Fenwright"),
        (Role.DEPUTY_DSL, "deputy2@quillwood.example.org", "Ama Lindqvist"),
        (Role.HEADTEACHER, "head@quillwood.example.org", "Priya Oakhurst"),
    ):
        people[email] = _member(school, role, email, name, two_factor=True)
    for n in range(1, 21):
        email = f"staff{n}@quillwood.example.org"
        people[email] = _member(school, Role.STAFF, email, f"Staff Member {n}", two_factor=False)
    dsl, staff = people["dsl@quillwood.example.org"], people["staff1@quillwood.example.org"]

    with schema_context(school.schema_name):
        category_id = (
            Category.objects.filter(retired_at__isnull=True)
            .exclude(code=ALLEGATION_CODE)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if category_id is None:
            raise RuntimeError("the school has no categories; is the template migrated?")
        big = _pupil(1, "Oscar", "Brambleton")
        small = _pupil(2, "Ivy", "Thistlewood")
        huge = _pupil(3, "Wren", "Harrowgate")
        others = [_pupil(10 + n, f"Pupil{n}", "Inventedson") for n in range(20)]
        as_staff = Person(user_id=staff.pk, name=staff.full_name, role=str(Role.STAFF))
        as_dsl = Person(user_id=dsl.pk, name=dsl.full_name, role=str(Role.DSL))
        seed = {"school": school, "staff": as_staff, "dsl": as_dsl, "category_id": category_id}
        _chronology_seed(small, SMALL_CHRONOLOGY, **seed)
        started = time.perf_counter()
        times = _chronology_seed(big, BIG_CHRONOLOGY, **seed)
        seed_seconds = time.perf_counter() - started
        _chronology_seed(huge, HUGE_CHRONOLOGY, **seed, batch=HUGE_BATCH)
        # Statistics as autovacuum keeps them in production: without them the planner, still
        # believing the pupil has a few entries, sorts all 10,000 instead of walking the index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE safeguarding_chronologyentry")
    return Site(
        school=school,
        host=site_host(school),
        dsl=dsl,
        staff=staff,
        big=big,
        huge=huge,
        small=small,
        others=others,
        category_id=category_id,
        seed_seconds=seed_seconds,
        seed_first_ms=statistics.fmean(times[:100]) * 1000,
        seed_last_ms=statistics.fmean(times[-100:]) * 1000,
    )


# --- clients and the test-only URLconf -----------------------------------------------------------


def _signed_in_client(site: Site, user: User) -> Client:
    """As tests/conftest.py's school_client: signed in on the school's site, past two-factor
    when the user has it; CSRF checks enforced, as for a browser."""
    from django.test import Client  # noqa: PLC0415

    from trustplatform.accounts.middleware import (  # noqa: PLC0415
        SESSION_LAST_ACTIVITY,
        SESSION_PLACE,
    )
    from trustplatform.permissions import SESSION_OTP_VERIFIED  # noqa: PLC0415

    client = Client(enforce_csrf_checks=True, HTTP_HOST=site.host)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_PLACE] = site.school.schema_name
    session[SESSION_LAST_ACTIVITY] = int(time.time())
    session[SESSION_OTP_VERIFIED] = user.has_two_factor
    session.save()
    return client


def bare(request: HttpRequest) -> HttpResponse:
    """The peer of the recording view: no work of its own, only the stack around it."""
    from django.http import HttpResponse  # noqa: PLC0415

    return HttpResponse("ok")


def _bench_urlconf() -> str:
    """A URLconf module made here: the school's own patterns, and `bare/` before them.

    Why a module of the script (installed with override_settings(ROOT_URLCONF=...)) rather than a
    view in the product: the product keeps no benchmark-only URL, and the routing middleware
    picks settings.ROOT_URLCONF for every school host at request time, so the bare view and the
    real views are resolved by one URLconf behind exactly the same middleware (host routing,
    sessions, CSRF, auth, session place, messages, axes). The real patterns are the original
    objects, so names and namespaces reverse as before; one more pattern to try costs nothing.
    """
    from django.conf import settings  # noqa: PLC0415
    from django.urls import path  # noqa: PLC0415

    module = types.ModuleType(URLCONF_MODULE)
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bare/", bare, name="bench_bare"),
        *import_module(settings.ROOT_URLCONF).urlpatterns,
    ]
    sys.modules[URLCONF_MODULE] = module
    return URLCONF_MODULE


# --- measuring ----------------------------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _p(samples: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def _ms(samples: list[float]) -> str:
    return f"p50 {_p(samples, 0.50):.1f} ms  p95 {_p(samples, 0.95):.1f} ms"


def _expect(response: Any, status: int, what: str) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{what}: HTTP {response.status_code}, expected {status}")


def _queries(call: Callable[[], Any]) -> list[str]:
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


class SqlClock:
    """Time spent in the database driver (each statement's round trip), as an execute wrapper."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            self.seconds += time.perf_counter() - started


def _split(call: Callable[[], float], count: int) -> tuple[float, float]:
    """Median total and median SQL time (seconds) of `count` calls, in a pass of its own so that
    the wrapper does not touch the headline figures."""
    from django.db import connections  # noqa: PLC0415

    wrapper = connections["default"]
    totals, sql = [], []
    for _ in range(count):
        clock = SqlClock()
        # COMMIT does not go through execute wrappers: time it too (an instance attribute,
        # removed below, shadows the backend's private _commit for this pass only).
        commit = wrapper._commit
        wrapper._commit = lambda clock=clock, commit=commit: clock(commit)  # type: ignore[method-assign]
        try:
            with wrapper.execute_wrapper(clock):
                totals.append(call())
        finally:
            del wrapper._commit
        sql.append(clock.seconds)
    return statistics.median(totals), statistics.median(sql)


@dataclass
class Figures:
    page: list[float]
    page_queries_small: list[str]
    page_queries_big: list[str]
    page_bytes: int
    huge_page: list[float]
    huge_page_queries: list[str]
    huge_page_bytes: int
    older: list[float]  # "Load older entries" near the start of the 10,000 (the fetched run)
    older_queries: list[str]
    bare_get: list[float]
    huge_split: tuple[float, float]
    record: list[float]
    bare: list[float]
    record_queries: list[str]
    bare_queries: list[str]
    # (median total, median of the time in SQL round trips), seconds, from a pass of their own
    page_split: tuple[float, float]
    record_split: tuple[float, float]
    bare_split: tuple[float, float]


class Recorder:
    """POSTs the concern form as a member of staff would, and the same body to the bare view."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.client = _signed_in_client(site, site.staff)
        # The form page sets the CSRF cookie; its value is accepted as the form's token.
        _expect(self.client.get("/concerns/new/"), 200, "concern form")
        self.token = self.client.cookies["csrftoken"].value
        self.count = 0

    def body(self) -> tuple[bytes, str]:
        """One concern as the browser sends it (multipart, like the page's form), encoded ahead
        of the timer so both views get the same ready-made body (sent with client.generic, which
        takes the bytes as they are)."""
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart  # noqa: PLC0415
        from django.utils import timezone  # noqa: PLC0415

        pupil = self.site.others[self.count % len(self.site.others)]
        self.count += 1
        data = {
            "csrfmiddlewaretoken": self.token,
            "pupils": [str(pupil.pk)],
            "categories": [str(self.site.category_id)],
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "backdate_reason": "",
            "location": "Playground, by the climbing frame",
            "account": (
                'At morning break she said "I don\'t want to go home tonight, he shouts" and '
                "would not say who. She had a bruise on her left forearm she said came from PE."
            ),
            "action_taken": "Listened, did not ask leading questions, came straight to record it.",
            "told_dsl_in_person": "on",
            # One mark on the child's left forearm (front view), as the form posts it.
            "mark_view": "front",
            "mark_x": "86",
            "mark_y": "91.5",
            "mark_note": "bruise",
            "adult_name": "",
            "adult_role": "",
        }
        return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT

    def record(self) -> float:
        payload, content_type = self.body()
        elapsed, response = _timed(
            lambda: self.client.generic("POST", "/concerns/new/", payload, content_type)
        )
        if response.status_code != 302 or "/receipt/" not in response["Location"]:
            raise RuntimeError(f"recording a concern: HTTP {response.status_code}, not recorded")
        # The success message rides in a cookie until the receipt page shows it; the browser
        # follows the redirect, we do not, so drop it rather than let it grow request by request.
        self.client.cookies.pop("messages", None)
        return elapsed

    def bare(self) -> float:
        payload, content_type = self.body()
        elapsed, response = _timed(
            lambda: self.client.generic("POST", "/bare/", payload, content_type)
        )
        _expect(response, 200, "bare view")
        return elapsed


def _older_url(site: Site) -> str:
    """The "Load older entries" address of the run just after the 10,000's first 150 entries."""
    from safeguarding.models import ChronologyEntry  # noqa: PLC0415
    from safeguarding.selectors.chronology import Cursor  # noqa: PLC0415

    with _school(site):
        anchor = ChronologyEntry.objects.filter(pupil=site.huge).order_by("occurred_at", "id")[150]
    minute = anchor.occurred_at.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return f"/pupils/{site.huge.pk}/chronology/?before={Cursor(minute=minute, entry_id=anchor.pk)}"


def _school(site: Site) -> Any:
    from django_tenants.utils import schema_context  # noqa: PLC0415

    return schema_context(site.school.schema_name)


def _measure_pages(site: Site, *, page_requests: int, warmup: int) -> dict[str, Any]:
    """The chronology pages' figures, their split passes included."""
    dsl = _signed_in_client(site, site.dsl)
    big_url = f"/pupils/{site.big.pk}/chronology/"
    huge_url = f"/pupils/{site.huge.pk}/chronology/"
    small_url = f"/pupils/{site.small.pk}/chronology/"
    older_url = _older_url(site)

    def page(url: str, **headers: str) -> Any:
        response = dsl.get(url, headers=headers)
        _expect(response, 200, "chronology page")
        return response

    def older() -> Any:
        return page(older_url, **{"X-Requested-With": "fetch"})

    def bare_get() -> Any:
        response = dsl.get("/bare/")
        _expect(response, 200, "bare view")
        return response

    for _ in range(warmup):
        page(big_url)
        page(huge_url)
        page(small_url)
        older()
        bare_get()
    page_times: list[float] = []
    huge_times: list[float] = []
    older_times: list[float] = []
    bare_get_times: list[float] = []
    # Interleaved so that drift in the machine's load affects every column alike.
    for _ in range(page_requests):
        page_times.append(_timed(lambda: page(big_url))[0])
        huge_times.append(_timed(lambda: page(huge_url))[0])
        older_times.append(_timed(older)[0])
        bare_get_times.append(_timed(bare_get)[0])
    page_bytes = len(page(big_url).content)
    huge_bytes = len(page(huge_url).content)
    if "data-load-older" not in page(huge_url).text or "<template" not in older().text:
        raise RuntimeError("the 10,000-entry page has no working Load older entries")
    # Each count right after a request of the same page, so that a once-a-minute session write
    # (the idle timeout's last activity) cannot fall into one count and not the other.
    page(small_url)
    small_queries = _queries(lambda: page(small_url))
    page(big_url)
    big_queries = _queries(lambda: page(big_url))
    page(huge_url)
    huge_queries = _queries(lambda: page(huge_url))
    older()
    older_queries = _queries(older)

    return {
        "page": page_times,
        "page_queries_small": small_queries,
        "page_queries_big": big_queries,
        "page_bytes": page_bytes,
        "huge_page": huge_times,
        "huge_page_queries": huge_queries,
        "huge_page_bytes": huge_bytes,
        "older": older_times,
        "older_queries": older_queries,
        "bare_get": bare_get_times,
        "huge_split": _split(lambda: _timed(lambda: page(huge_url))[0], max(5, page_requests // 3)),
        "page_split": _split(lambda: _timed(lambda: page(big_url))[0], max(5, page_requests // 3)),
    }


def _measure(site: Site, *, page_requests: int, recordings: int, warmup: int) -> Figures:
    pages = _measure_pages(site, page_requests=page_requests, warmup=warmup)
    recorder = Recorder(site)
    for _ in range(warmup):
        recorder.record()
        recorder.bare()
    record_times: list[float] = []
    bare_times: list[float] = []
    # Interleaved so that drift in the machine's load affects both columns alike.
    for _ in range(recordings):
        record_times.append(recorder.record())
        bare_times.append(recorder.bare())
    record_queries = _queries(recorder.record)
    bare_queries = _queries(recorder.bare)
    splits = max(10, recordings // 5)
    record_split = _split(recorder.record, splits)
    bare_split = _split(recorder.bare, splits)
    return Figures(
        **pages,
        record=record_times,
        bare=bare_times,
        record_queries=record_queries,
        bare_queries=bare_queries,
        record_split=record_split,
        bare_split=bare_split,
    )


def _profiled(title: str, call: Callable[[], Any], count: int) -> str:
    call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    out = io.StringIO()
    out.write(f"\n=== cProfile: {title}, {count} requests ===\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def _profile(site: Site, count: int) -> str:
    recorder = Recorder(site)
    dsl = _signed_in_client(site, site.dsl)
    page = f"/pupils/{site.big.pk}/chronology/"
    return _profiled("record a concern", recorder.record, count) + _profiled(
        f"chronology page, {BIG_CHRONOLOGY:,} entries", lambda: dsl.get(page), count
    )


def _explain(site: Site, figures: Figures) -> str:
    """The plans of the chronology's own query on the 1,000- and 10,000-entry first screens."""
    from django.db import connection  # noqa: PLC0415

    out = []
    for name, queries in (
        (f"{BIG_CHRONOLOGY:,}", figures.page_queries_big),
        (f"{HUGE_CHRONOLOGY:,}", figures.huge_page_queries),
    ):
        sql = next(q for q in queries if "chronologyentry" in q and "LIMIT 101" in q)
        with _school(site), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        out.append(f"\n=== plan of the chronology query, {name} entries ===\n{plan}\n")
    return "".join(out)


def _report(figures: Figures, args: argparse.Namespace, site: Site) -> None:
    how = "in-process Django test client, timed with perf_counter"

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(
        f"chronology page, first screen ({args.page_requests} requests each, interleaved, {how}):"
    )
    for name, times, size in (
        (f"{BIG_CHRONOLOGY:,} entries", figures.page, figures.page_bytes),
        (f"{HUGE_CHRONOLOGY:,} entries", figures.huge_page, figures.huge_page_bytes),
    ):
        print(
            f"  {name}: {_ms(times)} (goal p95 < {GOAL_PAGE_P95_MS:g} ms: "
            f"{met(_p(times, 0.95) < GOAL_PAGE_P95_MS)}); page {size / 1024:.0f} KiB "
            f"(goal < {GOAL_PAGE_KIB} KiB: {met(size < GOAL_PAGE_KIB * 1024)})"
        )
    print(f"  load older entries, near the start of the {HUGE_CHRONOLOGY:,}: {_ms(figures.older)}")
    print(f"  bare GET view: {_ms(figures.bare_get)}")
    spread = _p(figures.huge_page, 0.95) / _p(figures.page, 0.95) - 1
    print(
        f"  p95 {HUGE_CHRONOLOGY:,} vs {BIG_CHRONOLOGY:,}: {spread:+.0%} "
        f"(goal within {GOAL_PAGE_SPREAD:.0%}: {met(abs(spread) <= GOAL_PAGE_SPREAD)})"
    )
    counts = {
        f"{SMALL_CHRONOLOGY} entries": len(figures.page_queries_small),
        f"{BIG_CHRONOLOGY:,} entries": len(figures.page_queries_big),
        f"{HUGE_CHRONOLOGY:,} entries": len(figures.huge_page_queries),
    }
    verdict = "equal" if len(set(counts.values())) == 1 else "NOT EQUAL"
    print(
        "SQL queries, first screen: "
        + ", ".join(f"{name}: {count}" for name, count in counts.items())
        + f"  ({verdict}; every statement CaptureQueriesContext sees, SET search_path included);"
        f" load older entries: {len(figures.older_queries)} (no filter lists to draw)"
    )
    if verdict != "equal":
        extra = [q for q in figures.huge_page_queries if q not in figures.page_queries_small]
        for query in extra[:10]:
            print(f"  only with {HUGE_CHRONOLOGY:,} entries: {query[:200]}")
    ratio = _p(figures.record, 0.5) / _p(figures.bare, 0.5)
    goal = "met" if ratio <= GOAL_RATIO else "MISSED"
    print(
        f"record a concern: {_ms(figures.record)}   bare view: {_ms(figures.bare)}   "
        f"ratio p50 {ratio:.1f}x (goal <= {GOAL_RATIO:g}x: {goal})"
    )
    print(
        f"  {args.recordings} recordings and {args.recordings} bare POSTs interleaved, same "
        f"multipart body, CSRF enforced, {how}. The alert task is sent with .delay() on commit "
        "to a filesystem broker in a temporary folder."
    )
    print("where the time goes (medians of a separate pass: SQL round trips incl. COMMIT / rest):")
    for name, (total, sql), queries in (
        (f"chronology page, {BIG_CHRONOLOGY:,}", figures.page_split, figures.page_queries_big),
        (
            f"chronology page, {HUGE_CHRONOLOGY:,}",
            figures.huge_split,
            figures.huge_page_queries,
        ),
        ("record a concern", figures.record_split, figures.record_queries),
        ("bare view", figures.bare_split, figures.bare_queries),
    ):
        sets = sum(1 for q in queries if q.startswith("SET search_path"))
        print(
            f"  {name}: {total * 1000:.1f} ms = SQL {sql * 1000:.1f} ms "
            f"({len(queries)} statements, {sets} of them SET search_path) "
            f"+ Python {(total - sql) * 1000:.1f} ms"
        )
    print(
        f"seeding: {BIG_CHRONOLOGY:,} entries through the services in {site.seed_seconds:.1f} s "
        f"(one transaction each; mean per entry: first 100 {site.seed_first_ms:.1f} ms, "
        f"last 100 {site.seed_last_ms:.1f} ms)"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-requests", type=int, default=30, help="default 30")
    parser.add_argument("--recordings", type=int, default=100, help="default 100")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first (5)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also cProfile N recordings and N chronology pages",
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of each measured page"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the plan (EXPLAIN ANALYZE) of the chronology's query, 1,000 and 10,000",
    )
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    broker = Path(tempfile.mkdtemp(prefix="bench-chronology-broker-"))
    started = time.perf_counter()
    profile = ""
    try:
        with bench_database(BENCH_DATABASE):
            from django.test.utils import override_settings  # noqa: PLC0415

            _celery_broker_in(broker)
            site = _site_make()
            with override_settings(ROOT_URLCONF=_bench_urlconf()):
                figures = _measure(
                    site,
                    page_requests=args.page_requests,
                    recordings=args.recordings,
                    warmup=args.warmup,
                )
                if args.profile:
                    profile = _profile(site, args.profile)
                if args.explain:
                    profile += _explain(site, figures)
            sent = sum(1 for entry in broker.iterdir() if entry.is_file())
    finally:
        shutil.rmtree(broker, ignore_errors=True)
    _report(figures, args, site)
    print(f"  ({sent} alert-email task messages written to the broker during the run)")
    if args.show_queries:
        for name, queries in (
            ("recording a concern", figures.record_queries),
            ("the bare view", figures.bare_queries),
            (f"the chronology page ({BIG_CHRONOLOGY:,} entries)", figures.page_queries_big),
            (f"the chronology page ({HUGE_CHRONOLOGY:,} entries)", figures.huge_page_queries),
            ("load older entries", figures.older_queries),
        ):
            print(f"\nSQL of {name}:")
            for number, query in enumerate(queries, 1):
                print(f"{number:4d}  {query[:160]}")
    if profile:
        print(profile)
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server time of the trust statistics dashboard, read from the rollup, beside a naive loop that
visits every school's schema, as the number of schools grows.

Prints, for 1, 50, 200 and 500 schools (`--schools 1,50,200,500`), the first 50 with 2,000
concerns each and the schools added after them with 300 each (`--concerns`, `--concerns-after`):

- the SQL statements of one dashboard request (the same at every size), and p50/p95 of the
  trust dashboard (GET /portal/statistics/ on the root domain as the trust's
  safeguarding lead past two-factor: the whole view, rollup queries, suppression, SVG charts,
  the per-school table with a row per school); its trust-wide tables read the trust's aggregate
  rows, its per-school table one query of the schools' per-month rows; and the p50 of this
  process's CPU time per request (the view runs in it), which a busy machine inflates least;
- p50/p95 of the naive alternative: entering each school's schema in turn and running the same
  aggregate queries the rollup refresh runs (counts only), as a dashboard without a rollup would
  (up to `--naive-up-to` schools, 50 by default: beyond, it only takes the run longer);
- p50 of refreshing one school's rollup rows at that size (5 refreshes of one school), including
  the rewrite of the trust's aggregate from all its schools' rows (the work after each commit,
  and per school at night);
- the whole run's time (goal: under ten minutes).

Goal: the dashboard under 50 ms at p95 and flat in the number of schools (the largest within
20 % of one school).

How the schools are made, quickly, with invented records only (a benchmark is not product code):

- Up to `--naive-up-to` schools (and one past the first 50) are real: created by the product's
  `school_create` (a clone of the template schema), their records bulk-inserted into their own
  tables, the first of each size of school built row by row and the others copied from it table
  by table in SQL, and their rollup filled by the product's own `school_statistics_refresh`, as
  the Celery task does.
- Past them, the schools exist in the public schema only: their school rows and a copy of a real
  school's snapshot and rollup rows, bulk-inserted, then the trust's aggregate rewritten by the
  product's refresh. The dashboard reads only those public rows, so what it does per request is
  the same as for real schools; the schemas, which it never reads, took most of a run to create.

Runs against its own throwaway database (`bench_trust_stats`) on the server named by
DATABASE_URL (or the embedded development server when unset), dropped at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/trust_stats.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _benchdb import bench_database  # also puts the project on the path

if TYPE_CHECKING:
    from django.test import Client

    from tenants.models import School, Trust
    from trustplatform.accounts.models import User

# Development settings with DEBUG off, whatever the shell says: DEBUG would keep every query.
os.environ["ENVIRONMENT"] = "development"
os.environ["DEBUG"] = "False"
os.environ.pop("REDIS_URL", None)  # no broker needed: nothing is sent

BENCH_DATABASE = "bench_trust_stats"
CONCERNS_PER_SCHOOL = 2000
CONCERNS_AFTER = 300
FULL_SCHOOLS = 50
PUPILS_PER_SCHOOL = 700
GOAL_P95_MS = 50.0
FLAT_WITHIN = 0.20
_serial = itertools.count(1)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _timed(work: Callable[[], object], samples: int) -> list[float]:
    work()  # warm-up, untimed
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


# --- invented schools and records ---------------------------------------------------------------


def _school(trust: Trust) -> School:
    from tenants.models import School  # noqa: PLC0415  (needs Django set up)
    from tenants.services import school_create  # noqa: PLC0415

    n = next(_serial)
    return school_create(
        trust=trust,
        name=f"Bench School {n:03d}",
        slug=f"bench-school-{n:03d}",
        urn=f"{800000 + n:06d}",
        phase=School.Phase.SECONDARY,
    )


def _fill(school: School, rng: random.Random, now: dt.datetime, concerns_count: int) -> None:
    """Invented concerns over the past year, bulk-inserted into the school's own tables."""
    from django_tenants.utils import schema_context  # noqa: PLC0415

    from safeguarding.models import Action, Category, Concern, Pupil  # noqa: PLC0415

    with schema_context(school.schema_name):
        pupils = Pupil.objects.bulk_create(
            Pupil(
                upn=f"Z{school.pk:04d}{i:08d}",
                legal_first_name="Invented",
                legal_last_name=f"Pupil{i}",
                date_of_birth=dt.date(2012, 1, 1),
                sex=Pupil.Sex.FEMALE if i % 2 else Pupil.Sex.MALE,
                year_group=7 + i % 7,
            )
            for i in range(PUPILS_PER_SCHOOL)
        )
        categories = list(Category.objects.values_list("pk", flat=True))
        statuses = [Concern.Status.NEW, Concern.Status.SCREENED, Concern.Status.OPEN]
        concerns = []
        for _ in range(concerns_count):
            occurred = now - dt.timedelta(minutes=rng.randrange(10, 365 * 24 * 60))
            status = rng.choice([*statuses, Concern.Status.CLOSED])
            screened = status != Concern.Status.NEW
            concerns.append(
                Concern(
                    occurred_at=occurred,
                    recorded_at=occurred + dt.timedelta(minutes=5),
                    account="Invented benchmark text.",
                    author_id=1,
                    author_name="Bench Author",
                    author_role="staff",
                    status=status,
                    closure_summary="Closed." if status == Concern.Status.CLOSED else "",
                    screened_at=occurred + dt.timedelta(hours=rng.choice([2, 20, 30]))
                    if screened
                    else None,
                )
            )
        concerns = Concern.objects.bulk_create(concerns, batch_size=1000)
        pupil_links = Concern.pupils.through
        category_links = Concern.categories.through
        pupil_links.objects.bulk_create(
            (
                pupil_links(concern_id=c.pk, pupil_id=p.pk)
                for c in concerns
                for p in rng.sample(pupils, 1 if rng.random() < 0.9 else 2)
            ),
            batch_size=2000,
        )
        category_links.objects.bulk_create(
            (
                category_links(concern_id=c.pk, category_id=k)
                for c in concerns
                for k in rng.sample(categories, 1 if rng.random() < 0.8 else 2)
            ),
            batch_size=2000,
        )
        kinds = [
            Action.Kind.REFERRAL_SOCIAL_CARE,
            Action.Kind.REFERRAL_POLICE,
            Action.Kind.REFERRAL_EARLY_HELP,
            Action.Kind.CONVERSATION_PUPIL,
        ]
        Action.objects.bulk_create(
            (
                Action(
                    concern_id=c.pk,
                    kind=rng.choice(kinds),
                    due_on=(now - dt.timedelta(days=rng.randrange(-10, 30))).date(),
                    completed_at=None if rng.random() < 0.3 else now,
                    created_by_id=1,
                    created_by_name="Bench DSL",
                )
                for c in concerns
                if rng.random() < 0.2
            ),
            batch_size=1000,
        )


def _copy_records(source: School, target: School) -> None:
    """The records of `source` copied into `target`'s own tables, table by table, in SQL.

    Same structure (both are clones of the template, whose default categories keep their ids),
    so each table is one INSERT ... SELECT: a school of invented records in a few milliseconds,
    where building its rows in Python took a second.
    """
    from django.db import connection  # noqa: PLC0415
    from psycopg2 import sql  # noqa: PLC0415

    from safeguarding.models import Action, Concern, Pupil  # noqa: PLC0415

    tables = [
        Pupil._meta.db_table,
        Concern._meta.db_table,
        Concern.pupils.through._meta.db_table,
        Concern.categories.through._meta.db_table,
        Action._meta.db_table,
    ]
    copy = sql.SQL("INSERT INTO {}.{} SELECT * FROM {}.{}")
    statements = sql.SQL(";").join(
        copy.format(
            sql.Identifier(target.schema_name),
            sql.Identifier(table),
            sql.Identifier(source.schema_name),
            sql.Identifier(table),
        )
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(statements)


def _schools_like(seed: School, count: int, trust: Trust) -> list[School]:
    """`count` more schools of `trust`, each with a copy of the seed's statistics.

    The dashboard reads only the public schema (the schools, their snapshots and rollup rows), so
    these schools get just those rows, bulk-inserted: no schema of their own, which only the
    refresh and the naive loop would enter, and which took most of a run to create and drop.
    """
    from django.apps import apps  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from psycopg2 import sql  # noqa: PLC0415

    from tenants.models import School  # noqa: PLC0415

    # Every statistics table with rows per school (snapshot, rollups), whichever they are.
    per_school = [
        model
        for model in apps.get_app_config("statistics").get_models()
        if any(f.column == "school_id" for f in model._meta.concrete_fields)
    ]
    numbers = [next(_serial) for _ in range(count)]
    schools = School.objects.bulk_create(
        School(
            trust_id=trust.pk,
            name=f"Bench School {n:03d}",
            slug=f"bench-school-{n:03d}",
            urn=f"{800000 + n:06d}",
            phase=seed.phase,
            schema_name=f"school_bench_school_{n:03d}",
        )
        for n in numbers
    )
    ids = [school.pk for school in schools]
    with connection.cursor() as cursor:
        for model in per_school:
            columns = [
                f.column
                for f in model._meta.concrete_fields
                if not f.primary_key and f.column != "school_id"
            ]
            values = [
                sql.Literal(trust.pk) if column == "trust_id" else sql.Identifier(column)
                for column in columns
            ]
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {table} (school_id, {names}) "
                    "SELECT new.id, {values} FROM {table} "
                    "CROSS JOIN unnest(%s::bigint[]) AS new(id) WHERE school_id = %s"
                ).format(
                    table=sql.Identifier(model._meta.db_table),
                    names=sql.SQL(", ").join(map(sql.Identifier, columns)),
                    values=sql.SQL(", ").join(values),
                ),
                [ids, seed.pk],
            )
    return schools


def _lead(trust: Trust) -> User:
    from trustplatform.accounts.models import Role  # noqa: PLC0415
    from trustplatform.accounts.services import trust_membership_add, user_create  # noqa: PLC0415

    user = user_create(
        email=f"lead-{trust.slug}@bench.example", full_name="Bench Lead", password=None
    )
    trust_membership_add(user=user, trust=trust, role=Role.TRUST_SAFEGUARDING_LEAD)
    return user


def _client(user: User) -> Client:
    from django.conf import settings  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from trustplatform.accounts.middleware import (  # noqa: PLC0415
        SESSION_LAST_ACTIVITY,
        SESSION_PLACE,
    )
    from trustplatform.permissions import SESSION_OTP_VERIFIED  # noqa: PLC0415

    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_PLACE] = "public"
    session[SESSION_LAST_ACTIVITY] = int(time.time())
    session[SESSION_OTP_VERIFIED] = True
    session.save()
    return client


# --- the measurements ---------------------------------------------------------------------------


def _dashboard(client: Client) -> Callable[[], object]:
    def get() -> object:
        response = client.get("/portal/statistics/")
        assert response.status_code == 200, response.status_code
        return response

    return get


def _statements(get: Callable[[], object]) -> int:
    """The SQL statements of one request: the same at every size when nothing per request reads
    a row per school."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as captured:
        get()
    return len(captured.captured_queries)


def _profile(get: Callable[[], object], count: int) -> None:
    """A pyinstrument profile of `count` dashboard requests."""
    from pyinstrument import Profiler  # noqa: PLC0415

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        get()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def _naive(schools: list[School], now: dt.datetime) -> Callable[[], object]:
    from django_tenants.utils import schema_context  # noqa: PLC0415

    from trustplatform.statistics.services import school_figures_compute  # noqa: PLC0415

    def visit_every_school() -> object:
        figures = []
        for school in schools:
            with schema_context(school.schema_name):
                figures.append(school_figures_compute(now=now))
        return figures

    return visit_every_school


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--schools", default="1,50,200,500", help="school counts (default 1,50,200,500)"
    )
    parser.add_argument("--concerns", type=int, default=CONCERNS_PER_SCHOOL)
    parser.add_argument(
        "--concerns-after",
        type=int,
        default=CONCERNS_AFTER,
        help=f"concerns per school past the first {FULL_SCHOOLS} (default {CONCERNS_AFTER})",
    )
    parser.add_argument("--naive-up-to", type=int, default=FULL_SCHOOLS)
    parser.add_argument("--samples", type=int, default=30, help="dashboard samples (default 30)")
    parser.add_argument("--naive-samples", type=int, default=5, help="naive samples (default 5)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="instead of the table: a pyinstrument profile of N dashboard requests at the largest "
        "size",
    )
    return parser.parse_args()


@dataclass
class BenchTrust:
    """A trust of `size` schools: its lead's client, its real schools (with a schema) and the one
    whose refresh is timed."""

    size: int
    client: Client
    real: list[School]
    refreshed: School


def _trust_of(
    size: int,
    args: argparse.Namespace,
    seeds: dict[bool, School],
    fill: Callable[[School, int], None],
) -> BenchTrust:
    """A new trust of `size` schools, all real when the naive loop visits them (`--naive-up-to`),
    else its first and the one past the first 50 only, the others in the public schema only
    (`_schools_like`)."""
    from tenants.services import trust_create  # noqa: PLC0415
    from trustplatform.statistics.services import school_statistics_refresh  # noqa: PLC0415

    trust = trust_create(name=f"Bench Trust {size}", slug=f"bench-trust-{size}")
    real: list[School] = []
    copies: dict[bool, int] = {True: 0, False: 0}
    for position in range(size):
        many = position < FULL_SCHOOLS
        visited = size <= args.naive_up_to or position in {0, FULL_SCHOOLS}
        if not visited and many in seeds:
            copies[many] += 1
            continue
        school = _school(trust)
        if many in seeds:
            _copy_records(seeds[many], school)
        else:
            fill(school, args.concerns if many else args.concerns_after)
            seeds[many] = school
        school_statistics_refresh(school=school)
        real.append(school)
    for many, count in copies.items():
        if count:
            _schools_like(seeds[many], count, trust)
    # The trust's aggregate, now with the copies' rows too.
    school_statistics_refresh(school=real[-1])
    return BenchTrust(size, _client(_lead(trust)), real, real[-1])


def main() -> int:
    args = _arguments()
    counts = sorted({int(c) for c in args.schools.split(",")})
    started = time.perf_counter()
    load_at_start = os.getloadavg()[0]
    rows: list[tuple[int, int, float, float, float, float, float, float]] = []
    refresh_ms: list[float] = []
    with bench_database(BENCH_DATABASE):
        from django.db import connection  # noqa: PLC0415
        from django.utils import timezone  # noqa: PLC0415

        from trustplatform.statistics.services import school_statistics_refresh  # noqa: PLC0415

        rng = random.Random(20261130)  # invented data, not security
        now = timezone.now()
        seeds: dict[bool, School] = {}
        trusts = [
            _trust_of(size, args, seeds, lambda school, n: _fill(school, rng, now, n))
            for size in counts
        ]
        with connection.cursor() as cursor:
            # Fresh planner statistics, as autovacuum keeps them in a database in use.
            cursor.execute("ANALYZE")
        built = time.perf_counter() - started
        print(f"... {len(trusts)} trusts built in {built:.0f} s", file=sys.stderr)
        # Every size in turn, sample by sample: a neighbour's load on the machine falls on all.
        gets = [_dashboard(t.client) for t in trusts]
        samples: list[list[float]] = [[] for _ in trusts]
        # This process's CPU time per request (the view runs in it): what a busy machine's
        # neighbours inflate least, beside the elapsed time they inflate most.
        cpu_samples: list[list[float]] = [[] for _ in trusts]
        for get in gets:
            get()  # warm-up, untimed
        queries = [_statements(get) for get in gets]
        if args.profile:
            _profile(gets[-1], args.profile)
            return 0
        for _ in range(args.samples):
            for get, times, cpu in zip(gets, samples, cpu_samples, strict=True):
                t0, c0 = time.perf_counter(), time.process_time()
                get()
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        for t, times, cpu, n in zip(trusts, samples, cpu_samples, queries, strict=True):
            naive = (
                _percentiles(_timed(_naive(t.real, now), args.naive_samples))
                if t.size <= args.naive_up_to
                else (float("nan"), float("nan"))
            )
            one = _timed(lambda t=t: school_statistics_refresh(school=t.refreshed), 5)
            refresh_ms += one
            rows.append(
                (
                    t.size,
                    n,
                    *_percentiles(times),
                    _percentiles(cpu)[0],
                    *naive,
                    _percentiles(one)[0],
                )
            )
            print(f"... {t.size} schools measured", file=sys.stderr)

    print(
        f"{args.concerns:,} concerns per school for the first {FULL_SCHOOLS}, "
        f"{args.concerns_after:,} after; times in ms."
    )
    headers = (
        "schools",
        "queries",
        "dashboard p50",
        "dashboard p95",
        "dashboard CPU p50",
        "naive loop p50",
        "naive loop p95",
        "refresh p50",
    )
    print(" | ".join(headers))
    for count, n, d50, d95, c50, n50, n95, r50_added in rows:
        cells = (
            str(count),
            str(n),
            f"{d50:.1f}",
            f"{d95:.1f}",
            f"{c50:.1f}",
            f"{n50:.1f}",
            f"{n95:.1f}",
            f"{r50_added:.1f}",
        )
        print(" | ".join(c.rjust(len(h)) for c, h in zip(cells, headers, strict=True)))
    r50, r95 = _percentiles(refresh_ms)
    print(f"Refreshing one school's rollup (all sizes): p50 {r50:.1f} ms, p95 {r95:.1f} ms.")
    worst = max(row[3] for row in rows)
    verdict = "met" if worst < GOAL_P95_MS else "NOT met"
    print(f"Goal (dashboard p95 < {GOAL_P95_MS:.0f} ms at every size): {verdict}.")
    growth = rows[-1][3] / rows[0][3] - 1
    flat = "met" if growth <= FLAT_WITHIN else "NOT met"
    print(
        f"Flat ({rows[-1][0]} schools within {FLAT_WITHIN:.0%} of {rows[0][0]}): "
        f"{growth:+.0%}, {flat}; CPU p50 {rows[-1][4] / rows[0][4] - 1:+.0%}."
    )
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    print(
        f"Load average (1 min) at the start {load_at_start:.1f}, at the end "
        f"{os.getloadavg()[0]:.1f}, on {os.cpu_count()} cores: times grow with it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server time of the trust statistics dashboard, read from the rollup, beside a naive loop that
visits every school's schema, as the number of schools grows.

Prints, for 1, 50, 200 and 500 schools (`--schools 1,50,200,500`), the first 50 with 2,000
concerns each and the schools added after them with 300 each (`--concerns`, `--concerns-after`:
the rollup is by month and year group, so a school's rows are as many either way, and the run
stays under ten minutes):

- p50/p95 of the trust dashboard (GET /portal/statistics/ on the root domain as the trust's
  safeguarding lead past two-factor: the whole view, rollup queries, suppression, SVG charts);
  its trust-wide tables read the trust's aggregate rows, its per-school table one query;
- p50/p95 of the naive alternative: entering each school's schema in turn and running the same
  aggregate queries the rollup refresh runs (counts only), as a dashboard without a rollup would
  (up to `--naive-up-to` schools, 50 by default: beyond, it only takes the run longer);
- p50 of refreshing one school's rollup rows, including the rewrite of the trust's aggregate
  from all its schools' rows (the work after each commit, and per school at night), for the
  schools added to reach that size.

Goal: the dashboard under 50 ms at p95 and flat in the number of schools (the largest within
20 % of one school).

The synthetic concerns (invented, with no real data) are bulk-inserted straight into each school's
tables for speed: a benchmark is not product code. The rollup is then filled through the product's
own service (`school_statistics_refresh`), as the Celery task does.

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


def _lead(trust: Trust) -> User:
    from trustplatform.accounts.models import Role  # noqa: PLC0415
    from trustplatform.accounts.services import trust_membership_add, user_create  # noqa: PLC0415

    user = user_create(email="lead@bench.example", full_name="Bench Lead", password=None)
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
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    counts = sorted(int(c) for c in args.schools.split(","))
    started = time.perf_counter()
    rows: list[tuple[int, float, float, float, float, float]] = []
    refresh_ms: list[float] = []
    with bench_database(BENCH_DATABASE):
        from django.utils import timezone  # noqa: PLC0415

        from tenants.services import trust_create  # noqa: PLC0415
        from trustplatform.statistics.services import school_statistics_refresh  # noqa: PLC0415

        rng = random.Random(20261130)  # invented data, not security
        now = timezone.now()
        trust = trust_create(name="Bench Trust", slug="bench-trust")
        client = _client(_lead(trust))
        schools: list[School] = []
        for count in counts:
            added_ms: list[float] = []
            while len(schools) < count:
                school = _school(trust)
                many = len(schools) < FULL_SCHOOLS
                _fill(school, rng, now, args.concerns if many else args.concerns_after)
                t0 = time.perf_counter()
                school_statistics_refresh(school=school)
                added_ms.append((time.perf_counter() - t0) * 1000)
                schools.append(school)
            dash = _percentiles(_timed(_dashboard(client), args.samples))
            naive = (
                _percentiles(_timed(_naive(schools, now), args.naive_samples))
                if count <= args.naive_up_to
                else (float("nan"), float("nan"))
            )
            refresh_ms += added_ms
            rows.append((count, *dash, *naive, _percentiles(added_ms)[0]))
            print(f"... {count} schools measured", file=sys.stderr)

    print(
        f"{args.concerns:,} concerns per school for the first {FULL_SCHOOLS}, "
        f"{args.concerns_after:,} after; times in ms."
    )
    headers = (
        "schools",
        "dashboard p50",
        "dashboard p95",
        "naive loop p50",
        "naive loop p95",
        "refresh p50",
    )
    print(" | ".join(headers))
    for count, d50, d95, n50, n95, r50_added in rows:
        cells = (
            str(count),
            f"{d50:.1f}",
            f"{d95:.1f}",
            f"{n50:.1f}",
            f"{n95:.1f}",
            f"{r50_added:.1f}",
        )
        print(" | ".join(c.rjust(len(h)) for c, h in zip(cells, headers, strict=True)))
    r50, r95 = _percentiles(refresh_ms)
    print(f"Refreshing one school's rollup (all sizes): p50 {r50:.1f} ms, p95 {r95:.1f} ms.")
    worst = max(row[2] for row in rows)
    verdict = "met" if worst < GOAL_P95_MS else "NOT met"
    print(f"Goal (dashboard p95 < {GOAL_P95_MS:.0f} ms at every size): {verdict}.")
    growth = rows[-1][2] / rows[0][2] - 1
    flat = "met" if growth <= FLAT_WITHIN else "NOT met"
    print(
        f"Flat ({rows[-1][0]} schools within {FLAT_WITHIN:.0%} of {rows[0][0]}): "
        f"{growth:+.0%}, {flat}."
    )
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

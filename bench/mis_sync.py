"""Rows per second of the MIS pupil sync, for a school of 5,000 pupils.

Prints, from one run, the rows per second of `pupil_sync` (the upsert behind
POST /api/v1/pupils/sync/ and, through the same planning and writing, the CSV import):

- a first import of 5,000 new pupils (every row created);
- a re-sync of the same 5,000 rows with 5 % of them changed (year group, form, SEN, free school
  meals or a leaving date: each change also writes a history row);
- the same rows sent again, all unchanged (the nightly run on a quiet day);

and the same three for `pupil_import_apply` given the rows as a CSV file (reading and checking
the file included). Goal: at least 5,000 rows/s for each. Each run is one call of the service in
one transaction, timed with time.perf_counter() around the call, as the API view makes it (the
HTTP request and the JSON parsing are not counted). The statistics refresh the service asks for
after commit is left out: it is a Celery message, not the sync's work.

Runs against its own throwaway database (`bench_mis_sync`) on the server named by DATABASE_URL
(or the embedded development server when DATABASE_URL is unset); the database is dropped at the
end. Usage, from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/mis_sync.py

`--profile` runs each step under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import os
import pstats
import random
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

from _benchdb import bench_database  # also puts the project on the path

BENCH_DATABASE = "bench_mis_sync"
ROWS = 5000
CHANGED_SHARE = 0.05
GOAL_ROWS_PER_SECOND = 5000
COLUMNS = (
    "upn",
    "mis_id",
    "legal_first_name",
    "legal_last_name",
    "date_of_birth",
    "sex",
    "year_group",
    "form",
    "sen",
    "free_school_meals",
    "pupil_premium",
    "leaving_date",
)


def _upn(serial: int) -> str:
    from safeguarding.services.pupils import upn_check_letter  # noqa: PLC0415

    rest = f"{990000000000 + serial:012d}"[-12:]
    return upn_check_letter(rest) + rest


def _rows(offset: int) -> list[dict[str, Any]]:
    """ROWS invented pupils, the same every run."""
    chance = random.Random(20260901 + offset)
    return [
        {
            "upn": _upn(offset + n),
            "mis_id": f"BENCH-{offset + n}",
            "legal_first_name": f"Forename{n}",
            "legal_last_name": f"Surname{n % 700}",
            "date_of_birth": dt.date(2010 + n % 10, 1 + n % 12, 1 + n % 28).isoformat(),
            "sex": "F" if n % 2 else "M",
            "year_group": 1 + n % 11,
            "form": f"{1 + n % 11}{'ABC'[n % 3]}",
            "sen": chance.random() < 0.15,
            "free_school_meals": chance.random() < 0.25,
            "pupil_premium": chance.random() < 0.3,
            "leaving_date": None,
        }
        for n in range(ROWS)
    ]


def _changed(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The rows with CHANGED_SHARE of them changed in a field the MIS owns."""
    chance = random.Random(seed)
    out = [dict(row) for row in rows]
    for row in chance.sample(out, int(len(out) * CHANGED_SHARE)):
        change = chance.randrange(5)
        if change == 0:
            row["year_group"] = 1 + row["year_group"] % 11
        elif change == 1:
            row["form"] = f"{row['year_group']}D"
        elif change == 2:
            row["sen"] = not row["sen"]
        elif change == 3:
            row["free_school_meals"] = not row["free_school_meals"]
        else:
            row["leaving_date"] = "2026-07-22"
    return out


def _csv(rows: list[dict[str, Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        [
            "UPN",
            "MIS ID",
            "Legal Forename",
            "Legal Surname",
            "Date of Birth",
            "Sex",
            "Year Group",
            "Form",
            "SEN",
            "FSM",
            "Pupil Premium",
            "Leaving Date",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                "Y"
                if value is True
                else "N"
                if value is False
                else ("" if value is None else value)
                for value in (row[name] for name in COLUMNS)
            ]
        )
    return text.getvalue().encode()


PROFILE = False


def _timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    profile = cProfile.Profile() if PROFILE else None
    cpu = time.process_time()
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    result = call()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if profile is not None:
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    return seconds, cpu, result


def _report(label: str, seconds: float, cpu: float, counts: str) -> None:
    rate = ROWS / seconds
    verdict = "meets" if rate >= GOAL_ROWS_PER_SECOND else "misses"
    # This process's CPU time beside the wall-clock time: on a loaded machine the difference is
    # time spent waiting for a core or for PostgreSQL.
    print(
        f"  {label:<34} {seconds * 1000:7.0f} ms  {rate:7,.0f} rows/s  "
        f"(Python CPU {cpu * 1000:.0f} ms; {counts}; {verdict} the goal of "
        f"{GOAL_ROWS_PER_SECOND:,})"
    )


def main() -> None:
    from django_tenants.utils import schema_context  # noqa: PLC0415

    from safeguarding.services.pupil_import import (  # noqa: PLC0415
        SyncOutcome,
        pupil_import_apply,
        pupil_sync,
    )
    from tenants.services import school_create, trust_create  # noqa: PLC0415

    trust = trust_create(name="Bench Mere Learning Trust", slug="benchmere")
    school = school_create(
        trust=trust,
        name="Orchardleigh Academy",
        slug="orchardleigh",
        urn="990202",
        phase="secondary",
    )
    load = os.getloadavg()
    print(f"MIS pupil sync, {ROWS:,} rows, one school (load average {load[0]:.2f} {load[1]:.2f})")
    # After commit the service asks for the school's statistics to be refreshed (a Celery
    # message): not the sync's own work, and no broker runs here.
    with (
        schema_context(school.schema_name),
        mock.patch("safeguarding.services.pupil_import.statistics_refresh_soon"),
    ):
        print("pupil_sync (the API's upsert):")
        first = _rows(0)
        second = _changed(first, seed=1)
        for label, rows in (
            ("first import (all created)", first),
            (f"re-sync, {CHANGED_SHARE:.0%} changed", second),
            ("same rows again (all unchanged)", second),
        ):
            seconds, cpu, result = _timed(lambda rows=rows: pupil_sync(rows, actor_id=1))
            counts = ", ".join(f"{result.count(outcome)} {outcome}" for outcome in SyncOutcome)
            _report(label, seconds, cpu, counts)

        print("pupil_import_apply (a CSV file, read and checked):")
        first = _rows(ROWS)
        second = _changed(first, seed=2)
        for label, rows in (
            ("first import (all created)", first),
            (f"re-sync, {CHANGED_SHARE:.0%} changed", second),
            ("same file again (all unchanged)", second),
        ):
            data = _csv(rows)
            seconds, cpu, imported = _timed(lambda data=data: pupil_import_apply(data, actor_id=1))
            _report(
                label,
                seconds,
                cpu,
                f"{imported.created} created, {imported.updated} updated, "
                f"{imported.unchanged} unchanged",
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print where each step's time goes")
    PROFILE = parser.parse_args().profile
    with bench_database(BENCH_DATABASE):
        main()

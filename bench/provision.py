"""Time to create one school: cloned from the template schema vs. replaying every migration.

Prints the median of a few samples per path, with 1 and with 50 schools already present, so one
can check that creating a school from the template stays under a second and does not grow with
the number of schools.

Runs against its own throwaway database (`bench_provision`) on the server named by DATABASE_URL
(or the embedded development server when DATABASE_URL is unset); the database is dropped at the
end. Usage, from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/provision.py
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from _benchdb import bench_database  # also puts the project on the path
from django.core.management import call_command
from django.db import connection, transaction

if TYPE_CHECKING:
    from tenants.models import School, Trust

BENCH_DATABASE = "bench_provision"

# Slugs and URNs must be unique across the whole run, including removed sample schools.
_sequence: Iterator[int] = itertools.count(1)


def _next_identity(kind: str) -> tuple[str, str, str]:
    """A fresh (slug, urn, name) for a school; the slug starts with a letter as required."""
    n = next(_sequence)
    return f"bench-{kind}-{n:04d}", f"{100000 + n:06d}", f"Bench {kind} school {n}"


def _school_from_template(trust: Trust) -> School:
    from tenants.services import school_create  # noqa: PLC0415  (needs Django set up)

    slug, urn, name = _next_identity("tpl")
    return school_create(trust=trust, name=name, slug=slug, urn=urn, phase="primary")


def _school_by_replay(trust: Trust) -> School:
    """The classic way: the same rows, an empty schema, then every migration run into it."""
    from tenants.addresses import host_for_slug  # noqa: PLC0415
    from tenants.models import Domain, School  # noqa: PLC0415  (needs Django set up)
    from tenants.services import school_schema_name  # noqa: PLC0415

    slug, urn, name = _next_identity("mig")
    # One transaction, as school_create uses, so both paths pay for a commit of the same shape.
    with transaction.atomic():
        school = School.objects.create(
            trust=trust,
            name=name,
            slug=slug,
            urn=urn,
            phase="primary",
            schema_name=school_schema_name(slug),
        )
        Domain.objects.create(tenant=school, domain=host_for_slug(slug), is_primary=True)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{school.schema_name}"')
        call_command(
            "migrate_schemas",
            tenant=True,
            schema_name=school.schema_name,
            interactive=False,
            verbosity=0,
            skip_template=True,
        )
        connection.set_schema_to_public()
    return school


def _school_remove(school: School) -> None:
    # Removing each sample keeps the count of existing schools exact for the whole row.
    connection.set_schema_to_public()
    school.delete(force_drop=True)


def _timed(create: Callable[[Trust], School], trust: Trust) -> float:
    start = time.perf_counter()
    school = create(trust)
    elapsed = time.perf_counter() - start
    _school_remove(school)
    return elapsed


def _measure(trust: Trust, *, counts: list[int], samples: int) -> list[tuple[int, float, float]]:
    from tenants.models import School  # noqa: PLC0415  (needs Django set up)

    # One untimed school per path first: the migration graph and imports are loaded once per
    # process, a cost a long-running web process does not pay per school.
    for create in (_school_from_template, _school_by_replay):
        _school_remove(create(trust))

    rows = []
    for count in counts:
        # Filler schools come from the template: the fast way, and what production holds.
        while School.objects.count() < count:
            _school_from_template(trust)
        template_times: list[float] = []
        replay_times: list[float] = []
        # Interleaved so that drift in the machine's load affects both columns alike.
        for _ in range(samples):
            template_times.append(_timed(_school_from_template, trust))
            replay_times.append(_timed(_school_by_replay, trust))
        rows.append((count, statistics.median(template_times), statistics.median(replay_times)))
    return rows


def _table_print(rows: list[tuple[int, float, float]], samples: int) -> None:
    headers = ("existing schools", "from template (median)", "replaying migrations (median)")
    print(" | ".join(headers))
    for count, template, replay in rows:
        cells = (str(count), f"{template:.3f} s", f"{replay:.3f} s")
        print(
            " | ".join(cell.rjust(len(header)) for cell, header in zip(cells, headers, strict=True))
        )
    print(f"{samples} samples per cell (after one untimed warm-up school per path).")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5, help="samples per cell (default 5)")
    parser.add_argument(
        "--schools",
        default="1,50",
        help="comma-separated counts of existing schools (default 1,50)",
    )
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    counts = sorted(int(count) for count in args.schools.split(","))
    started = time.perf_counter()
    with bench_database(BENCH_DATABASE):
        from tenants.services import trust_create  # noqa: PLC0415  (needs Django set up)

        trust = trust_create(name="Bench Trust", slug="bench-trust")
        rows = _measure(trust, counts=counts, samples=args.samples)
    _table_print(rows, args.samples)
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

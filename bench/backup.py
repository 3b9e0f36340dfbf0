"""Backing up and restoring one school (`tenants/backups.py`) beside the bare tools it wraps.

Prints, for a school of `--entries` chronology entries (10,000 by default) and `--documents`
documents, the median of `--rounds` rounds (interleaved) of:
- `school_backup` (pg_dump of the schema, the public rows, the files, a content hash of every
  table and of every file) beside a bare `pg_dump --format=custom --schema=…` of the same schema;
- `school_restore` in place after DROP SCHEMA (the manifest's hashes checked, the dump replayed
  in one transaction, every table compared, both chains walked twice) beside a bare `pg_restore`
  of the same dump into a schema dropped likewise.
Goal: backup and restore each within 3 times the bare tool, so the checks never make a nightly
run of every school too long to finish before the morning.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/backup.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from _benchdb import bench_database  # also puts the project on the path

if TYPE_CHECKING:
    from tenants.models import School


def _seed(entries: int, documents: int) -> School:
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415
    from django_tenants.utils import schema_context  # noqa: PLC0415

    from safeguarding.models import Pupil  # noqa: PLC0415
    from safeguarding.services.chronology import Person, note_record  # noqa: PLC0415
    from safeguarding.services.documents import document_upload  # noqa: PLC0415
    from tenants.models import School as SchoolModel  # noqa: PLC0415
    from tenants.services import school_create, trust_create  # noqa: PLC0415

    trust = trust_create(name="Bench Trust", slug="bench")
    school = school_create(
        trust=trust,
        name="Bench Primary",
        slug="bench",
        urn="990001",
        phase=SchoolModel.Phase.PRIMARY,
    )
    author = Person(user_id=1, name="Invented DSL", role="dsl")
    start = timezone.now() - dt.timedelta(days=400)
    with schema_context(school.schema_name):
        pupils = [
            Pupil.objects.create(
                upn=f"B{n:012d}",
                legal_first_name="Invented",
                legal_last_name=f"Pupil {n}",
                date_of_birth=dt.date(2015, 1, 1),
                sex=Pupil.Sex.FEMALE,
                year_group=5,
            )
            for n in range(50)
        ]
        for first in range(0, entries, 500):
            with transaction.atomic():
                for n in range(first, min(entries, first + 500)):
                    note_record(
                        pupil=pupils[n % len(pupils)],
                        author=author,
                        occurred_at=start + dt.timedelta(minutes=n),
                        body=f"Spoke with the family worker about attendance ({n}).",
                        backdate_reason="Entered for the benchmark.",
                    )
        for n in range(documents):
            document_upload(
                pupil=pupils[n % len(pupils)],
                uploaded_file=SimpleUploadedFile(
                    f"minutes {n}.pdf", b"%PDF-1.7\n" + bytes(200_000) + f"{n}\n%%EOF\n".encode()
                ),
                overview=f"Minutes {n}",
                author=author,
            )
    return school


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with bench_database("bench_backup"), tempfile.TemporaryDirectory() as folder:
        from django.conf import settings  # noqa: PLC0415
        from django.db import connection  # noqa: PLC0415

        from tenants.backups import (  # noqa: PLC0415
            owner_database,
            pg_tool,
            school_backup,
            school_restore,
        )

        settings.SCHOOL_DOCUMENTS_ROOT = Path(folder) / "documents"
        school = _seed(args.entries, args.documents)
        schema = school.schema_name
        database = owner_database()
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            major = int(cursor.fetchone()[0]) // 10000

        def drop() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')

        figures: dict[str, list[float]] = {
            name: [] for name in ("backup", "pg_dump", "restore", "pg_restore")
        }
        dump_tool, restore_tool = pg_tool("pg_dump", major), pg_tool("pg_restore", major)
        environment = database.environment()
        for round_ in range(args.rounds):
            root = Path(folder) / f"round{round_}"
            bare = root / "bare.dump"
            root.mkdir()
            backup: list[Path] = []
            figures["backup"].append(
                _timed(lambda: backup.append(school_backup(school=school, root=root)))  # noqa: B023
            )
            dump = [dump_tool, "--format=custom", f"--schema={schema}", f"--file={bare}"]
            figures["pg_dump"].append(
                _timed(lambda: subprocess.run(dump, env=environment, check=True))  # noqa: B023
            )
            drop()
            restore = [restore_tool, "--no-owner", "--single-transaction"]
            restore += [f"--dbname={database.name}", str(bare)]
            figures["pg_restore"].append(
                _timed(lambda: subprocess.run(restore, env=environment, check=True))  # noqa: B023
            )
            drop()
            figures["restore"].append(_timed(lambda: school_restore(backup=backup[0])))  # noqa: B023
        size = sum(p.stat().st_size for p in backup[0].rglob("*") if p.is_file())

    median = {name: statistics.median(values) for name, values in figures.items()}
    print(
        f"school of {args.entries} chronology entries and {args.documents} documents, "
        f"median of {args.rounds} rounds"
    )
    for ours, peer in (("backup", "pg_dump"), ("restore", "pg_restore")):
        print(
            f"{ours}_school {median[ours]:7.2f} s   beside bare {peer} {median[peer]:7.2f} s"
            f"   ratio {median[ours] / median[peer]:.1f}"
        )
    print(f"backup folder {size / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()

"""Audited writes per second across 20 trusts: one global audit chain beside a chain per scope.

Prints, from one run, the audited writes per second that WRITERS concurrent writers (processes,
each with its own database connection and its own transactions, as web and worker processes are)
achieve across TRUSTS trusts:

- with one global chain: every event appended to one chain, under one lock (how the platform
  audit log worked before it had scopes);
- with a chain per scope (docs/security.md, "Audit chains"): each trust's events on its trust's
  chain, so writers of different trusts never wait for each other;

and their ratio (goal: per-scope at least 5x the global chain at 20 trusts).

Each write is one transaction, as a service's: the audit row appended through chain_append (the
same code in both columns; the global column puts every row in one scope), then `--work-ms` of
the rest of the service's transaction before the commit (default 5 ms: the statements a service
runs after its audit row and the round trips to a managed database). The chain's lock is held
from the append to the commit, which is what serialises the global chain. The two columns run
in alternating rounds (`--rounds`, default 2) so that drift in the machine's load touches both.

Runs against its own throwaway database (`bench_audit`) on the server named by DATABASE_URL (or
the embedded development server when DATABASE_URL is unset); the database is dropped at the end.
Usage, from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/audit.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from _benchdb import bench_database  # also puts the project on the path

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Barrier, Event

    from tenants.models import Trust

BENCH_DATABASE = "bench_audit"
GOAL_RATIO = 5.0
GLOBAL_SCOPE = "bench:one-global-chain"


@dataclass
class Round:
    mode: str
    writes: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.writes / self.seconds


def _write(trust: Trust, *, global_chain: bool, work_seconds: float) -> None:
    """One audited write: its own transaction, the audit row, the rest of the work, commit."""
    from django.db import connection, transaction  # noqa: PLC0415

    from trustplatform.audit.models import AuditAction, AuditEvent  # noqa: PLC0415
    from trustplatform.audit.services import audit_scope  # noqa: PLC0415
    from trustplatform.hashchain import chain_append  # noqa: PLC0415

    scope = (
        GLOBAL_SCOPE if global_chain else audit_scope(actor=None, trust_id=trust.pk, request=None)
    )
    with transaction.atomic():
        chain_append(
            AuditEvent,
            scope=scope,
            action=AuditAction.ROLE_CHANGED,
            trust_id=trust.pk,
            target_type="membership",
            target_id="1",
            data={"old_role": "staff", "new_role": "key_holder"},
        )
        if work_seconds:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [work_seconds])


def _writer(
    trust: Trust,
    *,
    global_chain: bool,
    work_seconds: float,
    start: Barrier,
    stop: Event,
    count: Synchronized[int],
    failure: Queue[str],
) -> None:
    """One writer process: writes until told to stop, counting its committed writes."""
    from django.db import connection  # noqa: PLC0415

    # The connection of the parent was closed before the fork; this process opens its own.
    try:
        start.wait()
        while not stop.is_set():
            _write(trust, global_chain=global_chain, work_seconds=work_seconds)
            with count.get_lock():
                count.value += 1
    except BaseException as error:
        failure.put(repr(error))
    finally:
        connection.close()


def _round(
    trusts: list[Trust], *, writers: int, global_chain: bool, args: argparse.Namespace
) -> Round:
    # Processes, not threads: web and worker processes write the audit log side by side, and a
    # single Python process would measure its own interpreter lock rather than the chains'.
    context = multiprocessing.get_context("fork")
    start, stop = context.Barrier(writers + 1), context.Event()
    failure: Queue[str] = context.Queue()
    counts = [context.Value("i", 0) for _ in range(writers)]
    processes = [
        context.Process(
            target=_writer,
            args=(trusts[index % len(trusts)],),
            kwargs={
                "global_chain": global_chain,
                "work_seconds": args.work_ms / 1000,
                "start": start,
                "stop": stop,
                "count": counts[index],
                "failure": failure,
            },
        )
        for index in range(writers)
    ]
    for process in processes:
        process.start()
    start.wait()
    started = time.perf_counter()
    time.sleep(args.seconds)
    stop.set()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if not failure.empty():
        raise RuntimeError(f"a writer failed: {failure.get()}")
    mode = "one global chain" if global_chain else "a chain per scope"
    return Round(mode=mode, writes=sum(count.value for count in counts), seconds=elapsed)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=20, help="default 20")
    parser.add_argument("--writers", type=int, default=20, help="concurrent writers (20)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of a round (5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each column (2)")
    parser.add_argument(
        "--work-ms", type=float, default=5.0, help="rest of each transaction, ms (5)"
    )
    return parser.parse_args()


def main() -> int:
    args = _arguments()
    started = time.perf_counter()
    rounds: list[Round] = []
    with bench_database(BENCH_DATABASE):
        from django.db import connection  # noqa: PLC0415

        from tenants.services import trust_create  # noqa: PLC0415
        from trustplatform.audit.models import AuditEvent  # noqa: PLC0415
        from trustplatform.hashchain import chain_scopes, chain_verify  # noqa: PLC0415

        trusts = [
            trust_create(name=f"Bench Trust {n:02d}", slug=f"bench-{n:02d}")
            for n in range(args.trusts)
        ]
        connection.close()
        # A warm-up of each, untimed: connections opened, plans cached.
        for global_chain in (True, False):
            warm = argparse.Namespace(**{**vars(args), "seconds": 0.5})
            _round(trusts, writers=args.writers, global_chain=global_chain, args=warm)
        for _ in range(args.rounds):
            for global_chain in (True, False):
                rounds.append(
                    _round(trusts, writers=args.writers, global_chain=global_chain, args=args)
                )
        broken = [scope for scope in chain_scopes(AuditEvent) if chain_verify(AuditEvent, scope)]
        chains = len(chain_scopes(AuditEvent))
        connection.close()

    by_mode: dict[str, list[float]] = {}
    for one in rounds:
        by_mode.setdefault(one.mode, []).append(one.per_second)
    global_rate = statistics.median(by_mode["one global chain"])
    scoped_rate = statistics.median(by_mode["a chain per scope"])
    ratio = scoped_rate / global_rate
    print(
        f"audited writes across {args.trusts} trusts, {args.writers} concurrent writers "
        f"(processes, one connection each), {args.work_ms:g} ms of other work in each transaction:"
    )
    for mode, rates in by_mode.items():
        shown = ", ".join(f"{rate:.0f}" for rate in rates)
        print(
            f"  {mode}: {statistics.median(rates):.0f} writes/s "
            f"(rounds of {args.seconds:g} s: {shown})"
        )
    goal = "met" if ratio >= GOAL_RATIO else "MISSED"
    print(f"  ratio: {ratio:.1f}x (goal >= {GOAL_RATIO:g}x: {goal})")
    print(f"  {chains} chains verified after the run, {len(broken)} broken")
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())

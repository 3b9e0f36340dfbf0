"""Private servers the fault tests start, break and restart: never the machine's shared ones.

Each listens on 127.0.0.1 on a port the operating system picked, and keeps its files in a
temporary folder removed when it stops. PostgreSQL and PgBouncer refuse to run as root, so when
the tests run as root they are started as the `postgres` user in a folder that user owns.

Nothing here imports Django: `tests/faults/plugin.py` starts PostgreSQL and Redis before Django
reads its settings.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from glob import glob
from pathlib import Path
from typing import Any

from tests.database_roles import TEST_APP_ROLE, TEST_OWNER_ROLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
START_SECONDS = 30


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, chosen by the operating system."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not happen within {seconds} s")


def _as_postgres() -> list[str]:
    # PostgreSQL and PgBouncer refuse to start as root.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _owned_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


def _postgres_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found under /usr/lib/postgresql/*/bin (apt: postgresql)")
    return found[-1]


@dataclass
class PostgresServer:
    """A PostgreSQL cluster of its own (initdb), trust authentication for user postgres."""

    folder: Path = field(default_factory=lambda: _owned_folder("faults-pg-"))
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres", port: int | None = None) -> str:
        return f"postgres://postgres@127.0.0.1:{port or self.port}/{database}"

    def start(self) -> PostgresServer:
        if not self.data.exists():
            subprocess.run(
                [
                    *_as_postgres(),
                    _postgres_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
            )
        self._pg_ctl("start")
        return self

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate", check=False)

    def restart(self) -> None:
        """Fast restart: every open connection is cut, as a failover or an upgrade cuts them."""
        self._pg_ctl("restart", "-m", "fast")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            # Durability is not what these tests are about; speed on a small machine is.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        subprocess.run(
            [
                *_as_postgres(),
                _postgres_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(START_SECONDS),
                *args,
            ],
            check=check,
            capture_output=True,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [
                _postgres_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-tAc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()


def standby_of(primary: PostgresServer) -> PostgresServer:
    """A streaming standby of `primary` (pg_basebackup), started on a port of its own.

    initdb's pg_hba.conf already lets local replication connections in with trust, and the
    defaults (wal_level=replica, max_wal_senders=10, hot_standby=on) are all streaming needs.
    """
    standby = PostgresServer()
    subprocess.run(
        [
            *_as_postgres(),
            _postgres_bin("pg_basebackup"),
            "-D",
            str(standby.data),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            # standby.signal and primary_conninfo, so that it starts as a streaming standby.
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    return standby.start()


@dataclass
class Process:
    """A server run in the foreground as a child process, in a session of its own."""

    args: list[str]
    log: Path
    env: Mapping[str, str] | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(self.env) if self.env is not None else None,
                cwd=PROJECT_ROOT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the process and every child it started: nothing gets to clean up."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            assert self.popen is not None
            self.popen.wait(10)

    def stop(self, seconds: float = 15) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(seconds)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class RedisServer:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faults-redis-")))
    port: int = field(default_factory=free_port)
    process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = Process(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            log=self.folder / "redis.log",
        ).start()
        wait_until(lambda: port_open(self.port), START_SECONDS, "redis-server listening")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class PgBouncer:
    """PgBouncer in session mode (the only mode safe with a search_path per school) before
    `postgres`; every database name is passed through."""

    postgres: PostgresServer
    folder: Path = field(default_factory=lambda: _owned_folder("faults-pgbouncer-"))
    port: int = field(default_factory=free_port)
    process: Process | None = None

    def url(self, database: str) -> str:
        return self.postgres.url(database, port=self.port)

    def start(self) -> PgBouncer:
        # The superuser and the test run's two roles (tests/conftest.py), which the tests and the
        # product's processes connect as.
        users = ("postgres", TEST_OWNER_ROLE, TEST_APP_ROLE)
        (self.folder / "users.txt").write_text("".join(f'"{user}" ""\n' for user in users))
        config = self.folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.postgres.port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.folder}\n"
            "auth_type = trust\n"
            f"auth_file = {self.folder / 'users.txt'}\n"
            "pool_mode = session\n"
            "max_client_conn = 200\n"
            "default_pool_size = 40\n"
            "server_reset_query = DISCARD ALL\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
        )
        if os.geteuid() == 0:
            for path in self.folder.iterdir():
                shutil.chown(path, "postgres", "postgres")
        self.process = Process(
            [*_as_postgres(), "pgbouncer", str(config)], log=self.folder / "pgbouncer.log"
        ).start()
        wait_until(lambda: port_open(self.port), START_SECONDS, "pgbouncer listening")
        return self

    def remove(self) -> None:
        if self.process is not None:
            self.process.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on its own port, keeping what it receives; `refusing` makes
    it answer every message with a temporary failure, as a mail relay under strain does."""

    port: int = field(default_factory=free_port)
    received: list[Message] = field(default_factory=list)
    refusing: bool = False
    # Called once, with the next message, before it is kept or answered (a test kills the
    # sender there); the message is kept when it returns True, as a relay that had it does.
    on_next_message: Callable[[Message], bool] | None = None
    controller: Any = None

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller  # noqa: PLC0415 - dev-only dependency

        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                if server.refusing:
                    return "451 Requested action aborted: try again later"
                message = message_from_bytes(envelope.content)
                hook, server.on_next_message = server.on_next_message, None
                if hook is not None and not hook(message):
                    return "451 Requested action aborted: try again later"
                server.received.append(message)
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def count_by_message_id(self) -> dict[str, int]:
        """How many times each Message-ID was received."""
        return dict(Counter(str(message["Message-ID"]) for message in self.received))


def python_process(
    args: list[str], log: Path, env: Mapping[str, str], *, module: bool = True
) -> Process:
    """A Python process of the project's virtualenv (`python -m …`), with `env` over ours."""
    return Process(
        [sys.executable, *(["-m"] if module else []), *args], log=log, env={**os.environ, **env}
    )


# settings.WORKER_QUEUES (this module does not import Django).
WORKER_QUEUES = "alerts,exports,statistics,default"


def celery_worker(
    log: Path, env: Mapping[str, str], *, name: str, queue: str = WORKER_QUEUES
) -> Process:
    """A Celery worker started as production starts it: one prefork child, late acks, every
    queue unless `queue` names some."""
    return python_process(
        [
            "celery",
            "-A",
            "trustplatform",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            f"--hostname={name}@%h",
            f"--queues={queue}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        log,
        env,
    )


def gunicorn(log: Path, env: Mapping[str, str], *, port: int, workers: int = 2) -> Process:
    return python_process(
        [
            "gunicorn",
            "trustplatform.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--threads=4",
            "--timeout=60",
        ],
        log,
        env,
    )


@contextlib.contextmanager
def running(process: Process) -> Iterator[Process]:
    process.start()
    try:
        yield process
    finally:
        process.stop()

"""`manage.py demo`: migrate, seed the invented trust, run web + worker + beat until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from trustplatform.embedded_postgres import (
    EMBEDDED_APP_ROLE,
    EMBEDDED_OWNER_ROLE,
    embedded_database_url,
)


class Command(BaseCommand):
    help = "Brings up the product with demo data: web server, Celery worker and beat."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Migrate and seed, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        env = os.environ.copy()
        if not env.get("DATABASE_URL"):
            # The embedded server this process started; children reuse it instead of their own,
            # as the application's role, with the owner's for creating a school on the portal.
            env["DATABASE_URL"] = embedded_database_url(settings.BASE_DIR / ".data")
            env["DATABASE_OWNER_URL"] = embedded_database_url(
                settings.BASE_DIR / ".data", role=EMBEDDED_OWNER_ROLE
            )
            self.stdout.write(
                "Database: embedded PostgreSQL in .data/pg "
                f"(application role {EMBEDDED_APP_ROLE}, owner role {EMBEDDED_OWNER_ROLE})"
            )
        else:
            self.stdout.write("Database: DATABASE_URL")
        self.stdout.write(
            "Broker: "
            + (
                "Redis (REDIS_URL)"
                if settings.REDIS_URL
                else "local filesystem (.data/celery-broker)"
            )
        )

        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", port=options["port"])
        if options["no_serve"]:
            return
        self._serve(env, options["port"])

    def _serve(self, env: dict[str, str], port: int) -> None:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "trustplatform",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "1",
                # Every queue: alerts, exports, statistics and the rest, in the one demo worker.
                "--queues",
                ",".join(settings.WORKER_QUEUES),
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "trustplatform",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(settings.BASE_DIR / ".data" / "celerybeat-schedule"),
            ],
        }
        processes = {
            name: subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603
            for name, command in commands.items()
        }

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            self.style.SUCCESS(f"\nRunning. Press Ctrl-C to stop. Web on port {port}.")
        )
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with code {process.returncode}; stopping."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Stopped web server, worker and beat.")

"""The settings module: safe in production, usable with no variables in development."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from trustplatform.logformat import NoExceptionTextFormatter

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "x7#Qp9!vR2@mL5$wT8^zK3&nB6*cF1(hJ4)dG0_sY9+eU2-aW7=iO5~lP8",
    "DATABASE_URL": "postgres://app:secret@db.internal:5432/safeguarding",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.internal:587",
    "BASE_DOMAIN": "safeguarding.example.org",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TOTP_ENCRYPTION_KEY": "q2vN0x3pZyYk8bq3Yt4m0Jc1nqf0o5G8dJb7mW9rT6E=",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DEBUG"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_configuration_passes_check_deploy_without_warnings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", **(PRODUCTION | {"SECRET_KEY": ""}))

    assert result.returncode != 0
    assert "SECRET_KEY is required outside development" in result.stderr


def test_production_refuses_debug() -> None:
    result = _manage("check", **(PRODUCTION | {"DEBUG": "true"}))

    assert result.returncode != 0
    assert "DEBUG must stay off in production" in result.stderr


def test_production_refuses_to_start_without_a_database_url() -> None:
    result = _manage("check", **(PRODUCTION | {"DATABASE_URL": ""}))

    assert result.returncode != 0
    assert "DATABASE_URL is required in production" in result.stderr


def test_production_refuses_to_start_without_a_key_for_totp_secrets() -> None:
    result = _manage("check", **(PRODUCTION | {"TOTP_ENCRYPTION_KEY": ""}))

    assert result.returncode != 0
    assert "TOTP_ENCRYPTION_KEY is required in production" in result.stderr


def test_console_tracebacks_keep_the_exception_type_but_not_its_message() -> None:
    try:
        raise ValueError("could not save concern about Zebedee Quintrell-Ashworth")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = NoExceptionTextFormatter().format(record)
    assert "ValueError: (message withheld)" in text
    assert "Zebedee" not in text

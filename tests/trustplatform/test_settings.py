"""The settings module: safe in production, usable with no variables in development."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    "S3_BUCKET": "safeguarding-documents",
    "CLAMD_HOST": "clamd.internal",
    "CHAIN_HEADS_BUCKET": "safeguarding-chain-heads",
}
# Everything production refuses to start without, as the error names it.
REQUIRED = [
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "S3_BUCKET",
    "CLAMD_HOST",
    "EMAIL_URL",
    "BASE_DOMAIN",
    "TOTP_ENCRYPTION_KEY",
    "CHAIN_HEADS_BUCKET",
]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    ignored = {*PRODUCTION, "DEBUG", "CLAMD_SOCKET", "S3_ENDPOINT_URL", "S3_KMS_KEY_ID"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
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


def _missing_named(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Production cannot start without:" in result.stderr
    return [name for name in REQUIRED if f"{name} (" in result.stderr]


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without_each_required_setting(name: str) -> None:
    assert _missing_named(_manage("check", **(PRODUCTION | {name: ""}))) == [name]


def test_production_names_everything_missing_at_once() -> None:
    assert _missing_named(_manage("check", ENVIRONMENT="production")) == REQUIRED


def test_production_refuses_the_development_secret_key() -> None:
    development_key = "development-only-secret-key-never-used-in-production-0123456789abcdef"
    result = _manage("check", **(PRODUCTION | {"SECRET_KEY": development_key}))

    assert _missing_named(result) == ["SECRET_KEY"]


def test_production_refuses_email_printed_to_the_console() -> None:
    result = _manage("check", **(PRODUCTION | {"EMAIL_URL": "consolemail://"}))

    assert _missing_named(result) == ["EMAIL_URL"]


def test_a_clamd_socket_stands_for_the_clamd_host() -> None:
    result = _manage("check", **(PRODUCTION | {"CLAMD_HOST": "", "CLAMD_SOCKET": "/run/clamd.ctl"}))

    assert result.returncode == 0, result.stderr


def test_nothing_starts_without_an_environment() -> None:
    result = _manage("check", ENVIRONMENT="")

    assert result.returncode != 0
    assert "ENVIRONMENT must be set to development, test or production." in result.stderr


def test_production_refuses_debug() -> None:
    result = _manage("check", **(PRODUCTION | {"DEBUG": "true"}))

    assert result.returncode != 0
    assert "DEBUG must stay off in production" in result.stderr


def test_console_tracebacks_keep_the_exception_type_but_not_its_message() -> None:
    try:
        raise ValueError("could not save concern about Zebedee Quintrell-Ashworth")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = NoExceptionTextFormatter().format(record)
    assert "ValueError: (message withheld)" in text
    assert "Zebedee" not in text

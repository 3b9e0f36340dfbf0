"""The production image, step by step, on this machine's loopback (no container engine here).

What deploy/Dockerfile and deploy/compose.yaml do, done with the same files: the Dockerfile passes
hadolint; deploy/collectstatic.sh collects the static files with the manifest storage; two
replicas starting together run deploy/entrypoint.sh's migrations, one migrating while the other
waits and then finds nothing to do; the entrypoint's `web` (gunicorn with deploy/gunicorn.conf.py,
the production settings) and `worker` run behind nginx with deploy/nginx/'s template, a wildcard
certificate made here with openssl. Two schools are then served on their subdomains, by name
(SNI and Host, curl --resolve): pages, static files, and a chronology PDF made by the worker and
downloaded.

The production settings refuse to start without their services, so each is given for real or by
the stand-in the other tests use: PostgreSQL (a database of this module's own), Redis (a private
redis-server), S3 (moto's server), clamd (the INSTREAM stand-in of test_documents.py); SMTP is
named but never reached (nothing here sends email).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import psycopg2
import psycopg2.errors
import pytest
import yaml
from cryptography.fernet import Fernet
from django.conf import settings
from pypdf import PdfReader

from tenants.management.commands.migrate_with_lock import MIGRATION_LOCK_ID
from tests.database_roles import TEST_APP_ROLE, TEST_OWNER_ROLE, TEST_ROLE_PASSWORD
from tests.faults.servers import free_port, port_open, wait_until
from tests.safeguarding.test_documents import FakeClamd
from tests.trustplatform.test_storage_s3 import SERVER as S3_SERVER

pytestmark = pytest.mark.deploy

PROJECT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT / "deploy"
BIN = Path(sys.executable).parent
BASE_DOMAIN = "stack.test"
BUCKET = "stack-documents"
CHAIN_HEADS_BUCKET = "stack-chain-heads"
REGION = "eu-west-2"
# Invented schools; the pupils' serials are this module's own
# (tests/test_browser_pupils_distinct.py).
SCHOOLS = (
    ("ashby", "Ashby Primary School", "100481", 81300),
    ("birch", "Birch Academy", "100482", 81301),
)


# --- the Dockerfile -------------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(DEPLOY / "Dockerfile")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_ships_no_compiler_and_runs_as_a_user() -> None:
    stages = (DEPLOY / "Dockerfile").read_text().split("\nFROM ")
    final = stages[-1]
    assert final.startswith("runtime AS app"), "the default target is the application"
    runtime = next(stage for stage in stages if " AS runtime" in stage.splitlines()[0])
    assert "gcc" not in runtime and "-dev" not in runtime
    assert re.search(r"^USER 10001", final, re.MULTILINE)
    assert "HEALTHCHECK" in final and "healthcheck.py" in final
    assert "DJANGO_SETTINGS_MODULE=trustplatform.settings" in runtime
    assert "deploy/collectstatic.sh" in runtime


def test_the_image_has_pg_dump_of_the_servers_major_version() -> None:
    """backup_school refuses a pg_dump older than the server: the image carries the client of the
    major version that compose and Terraform run."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    client = re.search(r"^ARG POSTGRES_CLIENT_MAJOR=(\d+)$", dockerfile, re.MULTILINE)
    assert client, "the image installs no PostgreSQL client"
    assert "postgresql-client-${POSTGRES_CLIENT_MAJOR}" in dockerfile
    compose = re.search(r"image: postgres:(\d+)", (DEPLOY / "compose.yaml").read_text())
    terraform = re.search(
        r'variable "engine_version".*?default\s*=\s*"(\d+)\.',
        (PROJECT / "terraform/modules/database/variables.tf").read_text(),
        re.DOTALL,
    )
    assert compose and terraform
    assert client.group(1) == compose.group(1) == terraform.group(1)


def test_the_stack_gives_the_application_every_setting_production_requires() -> None:
    """Each variable production refuses to start without is set by compose.yaml or named in
    env.example, where the operator fills it in."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    example = (DEPLOY / "env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    for service in ("web", "worker", "beat"):
        given = set(compose["services"][service]["environment"]) | named
        assert set(settings.PRODUCTION_REQUIREMENTS) <= given, service
        assert compose["services"][service]["command"] == [service]
    assert {"nginx", "postgres", "redis", "clamav", "minio"} <= set(compose["services"])


# --- the package imports, as gunicorn and celery make them -------------------------------------


def _env_without_settings_module() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return env | {"ENVIRONMENT": "test", "PYTHONPATH": str(PROJECT)}


def test_the_wsgi_module_loads_without_the_settings_variable() -> None:
    """gunicorn imports trustplatform.wsgi, so the package (and its Celery app) first."""
    result = subprocess.run(
        [sys.executable, "-c", "import trustplatform.wsgi as w; print(callable(w.application))"],
        cwd=PROJECT,
        env=_env_without_settings_module(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "True"


def test_celery_finds_the_app_without_the_settings_variable() -> None:
    code = "from celery.app.utils import find_app; print(find_app('trustplatform').main)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=_env_without_settings_module(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "trustplatform"


# --- the entrypoint's commands -------------------------------------------------------------------


def _entrypoint_with_stand_ins(command: str, env: Mapping[str, str] = {}) -> list[str]:
    """The arguments the entrypoint hands to gunicorn / celery (stand-ins that print them)."""
    with tempfile.TemporaryDirectory() as folder:
        for program in ("gunicorn", "celery"):
            stand_in = Path(folder, program)
            stand_in.write_text('#!/bin/sh\nfor a in "$0" "$@"; do echo "$a"; done\n')
            stand_in.chmod(0o755)
        result = subprocess.run(
            ["sh", str(DEPLOY / "entrypoint.sh"), command],
            cwd=PROJECT,
            env={"PATH": f"{folder}:/usr/bin:/bin", "MIGRATE_ON_START": "false", **env},
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    return [Path(lines[0]).name, *lines[1:]]


def test_the_worker_takes_every_queue_the_settings_route_to() -> None:
    args = _entrypoint_with_stand_ins("worker")
    assert args[:4] == ["celery", "-A", "trustplatform", "worker"]
    assert args[args.index("--queues") + 1] == ",".join(settings.WORKER_QUEUES)
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} == set(settings.WORKER_QUEUES)


def test_a_worker_of_its_own_for_alerts() -> None:
    args = _entrypoint_with_stand_ins("worker", {"WORKER_QUEUES": "alerts"})
    assert args[args.index("--queues") + 1] == "alerts"


def test_web_is_gunicorn_with_the_shipped_configuration_and_beat_is_celery_beat() -> None:
    assert _entrypoint_with_stand_ins("web") == [
        "gunicorn",
        "--config",
        "deploy/gunicorn.conf.py",
        "trustplatform.wsgi",
    ]
    assert _entrypoint_with_stand_ins("beat")[:4] == ["celery", "-A", "trustplatform", "beat"]


# --- the stack ----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_or_kill(self) -> None:
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Stack:
    folder: Path
    env: dict[str, str]
    database_url: str  # the application role's
    owner_url: str  # the owner role's
    clamd: FakeClamd
    s3: Any  # boto3's S3 client: its type is made at run time
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: Mapping[str, str] = {}) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                args,
                cwd=PROJECT,
                env=self.env | dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process


def _database_url(name: str, *, role: str = "") -> str:
    """A database of the server DATABASE_URL names (`make test` and CI set it), as its own role
    or as `role` (one of the test run's two, which log in with the test password)."""
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}")
    if role:
        host = f"[{url.hostname}]" if ":" in (url.hostname or "") else (url.hostname or "")
        port = f":{url.port}" if url.port else ""
        url = url._replace(netloc=f"{role}:{TEST_ROLE_PASSWORD}@{host}{port}")
    return url.geturl()


def _roles_ensure() -> None:
    """The two roles of production (docs/security.md, "Database roles"), as the test run's own
    (tests/conftest.py): an owner, which owns the stack's database and migrates it, and the
    application, which every process of the stack connects as."""
    for role in (TEST_OWNER_ROLE, TEST_APP_ROLE):
        with contextlib.suppress(psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation):
            _admin(f"CREATE ROLE {role}")
        _admin(f"ALTER ROLE {role} NOSUPERUSER NOCREATEROLE LOGIN PASSWORD '{TEST_ROLE_PASSWORD}'")


def _admin(sql: str) -> None:
    connection = psycopg2.connect(_database_url("postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every service production asks for, on loopback, and the environment of the image."""
    if not os.environ.get("DATABASE_URL"):
        # The embedded server of a run without DATABASE_URL lives in the test process only.
        pytest.skip("the stack needs a PostgreSQL server named by DATABASE_URL")
    folder = tmp_path_factory.mktemp("stack")
    database = f"{urlsplit(os.environ['DATABASE_URL']).path.strip('/') or 'safeguarding'}_stack"
    _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _roles_ensure()
    _admin(f'CREATE DATABASE "{database}" OWNER {TEST_OWNER_ROLE}')

    redis_port = free_port()
    redis = subprocess.Popen(
        [
            *("redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
    )
    s3 = subprocess.Popen(
        [sys.executable, "-c", S3_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    listener = socket.create_server(("127.0.0.1", 0))
    clamd = FakeClamd(listener)
    try:
        assert s3.stdout is not None
        s3_endpoint = f"http://127.0.0.1:{int(s3.stdout.readline())}"
        wait_until(lambda: port_open(redis_port), 30, "redis-server listening")
        credentials = {
            "AWS_ACCESS_KEY_ID": "invented-access-key",
            "AWS_SECRET_ACCESS_KEY": "invented-secret-key",
        }
        s3_client = boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=s3_endpoint,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        )
        s3_client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        s3_client.create_bucket(
            Bucket=CHAIN_HEADS_BUCKET,
            CreateBucketConfiguration={"LocationConstraint": REGION},
            ObjectLockEnabledForBucket=True,
        )
        database_url = _database_url(database, role=TEST_APP_ROLE)
        owner_url = _database_url(database, role=TEST_OWNER_ROLE)
        # The image's environment (deploy/Dockerfile) and the settings compose gives it.
        env = {
            "PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(folder),
            "PYTHONPATH": str(PROJECT),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "ENVIRONMENT": "production",
            "DJANGO_SETTINGS_MODULE": "trustplatform.settings",
            "STATIC_ROOT": str(folder / "static"),
            "XDG_CACHE_HOME": str(folder / "cache"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TOTP_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "BASE_DOMAIN": BASE_DOMAIN,
            "DATABASE_URL": database_url,
            "DATABASE_OWNER_URL": owner_url,
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "S3_BUCKET": BUCKET,
            "CHAIN_HEADS_BUCKET": CHAIN_HEADS_BUCKET,
            "S3_REGION": REGION,
            "S3_ENDPOINT_URL": s3_endpoint,
            "CLAMD_HOST": "127.0.0.1",
            "CLAMD_PORT": str(listener.getsockname()[1]),
            # Named, as production requires; nothing in this module sends an email.
            "EMAIL_URL": "smtp://127.0.0.1:9",
            "AXES_IPWARE_PROXY_COUNT": "0",
            "LOG_LEVEL": "WARNING",
            **credentials,
        }
        stack = Stack(
            folder=folder,
            env=env,
            database_url=database_url,
            owner_url=owner_url,
            clamd=clamd,
            s3=s3_client,
        )
        # Started now, waited for by `static_root`: it overlaps the migrations.
        stack.start("collectstatic", ["sh", "deploy/collectstatic.sh"])
        yield stack
        # All at once: each shuts down gracefully in its own time.
        for process in stack.processes:
            process.terminate()
        for process in stack.processes:
            process.wait_or_kill()
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        clamd.thread.join(timeout=5)
        assert s3.stdin is not None
        s3.stdin.close()
        s3.wait(timeout=20)
        redis.terminate()
        redis.wait(timeout=20)
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def static_root(stack: Stack) -> Path:
    """deploy/collectstatic.sh, as the Dockerfile's `RUN sh deploy/collectstatic.sh`."""
    process = next(process for process in stack.processes if process.name == "collectstatic")
    process.popen.wait(timeout=150)
    assert process.popen.returncode == 0, process.output()[-3000:]
    return Path(stack.env["STATIC_ROOT"])


def test_static_files_are_collected_with_hashed_names_and_a_manifest(static_root: Path) -> None:
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    paths = manifest["paths"]
    assert paths, "the manifest names no file"
    original, hashed = next((k, v) for k, v in paths.items() if k.endswith(".css"))
    assert re.search(r"\.[0-9a-f]{12}\.css$", hashed), hashed
    assert (static_root / hashed).is_file()
    # Compressed copies for nginx's gzip_static.
    assert (static_root / f"{hashed}.gz").is_file()
    assert original != hashed


def _advisory_waiters(connection: psycopg2.extensions.connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid = 0 AND objid = %s",
            [MIGRATION_LOCK_ID],
        )
        return int(cursor.fetchone()[0])


@pytest.fixture(scope="module")
def migrated(stack: Stack) -> tuple[str, str]:
    """Two replicas start at once on an empty database: each runs the entrypoint's migrations.

    Held by the test until both are waiting for the lock, so that neither can finish before the
    other has started; then let go. DATABASE_URL names the application's role on no database:
    migrations must use the owner's connection, DATABASE_OWNER_URL, and grant that role.
    """
    env = {"DATABASE_URL": _database_url("no_such_database_for_migrations", role=TEST_APP_ROLE)}
    holder = psycopg2.connect(stack.owner_url)
    holder.autocommit = True
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
        replicas = [
            stack.start(f"migrate-{n}", ["sh", "deploy/entrypoint.sh", "migrate"], env)
            for n in (1, 2)
        ]
        wait_until(lambda: _advisory_waiters(holder) == 2, 60, "both replicas waiting")
    finally:
        holder.close()  # lets go of the lock
    for replica in replicas:
        replica.popen.wait(timeout=150)
        assert replica.popen.returncode == 0, replica.output()[-3000:]
    first, second = (replica.output() for replica in replicas)
    return first, second


def test_two_replicas_starting_together_migrate_once(migrated: tuple[str, str]) -> None:
    for output in migrated:
        assert "Waiting for another process's migrations to finish" in output
    migrating = [output for output in migrated if "Migrations applied." in output]
    skipping = [output for output in migrated if "No migrations to apply" in output]
    assert len(migrating) == 1 and len(skipping) == 1, migrated
    assert "Applying safeguarding.0001" in migrating[0]
    assert "Applying" not in skipping[0]


def test_the_migrations_grant_the_application_role_rows_but_not_the_tables(
    stack: Stack, migrated: tuple[str, str]
) -> None:
    connection = psycopg2.connect(stack.database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_table_privilege('public.tenants_school', 'SELECT, INSERT'),"
                " has_table_privilege('public.tenants_school', 'TRUNCATE'),"
                " has_schema_privilege('public', 'CREATE')"
            )
            assert cursor.fetchone() == (True, False, False)
    finally:
        connection.close()


SEED = """
import json

import django

django.setup()

from django_tenants.utils import schema_context

from tenants.addresses import site_host
from tenants.services import school_create, trust_create
from tests.conftest import signed_in_cookie
from tests.safeguarding.fixtures import enrol, with_two_factor
from trustplatform.accounts.models import Role
from trustplatform.accounts.services import school_membership_add, user_create

trust = trust_create(name="Harbour Vale Learning Trust", slug="harbourvale")
made = {}
for slug, name, urn, serial in json.loads(input()):
    school = school_create(trust=trust, name=name, slug=slug, urn=urn, phase="primary", actor=None)
    user = user_create(email=f"dsl.{slug}@example.org", full_name=f"DSL of {name}", password=None)
    school_membership_add(user=with_two_factor(user), school=school, role=Role.DSL)
    with schema_context(school.schema_name):
        pupil = enrol(first="Tamsin", last="Orchardley", serial=serial, actor_id=user.pk)
    cookie = signed_in_cookie(user, school)
    made[slug] = {"host": site_host(school), "cookie": cookie, "pupil": pupil.pk}
print(json.dumps(made))
"""


@dataclass
class Site:
    host: str
    cookie: str
    pupil: int


def _render_template(values: Mapping[str, str]) -> str:
    """What the nginx image does with /etc/nginx/templates/*.template (envsubst, limited by
    NGINX_ENVSUBST_FILTER to these names): nginx's own $variables are left alone."""
    template = (DEPLOY / "nginx" / "templates" / "safeguarding.conf.template").read_text()
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass
class Served:
    stack: Stack
    sites: dict[str, Site]
    https_port: int
    http_port: int
    certificate: Path
    web: Process
    worker: Process

    def curl(
        self,
        site: str,
        path: str,
        *,
        args: Sequence[str] = (),
        cookie: bool = True,
        scheme: str = "https",
    ) -> tuple[int, dict[str, list[str]], bytes]:
        """One request by name, as a browser makes it: SNI and Host are the site's."""
        # A school of `sites`, "root" (the root domain), or any other subdomain.
        host = self.sites[site].host if site in self.sites else f"{site}.{BASE_DOMAIN}"
        host = BASE_DOMAIN if site == "root" else host
        signed_in = cookie and site in self.sites
        port = self.https_port if scheme == "https" else self.http_port
        folder = self.stack.folder
        head, body = folder / "head.txt", folder / "body.bin"
        jar = folder / f"cookies-{site}.txt"
        command = [
            "curl", "--silent", "--show-error", "--max-time", "60",
            "--resolve", f"{host}:{port}:127.0.0.1",
            "--cacert", str(self.certificate),
            "--cookie-jar", str(jar), "--cookie", str(jar),
            "--dump-header", str(head), "--output", str(body),
            *(["--header", f"Cookie: {self.sites[site].cookie}"] if signed_in else []),
            *args,
            f"{scheme}://{host}:{port}{path}",
        ]  # fmt: skip
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=90)
        assert result.returncode == 0, result.stderr
        lines = head.read_text().splitlines()
        status = int(lines[0].split()[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        return status, headers, body.read_bytes()


@pytest.fixture(scope="module")
def served(stack: Stack, static_root: Path, migrated: tuple[str, str]) -> Served:
    made = subprocess.run(
        [sys.executable, "-c", SEED],
        input=json.dumps(SCHOOLS),
        cwd=PROJECT,
        env=stack.env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    sites = {slug: Site(**values) for slug, values in json.loads(made.stdout).items()}

    web_port, https_port, http_port = free_port(), free_port(), free_port()
    # The image's command: the entrypoint's `web` (its migrations find nothing to do).
    web = stack.start(
        "web",
        ["sh", "deploy/entrypoint.sh", "web"],
        {
            "PORT": str(web_port),
            "GUNICORN_BIND_HOST": "127.0.0.1",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "4",
        },
    )
    worker = stack.start(
        "worker", ["sh", "deploy/entrypoint.sh", "worker"], {"WORKER_CONCURRENCY": "1"}
    )

    folder = stack.folder
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={BASE_DOMAIN}",
            "-addext", f"subjectAltName=DNS:{BASE_DOMAIN},DNS:*.{BASE_DOMAIN}",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    site = folder / "safeguarding.conf"
    site.write_text(
        _render_template(
            {
                "BASE_DOMAIN": BASE_DOMAIN,
                "NGINX_UPSTREAM": f"127.0.0.1:{web_port}",
                "NGINX_STATIC_ROOT": str(static_root),
                "NGINX_TLS_CERTIFICATE": str(certificate),
                "NGINX_TLS_CERTIFICATE_KEY": str(key),
                "NGINX_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
            }
        )
    )
    # The nginx image's own nginx.conf, with this run's files: the template goes in http {}.
    main = folder / "nginx.conf"
    temp = folder / "nginx-temp"
    temp.mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    main.write_text(
        f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr notice;
daemon off;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""
    )
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin")
    assert nginx, "nginx is not installed (Debian: apt-get install nginx)"
    check = subprocess.run(
        [nginx, "-t", "-p", str(folder), "-c", str(main)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    stack.start("nginx", [nginx, "-p", str(folder), "-c", str(main)])

    served = Served(stack, sites, https_port, http_port, certificate, web, worker)
    wait_until(lambda: port_open(https_port), 30, "nginx listening")
    wait_until(lambda: port_open(web_port) or web.popen.poll() is not None, 90, "gunicorn")
    assert web.popen.poll() is None, web.output()[-3000:]
    return served


def test_both_schools_are_served_by_name_through_nginx(served: Served) -> None:
    for slug, name, _urn, _serial in SCHOOLS:
        status, headers, body = served.curl(slug, "/")
        assert status == 200, body[:500]
        assert name in body.decode()
        # The application's own security headers, each once: nginx adds none to its responses.
        for header in ("strict-transport-security", "content-security-policy", "x-frame-options"):
            assert len(headers.get(header, [])) == 1, (header, headers)
    # The other school's page is not this school's.
    _, _, ashby = served.curl("ashby", "/")
    assert "Birch Academy" not in ashby.decode()


def test_the_probes_answer_through_nginx_and_in_the_container(served: Served) -> None:
    status, _, body = served.curl("ashby", "/healthz", cookie=False)
    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
    status, _, _ = served.curl("root", "/readyz")
    assert status == 200
    # The image's HEALTHCHECK, against gunicorn directly.
    check = subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")],
        env=served.stack.env | {"PORT": _web_port(served)},
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _web_port(served: Served) -> str:
    upstream = re.search(
        r"server 127\.0\.0\.1:(\d+);", (served.stack.folder / "safeguarding.conf").read_text()
    )
    assert upstream
    return upstream.group(1)


def test_static_files_come_from_nginx_with_long_caching(served: Served) -> None:
    _, _, page = served.curl("birch", "/")
    links = re.findall(r'(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.decode())
    assert links, "the page links no hashed stylesheet"
    status, headers, body = served.curl("birch", links[0], cookie=False)
    assert status == 200 and body
    assert headers["cache-control"] == ["public, max-age=31536000, immutable"]
    assert headers["x-content-type-options"] == ["nosniff"]
    assert len(headers["strict-transport-security"]) == 1
    assert "GET /static/" not in served.web.output()
    # The compressed copy collectstatic made, for a browser that takes gzip.
    status, headers, _ = served.curl(
        "birch", links[0], cookie=False, args=["--header", "Accept-Encoding: gzip"]
    )
    assert status == 200 and headers["content-encoding"] == ["gzip"]


def test_plain_http_goes_to_https_and_unknown_names_get_nothing(served: Served) -> None:
    status, headers, _ = served.curl("ashby", "/concerns/new/?x=1", scheme="http", cookie=False)
    assert status == 301
    assert headers["location"] == ["https://ashby.stack.test/concerns/new/?x=1"]
    # A name outside BASE_DOMAIN: the TLS handshake is refused.
    result = subprocess.run(
        ["curl", "--silent", "--resolve", f"elsewhere.example:{served.https_port}:127.0.0.1",
         "--insecure", f"https://elsewhere.example:{served.https_port}/"],
        check=False,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    # A subdomain no school has: the application's own page.
    status, _, _ = served.curl("nowhere", "/", cookie=False)
    assert status == 404


def test_an_upload_over_the_limit_is_refused_by_nginx(served: Served) -> None:
    big = served.stack.folder / "big.bin"
    big.write_bytes(b"\0" * (13 * 1024 * 1024))
    status, _, _ = served.curl(
        "ashby",
        "/concerns/new/",
        args=["--data-binary", f"@{big}", "--header", "Content-Type: application/octet-stream"],
    )
    assert status == 413
    # Under the limit, the application answers (here: CSRF refuses a form without its token).
    big.write_bytes(b"\0" * (11 * 1024 * 1024))
    status, _, _ = served.curl(
        "ashby",
        "/concerns/new/",
        args=["--data-binary", f"@{big}", "--header", "Content-Type: application/octet-stream"],
    )
    assert status == 403


def test_a_chronology_pdf_is_made_by_the_worker_and_downloaded(served: Served) -> None:
    site = served.sites["ashby"]
    form_page = f"/pupils/{site.pupil}/exports/"
    status, _, page = served.curl("ashby", form_page)
    assert status == 200, page[:500]
    status, headers, _ = served.curl(
        "ashby",
        f"/pupils/{site.pupil}/exports/new/",
        args=[
            "--data", f"csrfmiddlewaretoken={_csrf_token(page)}&version=full",
            # What a browser on https://ashby.stack.test sends (nginx passes the host without
            # this run's port).
            "--header", f"Origin: https://{site.host}",
        ],
    )  # fmt: skip
    assert status == 302, headers
    job = re.search(r"/exports/(\d+)/$", headers["location"][0])
    assert job, headers["location"]
    download = f"/exports/{job.group(1)}/download/"

    deadline = time.monotonic() + 120
    while True:
        status, headers, body = served.curl("ashby", download)
        if status == 200 or time.monotonic() > deadline:
            break
        assert served.worker.popen.poll() is None, served.worker.output()[-3000:]
        time.sleep(1)
    assert status == 200, served.worker.output()[-3000:]
    assert headers["content-type"] == ["application/pdf"]
    assert body.startswith(b"%PDF")
    text = "".join(
        page.extract_text() for page in PdfReader(served.stack.folder / "body.bin").pages
    )
    assert "Orchardley" in text

    # The other school's site knows nothing of it.
    status, _, _ = served.curl("birch", download)
    assert status == 404


def _csrf_token(page: bytes) -> str:
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "the form carries no CSRF token"
    return token.group(1).decode()


def test_a_document_near_the_size_limit_is_scanned_stored_on_s3_and_downloaded(
    served: Served,
) -> None:
    site = served.sites["birch"]
    upload = f"/pupils/{site.pupil}/documents/upload/"
    status, _, page = served.curl("birch", upload)
    assert status == 200, page[:500]
    # A PDF of 9 MiB: under the application's 10 MiB, so nginx must let it through whole.
    data = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + bytes(9 * 1024 * 1024)
    document = served.stack.folder / "letter.pdf"
    document.write_bytes(data)
    status, headers, _ = served.curl(
        "birch",
        upload,
        args=[
            "--form", f"csrfmiddlewaretoken={_csrf_token(page)}",
            "--form", "overview=Letter from the school nurse",
            "--form", f"file=@{document};type=application/pdf;filename=letter.pdf",
            "--header", f"Origin: https://{site.host}",
        ],
    )  # fmt: skip
    assert status == 302, headers
    # Scanned by "clamd", kept in the bucket under the school's own prefix.
    assert served.stack.clamd.received[-1] == data
    listing = served.stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="documents/school_birch/")
    assert [item["Size"] for item in listing.get("Contents", [])] == [len(data)]

    _, _, listed = served.curl("birch", headers["location"][0])
    link = re.search(rb'href="(/documents/\d+/)"', listed)
    assert link, "the list links no document"
    status, _, body = served.curl("birch", link.group(1).decode())
    assert status == 200 and body == data

"""Documents and policy files on S3, as production keeps them: in a private bucket, never public,
streamed back by the app's own download views.

The bucket is a real S3 server (moto's) in its own process, on a port the OS hands out; the
storage reaches it over HTTP with boto3, as it reaches AWS.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import Document
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from trustplatform import settings as project_settings
from trustplatform.accounts.models import Role
from trustplatform.policies.models import Policy, PolicyKind

PROJECT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REGION = "eu-west-2"
# Anyone on the internet, or any AWS account: a grant to either would make a file public.
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)

SERVER = """
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the test closes it
server.stop()
"""


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3 server in a process of its own, on a port the OS chose."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert server.stdin is not None
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Bucket:
    name: str
    client: Any  # boto3's S3 client: its type is made at run time

    def keys(self, prefix: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]

    def storage(self, endpoint: str, prefix: str) -> Storage:
        """The storage settings.py makes for this kind of file when S3_BUCKET is set."""
        entry = project_settings.s3_storage(
            bucket=self.name, prefix=prefix, region=REGION, endpoint_url=endpoint
        )
        backend = import_string(str(entry["BACKEND"]))
        options: dict[str, Any] = entry["OPTIONS"]  # type: ignore[assignment]
        return backend(**options)

    def assert_private(self, key: str) -> None:
        acl = self.client.get_object_acl(Bucket=self.name, Key=key)
        grantees = [grant["Grantee"] for grant in acl["Grants"]]
        assert all(grantee.get("URI") not in PUBLIC_GROUPS for grantee in grantees), grantees
        assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
        assert grantees[0].get("ID") == acl["Owner"]["ID"]
        head = self.client.head_object(Bucket=self.name, Key=key)
        assert head["ServerSideEncryption"] == "AES256"


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    # Invented credentials for the local server; boto3 reads them as it reads real ones.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "invented-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "invented-secret-key")
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint)
    name = f"safeguarding-{uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return Bucket(name=name, client=client)


@pytest.fixture
def documents_on_s3(
    bucket: Bucket,
    s3_endpoint: str,
    settings: SettingsWrapper,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Storage:
    """Documents kept in the bucket; the local folder they would otherwise go to, in tmp_path."""
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    storage = bucket.storage(s3_endpoint, "documents")
    # The field took its storage when the model was loaded, as production's does at start.
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", storage)
    return storage


def test_a_document_uploaded_on_the_page_is_kept_privately_on_s3_and_downloaded_back(
    world: World, school_a: School, bucket: Bucket, documents_on_s3: Storage, tmp_path: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tamsin", "Quillfeather")
    dsl = school_client(school_a, world.person("a", Role.DSL))

    response = dsl.post(
        f"/pupils/{pupil.pk}/documents/upload/",
        {
            "file": SimpleUploadedFile("Tamsin letter.pdf", PDF, "application/pdf"),
            "overview": "Letter from GP",
        },
    )

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        document = Document.objects.get(pupil=pupil)
    [key] = bucket.keys("documents/")
    assert key == f"documents/{document.file.name}"
    assert key.startswith(f"documents/{school_a.schema_name}/")
    assert "Tamsin" not in key
    assert bucket.client.get_object(Bucket=bucket.name, Key=key)["Body"].read() == PDF
    bucket.assert_private(key)
    assert not (tmp_path / "documents").exists()  # nothing on the server's disk
    # No address that skips the download view, signed or not.
    with pytest.raises(ValueError, match="no URL"):
        documents_on_s3.url(document.file.name)

    download = dsl.get(f"/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith("attachment;")
    outsider = school_client(school_a, world.person("a", Role.STAFF))
    assert outsider.get(f"/documents/{document.pk}/").status_code == 404


def test_a_file_is_written_to_s3_by_the_request_thread_itself_without_a_thread_pool(
    documents_on_s3: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pool of transfer threads per upload (boto3's default) costs more than it saves for files
    # of at most DOCUMENT_MAX_BYTES, and its threads compete with the requests of the process.
    started: list[str] = []
    start = threading.Thread.start

    def watched_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", watched_start)
    name = documents_on_s3.save("school_test/upload", ContentFile(PDF))

    assert documents_on_s3.open(name).read() == PDF
    assert not [n for n in started if n.startswith("ThreadPoolExecutor")]


def test_a_policy_file_is_kept_privately_on_s3_and_the_register_serves_it(
    world: World, db: None, bucket: Bucket, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Policy._meta.get_field("document"), "storage", bucket.storage(s3_endpoint, "policies")
    )
    headteacher = school_client(world.school_a, world.person("a", Role.HEADTEACHER))

    headteacher.post(
        "/policies/new/",
        {
            "title": "Whistleblowing",
            "kind": PolicyKind.WHISTLEBLOWING,
            "owner": "Headteacher",
            "approving_body": "Full governing body",
            "review_interval_months": "12",
            "last_reviewed_on": "2026-01-10",
            "document_reference": "v3",
            "document": SimpleUploadedFile("whistleblowing.pdf", PDF, "application/pdf"),
        },
    )

    policy = Policy.objects.get(title="Whistleblowing")
    [key] = bucket.keys("policies/")
    assert key == f"policies/{policy.document.name}"
    bucket.assert_private(key)
    governor = school_client(world.school_a, world.person("a", Role.GOVERNOR))
    download = governor.get(f"/policies/{policy.pk}/document/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    other = school_client(world.school_b, world.person("b", Role.GOVERNOR))
    assert other.get(f"/policies/{policy.pk}/document/").status_code == 404


# Which storage each kind of file gets, in a fresh process whose settings read the environment.
STORAGES_OF_FIELDS = """
import django
django.setup()
from safeguarding.models import Document, ExportJob
from trustplatform.policies.models import Policy
for model, field in ((Document, "file"), (ExportJob, "file"), (Policy, "document")):
    storage = model._meta.get_field(field).storage
    print(type(storage).__name__, getattr(storage, "bucket_name", "-"), storage.location)
"""


def _storages_of_fields(**env: str) -> list[str]:
    ignored = {"S3_BUCKET", "S3_ENDPOINT_URL", "S3_KMS_KEY_ID", "SCHOOL_DOCUMENTS_ROOT"}
    result = subprocess.run(
        [sys.executable, "-c", STORAGES_OF_FIELDS],
        cwd=PROJECT,
        env={k: v for k, v in os.environ.items() if k not in ignored}
        | {"DJANGO_SETTINGS_MODULE": "trustplatform.settings"}
        | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_with_s3_bucket_set_documents_exports_and_policies_go_to_the_bucket() -> None:
    assert _storages_of_fields(S3_BUCKET="safeguarding-files") == [
        "PrivateS3Storage safeguarding-files documents",
        "PrivateS3Storage safeguarding-files documents",
        "PrivateS3Storage safeguarding-files policies",
    ]


def test_without_s3_bucket_files_stay_in_private_folders() -> None:
    kinds = [line.split()[0] for line in _storages_of_fields()]
    assert kinds == ["PrivateDocumentStorage", "PrivateDocumentStorage", "FileSystemStorage"]


def test_chain_heads_go_to_a_bucket_with_object_lock_that_nobody_can_shorten_or_delete(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "invented-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "invented-secret-key")
    client = boto3.client("s3", region_name=REGION, endpoint_url=s3_endpoint)
    name = f"chain-heads-{uuid4().hex[:12]}"
    client.create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=True,
    )
    entry = project_settings.write_once_s3_storage(
        bucket=name, region=REGION, retention_days=30, endpoint_url=s3_endpoint
    )
    options: dict[str, Any] = entry["OPTIONS"]  # type: ignore[assignment]
    storage = import_string(str(entry["BACKEND"]))(**options)

    saved = storage.save("heads-20261201T014500Z.json", ContentFile(b'{"heads": []}'))
    again = storage.save("heads-20261201T014500Z.json", ContentFile(b'{"heads": ["forged"]}'))

    key = f"chain-heads/{saved}"
    head = client.head_object(Bucket=name, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    retained = head["ObjectLockRetainUntilDate"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=29) < retained <= dt.timedelta(days=30)
    assert again != saved  # a second file, never the first replaced
    assert client.get_object(Bucket=name, Key=key)["Body"].read() == b'{"heads": []}'
    with pytest.raises(PermissionError):
        storage.delete(saved)
    # Even the bucket's owner cannot remove the locked version. (AWS also refuses to shorten a
    # COMPLIANCE retention; moto's server does not enforce that, so it is not asserted here.)
    with pytest.raises(client.exceptions.ClientError, match="AccessDenied"):
        client.delete_object(Bucket=name, Key=key, VersionId=head["VersionId"])

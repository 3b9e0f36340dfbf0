"""Sending a child's file to a school outside the trust: the encrypted package and its password,
the printable copy with its receipt page, the sending and the receipt, the deadline, refusals.

The PDFs are made by the Celery task queued on commit (eager here), never in the request.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from typing import cast

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from pypdf.generic import DictionaryObject

from safeguarding.models import (
    AccessAction,
    AccessLogEntry,
    Action,
    ChronologyEntry,
    ExportJob,
    OutsideTransfer,
    Pupil,
)
from safeguarding.services.concerns import action_add, concern_record, contact_record
from safeguarding.services.outside_transfers import (
    OVERDUE_EMAIL,
    outside_transfers_escalate_overdue,
)
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.outbox.models import OutboxMessage

pytestmark = pytest.mark.usefixtures("tasks_run_when_sent", "private_storage")

ACCOUNT = "She said her uncle keeps her home when the social worker visits."
ACTION_TEXT = "Ring the allocated social worker about the home visits."
CALL = "Social worker confirmed a strategy meeting next Tuesday."
RECEIVING = "St Brannoc's Academy, Barnstaple"


def _record(world: World, school: School) -> Pupil:
    dsl = world.person("a", Role.DSL)
    pupil = make_pupil("Isolde", "Trevanion")
    concern = concern_record(
        school=school,
        author=person(world.person("a", Role.STAFF), Role.STAFF),
        pupil_ids=[pupil.pk],
        category_ids=category_ids("neglect"),
        account=ACCOUNT,
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
    )
    action_add(
        concern=concern,
        actor=person(dsl, Role.DSL),
        kind=Action.Kind.PARENTS_INFORMED,
        description=ACTION_TEXT,
        assignee=person(world.person("a", Role.DEPUTY_DSL), Role.DEPUTY_DSL),
    )
    contact_record(
        pupil=pupil,
        author=person(dsl, Role.DSL),
        kind=ChronologyEntry.Kind.PHONE_CALL,
        occurred_at=timezone.now(),
        summary=CALL,
        person="Duty social worker",
        agency="Children's social care",
    )
    return pupil


def _start(client: Client, pupil: Pupil, moved_on: dt.date | None = None) -> tuple[str, str]:
    """Makes the package; returns the page's text and the password it shows."""
    with TestCase.captureOnCommitCallbacks(execute=True) as queued:
        response = client.post(
            f"/pupils/{pupil.pk}/outside-transfer/",
            {
                "receiving_school": RECEIVING,
                "moved_on": (moved_on or timezone.localdate()).isoformat(),
            },
        )
        assert response.status_code == 200
        # Answered before anything was made: both PDFs are queued for the worker.
        transfer = OutsideTransfer.objects.get()
        assert transfer.package.status == ExportJob.Status.QUEUED
        assert transfer.printable.status == ExportJob.Status.QUEUED
    assert len(queued) == 2
    assert "no-store" in response["Cache-Control"]
    found = re.search(r'id="package-password"><code>([^<]+)</code>', response.text)
    assert found is not None
    return response.text, found.group(1)


def _download(client: Client, job_id: int) -> bytes:
    response = client.get(f"/exports/{job_id}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _tables_holding(schema_name: str, text: str) -> list[str]:
    """Every table of this school's schema and of the public schema with a row holding `text`."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN (%s, 'public') AND table_type = 'BASE TABLE'",
            [schema_name],
        )
        for schema, table in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" AS t WHERE t::text LIKE %s',  # noqa: S608 - names from the catalogue
                [f"%{text}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{schema}.{table}")
    return found


def test_the_dsl_gets_an_aes_256_package_that_opens_only_with_the_password_shown_once(
    world: World, school_a_entered: School, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pupil = _record(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DSL))

    page, password = _start(client, pupil)

    assert "shown <strong>only this once</strong>" in page
    transfer = OutsideTransfer.objects.get()
    package, printable = transfer.package, transfer.printable
    assert (package.status, printable.status) == (ExportJob.Status.DONE, ExportJob.Status.DONE)
    # The encrypted package: unreadable without the password, readable with it.
    pdf = _download(client, package.pk)
    assert ACCOUNT.encode() not in pdf
    locked = PdfReader(io.BytesIO(pdf))
    assert locked.is_encrypted
    with pytest.raises(FileNotDecryptedError):
        _text(locked)
    assert not PdfReader(io.BytesIO(pdf)).decrypt("not-the-password")
    opened = PdfReader(io.BytesIO(pdf))
    assert opened.decrypt(password)
    encrypt = cast(DictionaryObject, opened.trailer["/Encrypt"].get_object())
    assert encrypt["/V"] == 5  # AES-256 (PDF 2.0)
    assert "/AESV3" in str(encrypt["/CF"])
    text = _text(opened)
    for expected in (ACCOUNT, ACTION_TEXT, CALL, "Isolde Trevanion", RECEIVING):
        assert expected in text
    assert "Receipt of a child protection file" in text
    # The printable copy: the same file with its receipt page, not encrypted.
    printed = PdfReader(io.BytesIO(_download(client, printable.pk)))
    assert not printed.is_encrypted
    printed_text = _text(printed)
    assert ACCOUNT in printed_text
    assert "Receipt of a child protection file" in printed_text
    assert f"OT{transfer.pk}" in printed_text
    # The password: a hash only; not in any row, email or log line; not shown again.
    assert check_password(password, transfer.password_hash)
    assert _tables_holding(school_a_entered.schema_name, password) == []
    assert ExportJob.objects.get(pk=package.pk).sealed_password == ""
    assert all(password not in f"{m.subject} {m.body}" for m in mail.outbox)
    assert password not in caplog.text
    assert password not in client.get(f"/outside-transfers/{transfer.pk}/").text
    # Each step is in the chronology and the access log.
    assert ChronologyEntry.objects.filter(
        pupil=pupil, title="File package made for a school outside the trust"
    ).exists()
    assert (
        AccessLogEntry.objects.filter(action=AccessAction.EXPORTED, pupil_id=pupil.pk).count()
        == 4  # two asked for, two downloaded
    )


def test_sending_and_the_signed_receipt_are_recorded_and_shown_on_the_pupils_page(
    world: World, school_a_entered: School
) -> None:
    pupil = _record(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DEPUTY_DSL))
    _start(client, pupil)
    transfer = OutsideTransfer.objects.get()
    today = timezone.localdate().isoformat()

    early = client.post(
        f"/outside-transfers/{transfer.pk}/receipt/",
        {"received_on": today, "signed_by": "R. Pascoe, DSL"},
        follow=True,
    )
    assert "Record when the file was sent first." in early.text
    client.post(
        f"/outside-transfers/{transfer.pk}/sent/",
        {"sent_on": today, "sent_how": "Secure email; password by phone"},
    )
    client.post(
        f"/outside-transfers/{transfer.pk}/receipt/",
        {"received_on": today, "signed_by": "R. Pascoe, DSL"},
    )

    transfer.refresh_from_db()
    assert transfer.sent_on == transfer.receipt_on == timezone.localdate()
    assert transfer.receipt_signed_by == "R. Pascoe, DSL"
    titles = set(ChronologyEntry.objects.filter(pupil=pupil).values_list("title", flat=True))
    assert {
        "File sent to a school outside the trust",
        "Receipt of the file returned by a school outside the trust",
    } <= titles
    shown = client.get(f"/pupils/{pupil.pk}/").text
    assert RECEIVING.replace("'", "&#x27;") in shown
    assert "signed by R. Pascoe, DSL" in shown


def test_a_receipt_not_back_in_five_school_days_is_on_the_dashboard_and_escalated_once(
    world: World, school_a_entered: School
) -> None:
    pupil = _record(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DSL))
    _start(client, pupil, moved_on=timezone.localdate() - dt.timedelta(days=30))
    transfer = OutsideTransfer.objects.get()
    assert transfer.due_at < timezone.now()

    assert "receipt overdue" in client.get("/").text
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert outside_transfers_escalate_overdue(school=school_a_entered) == [transfer.pk]
    assert outside_transfers_escalate_overdue(school=school_a_entered) == []
    assert OutboxMessage.objects.filter(kind=OVERDUE_EMAIL).count() == 1
    sent = [m for m in mail.outbox if "receipt is overdue" in m.subject]
    assert len(sent) == 1
    assert world.person("a", Role.DSL).email in sent[0].bcc
    assert "Isolde" not in sent[0].body and "Trevanion" not in sent[0].body

    client.post(
        f"/outside-transfers/{transfer.pk}/sent/",
        {"sent_on": timezone.localdate().isoformat(), "sent_how": "Recorded post"},
    )
    client.post(
        f"/outside-transfers/{transfer.pk}/receipt/",
        {"received_on": timezone.localdate().isoformat(), "signed_by": "J. Hocking"},
    )
    assert "receipt overdue" not in client.get("/").text


@pytest.mark.parametrize(
    "who",
    [
        ("a", Role.STAFF),
        ("a", Role.KEY_HOLDER),
        ("a", Role.HEADTEACHER),
        ("a", Role.GOVERNOR),
        ("b", Role.DSL),
        ("c", Role.DSL),
    ],
)
def test_only_the_schools_dsl_and_deputies_send_a_file_outside_the_trust(
    world: World, school_a: School, who: tuple[str, Role]
) -> None:
    with schema_context(school_a.schema_name):
        pupil = _record(world, school_a)
        _start(school_client(school_a, world.person("a", Role.DSL)), pupil)
        transfer = OutsideTransfer.objects.get()
    client = school_client(school_a, world.person(*who))
    today = timezone.localdate().isoformat()

    assert client.get(f"/pupils/{pupil.pk}/outside-transfer/").status_code == 404
    started = client.post(
        f"/pupils/{pupil.pk}/outside-transfer/",
        {"receiving_school": RECEIVING, "moved_on": today},
    )
    assert started.status_code == 404
    assert client.get(f"/outside-transfers/{transfer.pk}/").status_code == 404
    for path, data in (
        ("sent", {"sent_on": today, "sent_how": "Post"}),
        ("receipt", {"received_on": today, "signed_by": "Someone"}),
    ):
        assert client.post(f"/outside-transfers/{transfer.pk}/{path}/", data).status_code == 404
    # The package itself is its requester's alone.
    assert client.get(f"/exports/{transfer.package_id}/download/").status_code == 404
    with schema_context(school_a.schema_name):
        assert OutsideTransfer.objects.count() == 1
        transfer.refresh_from_db()
        assert transfer.sent_on is None


def test_anonymous_is_sent_to_sign_in(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Isolde", "Trevanion")
    response = school_client(school_a).post(
        f"/pupils/{pupil.pk}/outside-transfer/",
        {"receiving_school": RECEIVING, "moved_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    with schema_context(school_a.schema_name):
        assert not OutsideTransfer.objects.exists()

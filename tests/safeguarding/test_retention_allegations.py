"""Retention and lawful destruction of an allegation record about a member of staff: kept until
the later of the adult's normal pension age and 10 years from the allegation, then destroyed the
same way as a child's record (docs/rules.md, "Retention")."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from safeguarding.models import Allegation, AllegationVersion, Category, Destruction, Pupil
from safeguarding.selectors.retention import allegation_retention_queue, allegation_retention_until
from safeguarding.services.allegations import allegation_record_update
from safeguarding.services.concerns import concern_record
from safeguarding.services.retention import (
    destruction_approve,
    destruction_propose,
    legal_hold_lift,
    legal_hold_place,
    retention_keep,
)
from tenants.db import owner_connection
from tests.conftest import school_client
from tests.safeguarding.test_retention import Setting, _in, _texts_holding, committed
from trustplatform.accounts.models import User
from trustplatform.audit.models import AuditAction, AuditEvent

__all__ = ["committed"]  # the fixture, shared with the child's record's tests

ADULT = "Barnaby Fennimore-Quist"
ACCOUNT = "Said Mr Fennimore-Quist grabbed his arm by the SENTINEL-ALG77 shed."
TOKENS = ("Fennimore-Quist", "SENTINEL-ALG77", "LADO-REF-5521", "Fennimore notes")


def _allegation_of_2012(setting: Setting) -> Allegation:
    """An allegation recorded in June 2012, about an adult outside the system."""
    with _in(setting):
        category = Category.objects.get(code="allegation-staff")
        with time_machine.travel(dt.datetime(2012, 6, 4, 10, tzinfo=dt.UTC), tick=False):
            concern = concern_record(
                school=setting.school,
                author=setting.dsl.person,
                pupil_ids=[setting.other_id],
                category_ids=[category.pk],
                account=ACCOUNT,
                location="",
                adult_name=ADULT,
                adult_role="Caretaker",
            )
            allegation = Allegation.objects.get(concern=concern)
            allegation_record_update(
                allegation=allegation,
                actor=setting.dsl.person,
                lado_reference="LADO-REF-5521",
                notes="Fennimore notes: interviewed.",
            )
        return allegation


def test_the_adults_date_of_birth_is_kept_as_a_version_and_sets_the_retention(
    committed: Setting,
) -> None:
    allegation = _allegation_of_2012(committed)
    with _in(committed):
        assert allegation_retention_until(allegation)[0] == dt.date(2022, 6, 4)
        allegation_record_update(
            allegation=allegation,
            actor=committed.dsl.person,
            adult_date_of_birth=dt.date(1970, 2, 1),
        )
        until, why = allegation_retention_until(allegation)
        assert until == dt.date(2037, 2, 1)
        assert "pension age" in why
        # The trail: every version stays, the earlier one without the date of birth.
        versions = list(AllegationVersion.objects.filter(allegation=allegation).order_by("pk"))
        assert [v.adult_date_of_birth for v in versions] == [None, dt.date(1970, 2, 1)]
        # Not due: neither in the queue nor proposable.
        assert allegation_retention_queue(reader=committed.dsl) == []
        with pytest.raises(ValidationError, match="has not ended"):
            destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")


def test_an_allegation_record_needs_two_people_and_leaves_a_certificate_and_verify_passes(
    committed: Setting,
) -> None:
    allegation = _allegation_of_2012(committed)
    schema = committed.school.schema_name
    with _in(committed):
        allegation_record_update(
            allegation=allegation,
            actor=committed.dsl.person,
            adult_date_of_birth=dt.date(1950, 2, 1),
        )
        [row] = allegation_retention_queue(reader=committed.dsl)
        assert (row.allegation.pk, row.due_on) == (allegation.pk, dt.date(2022, 6, 4))
        assert "10 years from the allegation" in row.why
        # Deputies do not handle allegations: neither see them due nor propose.
        assert allegation_retention_queue(reader=committed.deputy) == []
        with pytest.raises(ValidationError, match="Only those who handle this allegation"):
            destruction_propose(reader=committed.deputy, allegation=allegation, reason="Ended")
        proposal = destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")
        with pytest.raises(ValidationError, match="You proposed this destruction"):
            destruction_approve(reader=committed.dsl, destruction_id=proposal.pk)
    assert all(_texts_holding(schema, token) for token in TOKENS)

    with _in(committed):
        done = destruction_approve(reader=committed.head, destruction_id=proposal.pk)

    assert done.status == Destruction.Status.DESTROYED
    for token in TOKENS:
        assert _texts_holding(schema, token) == [], token
    with _in(committed):
        certificate = Destruction.objects.get(pk=proposal.pk)
        assert certificate.allegation_id == allegation.pk and certificate.pupil_id is None
        assert certificate.counts["allegation_versions"] == 2
        assert certificate.record_ids["concerns"] == [allegation.concern_id]
        assert (certificate.proposed_by_name, certificate.approved_by_name) == (
            "Ada Marsh",
            "Dee Holt",
        )
        # The rows stay, as tombstones; the child named on the concern keeps their record.
        tombstone = Allegation.objects.get(pk=allegation.pk)
        assert tombstone.adult_name == "(destroyed)"
        assert Pupil.objects.get(pk=committed.other_id).legal_first_name == "Rowan"
        assert allegation_retention_queue(reader=committed.dsl) == []
    for command in ("verify_chronology", "verify_audit"):
        out = StringIO()
        call_command(command, stdout=out)
        assert "broken" not in out.getvalue().lower(), out.getvalue()
    assert AuditEvent.objects.filter(
        action=AuditAction.RECORD_DESTROYED, target_id=str(proposal.pk)
    ).exists()
    # The certificate remains, for the DSL and the head.
    head = User.objects.get(pk=committed.head.user_id)
    page = school_client(committed.school, head).get(f"/retention/certificates/{proposal.pk}/")
    assert page.status_code == 200
    assert f"Allegation record {allegation.pk} was destroyed" in page.text
    assert "Fennimore" not in page.text


def test_a_legal_hold_blocks_destroying_an_allegation_record(committed: Setting) -> None:
    allegation = _allegation_of_2012(committed)
    with _in(committed):
        proposal = destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")
        hold = legal_hold_place(
            reader=committed.dsl, allegation=allegation, reason="Tribunal claim"
        )
        assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.WITHDRAWN
        with pytest.raises(ValidationError, match="legal hold stands"):
            destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")
        [row] = allegation_retention_queue(reader=committed.dsl)
        assert row.hold == hold
        # Held or not, the allegation never goes into a child's chronology.
        assert not AuditEvent.objects.filter(target_type="pupil", target_id=str(committed.other_id))
        legal_hold_lift(reader=committed.dsl, allegation=allegation, reason="Claim withdrawn")
        again = destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")
        # Forced: the database function refuses while a hold stands, whatever the services say.
        legal_hold_place(reader=committed.dsl, allegation=allegation, reason="Second claim")
        Destruction.objects.filter(pk=again.pk).update(
            status=Destruction.Status.APPROVED, approved_by_id=committed.head.user_id
        )
    with (
        owner_connection(),
        _in(committed),
        pytest.raises(DatabaseError, match="legal hold stands"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT public.safeguarding_destroy_allegation(%s)", [again.pk])


def test_keeping_an_allegation_record_moves_its_review(committed: Setting) -> None:
    allegation = _allegation_of_2012(committed)
    with _in(committed):
        retention_keep(
            reader=committed.dsl,
            allegation=allegation,
            reason="Civil claim expected",
            next_review_on=dt.date(2031, 1, 1),
        )
        assert allegation_retention_queue(reader=committed.dsl) == []
        with pytest.raises(ValidationError, match="has not ended"):
            destruction_propose(reader=committed.dsl, allegation=allegation, reason="Ended")


def test_the_allegation_retention_page_is_for_its_handlers_only(committed: Setting) -> None:
    allegation = _allegation_of_2012(committed)
    url = f"/retention/allegations/{allegation.concern_id}/"
    dsl, deputy = (User.objects.get(pk=r.user_id) for r in (committed.dsl, committed.deputy))
    page = school_client(committed.school, dsl).get(url)
    assert page.status_code == 200
    assert "10 years from the allegation" in page.text
    assert "4 Jun 2022" in page.text
    queue = school_client(committed.school, dsl).get("/retention/")
    assert url in queue.text
    # A deputy manages children's retention but not allegations: the same 404 as missing.
    assert school_client(committed.school, deputy).get(url).status_code == 404
    assert url not in school_client(committed.school, deputy).get("/retention/").text
    assert (
        school_client(committed.school, deputy).post(f"{url}hold/", {"reason": "x"}).status_code
        == 404
    )
    assert (
        school_client(committed.school, dsl).get("/retention/allegations/999999/").status_code
        == 404
    )
    detail = school_client(committed.school, dsl).get(f"/allegations/{allegation.concern_id}/")
    assert "Kept until" in detail.text and "4 Jun 2022" in detail.text


def test_destroying_a_childs_record_keeps_the_allegation_that_names_them(
    committed: Setting,
) -> None:
    # The allegation names the child whose record ends first: it is kept for its own period.
    with _in(committed):
        category = Category.objects.get(code="allegation-staff")
        concern = concern_record(
            school=committed.school,
            author=committed.dsl.person,
            pupil_ids=[committed.pupil_id],
            category_ids=[category.pk],
            account=ACCOUNT,
            location="",
            adult_name=ADULT,
            adult_role="Caretaker",
        )
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        proposal = destruction_propose(reader=committed.deputy, pupil=pupil, reason="Ended")
        done = destruction_approve(reader=committed.dsl, destruction_id=proposal.pk)

        assert done.status == Destruction.Status.DESTROYED
        concern.refresh_from_db()
        assert concern.account == ACCOUNT
        assert Allegation.objects.get(concern=concern).adult_name == ADULT
        assert concern.pk not in done.record_ids["concerns"]


def test_the_handler_records_the_adults_date_of_birth_on_the_allegations_page(
    committed: Setting,
) -> None:
    allegation = _allegation_of_2012(committed)
    dsl = User.objects.get(pk=committed.dsl.user_id)
    client = school_client(committed.school, dsl)

    page = client.post(
        f"/concerns/{allegation.concern_id}/allegation/",
        {"adult_date_of_birth": "1970-02-01"},
        follow=True,
    )

    assert "Saved as a new version" in page.text
    assert "1 Feb 2037" in page.text and "pension age" in page.text
    with _in(committed):
        latest = AllegationVersion.objects.filter(allegation=allegation).order_by("-pk").first()
        assert latest is not None and latest.adult_date_of_birth == dt.date(1970, 2, 1)
        assert latest.notes == "Fennimore notes: interviewed."  # the rest carried over

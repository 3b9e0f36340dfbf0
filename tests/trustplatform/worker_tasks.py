"""A task for the worker-log test (tests/trustplatform/test_worker_logs.py), loaded by the real
worker it starts (`celery worker --include tests.trustplatform.worker_tasks`).

It records a concern through the service, as the product's tasks work on records, then fails
with an exception that quotes the concern's account, as a careless error message would. The
transaction is rolled back, so the record it made leaves no trace.
"""

from __future__ import annotations

from django.db import transaction

from safeguarding.services.chronology import Person
from safeguarding.services.concerns import concern_record
from tenants.db import school_connection
from tenants.models import School
from tests.safeguarding.conftest import category_ids, make_pupil
from trustplatform.accounts.models import Role, User
from trustplatform.celery import SchoolTask, app

# Invented; the test looks for each of its words in the worker's log.
ACCOUNT = "Marigold Thistlewaite said her uncle Bartholomew hit her with a hairbrush"


class ConcernUnreadable(Exception):
    pass


@app.task(base=SchoolTask, name="tests.concern_text_fails")
def concern_text_fails_task(author_id: int) -> None:
    """Records a concern and fails on its text; arguments are ids, as for every task."""
    school = School.objects.get(schema_name=school_connection.schema_name)
    author = User.objects.get(pk=author_id)
    with transaction.atomic():
        concern = concern_record(
            school=school,
            author=Person(user_id=author.pk, name=author.full_name, role=str(Role.STAFF)),
            pupil_ids=[make_pupil("Invented", "Pupil").pk],
            category_ids=category_ids("neglect"),
            account=ACCOUNT,
        )
        raise ConcernUnreadable(f"Could not file the concern that says {concern.account!r}")

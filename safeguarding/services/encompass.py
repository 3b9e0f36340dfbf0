"""Operation Encompass: the police's notification that a child was present at, or involved in, a
domestic-abuse incident, recorded as a restricted concern for the key adult to act on before the
start of the next school day (docs/rules.md, "Operation Encompass").

The page for the DSL and deputies and the API for police forces both call
`encompass_notification_record`; the API passes its key's holder as the author.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.models import Category, Concern, Pupil, Source
from safeguarding.services.chronology import Person
from safeguarding.services.concerns import ENCOMPASS_CODE, concern_record
from tenants.models import School
from trustplatform.schooldays.calendar import LONDON

DOMESTIC_ABUSE_CODE = "domestic-abuse"
# The concern's fields as the notification's form names them.
_FIELD_OF = {"occurred_at": "incident_at", "account": "notification", "pupils": "pupil"}


def _pupil_id(pupil_id: int | None, upn: str) -> int:
    upn = upn.strip().upper()
    if upn:
        found = Pupil.objects.filter(upn=upn, leaving_date__isnull=True).values_list(
            "pk", flat=True
        )
        if not found:
            raise ValidationError({"upn": "No pupil on roll here has this UPN."})
        return found[0]
    if pupil_id is None:
        raise ValidationError({"pupil": "Choose the pupil, or give their UPN."})
    return pupil_id


def _category_ids() -> list[int]:
    ids = dict(
        Category.objects.filter(
            code__in=[ENCOMPASS_CODE, DOMESTIC_ABUSE_CODE], retired_at__isnull=True
        ).values_list("code", "pk")
    )
    if ENCOMPASS_CODE not in ids:
        # The restricted category is what keeps the notification need-to-know: never record one
        # without it.
        raise ValidationError(
            "The Operation Encompass category has been retired: the DSL must restore it first."
        )
    return list(ids.values())


@transaction.atomic
def encompass_notification_record(
    *,
    school: School,
    author: Person,
    police_force: str,
    incident_reference: str,
    incident_at: dt.datetime,
    notification: str,
    pupil_id: int | None = None,
    upn: str = "",
    source: Source = Source.PHONE_CALL,
) -> Concern:
    """Records a police notification as a restricted domestic-abuse concern, authored by the person
    who received it; the DSL and deputies are alerted at once (docs/rules.md, "Operation
    Encompass"). Who may call it is the caller's rule: the page lets only the DSL and deputies."""
    errors: dict[str, list[str]] = {}
    if not police_force.strip():
        errors["police_force"] = ["Name the police force that sent the notification."]
    if not incident_reference.strip():
        errors["incident_reference"] = ["Give the police incident reference."]
    try:
        chosen = _pupil_id(pupil_id, upn)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    received = timezone.localtime(timezone.now(), LONDON)
    account = (
        f"Operation Encompass notification from {police_force.strip()} "
        f"(incident reference {incident_reference.strip()}), received "
        f"{received:%d/%m/%Y at %H:%M} by {author.name}.\n\n{notification.strip()}"
        if notification.strip()
        else ""
    )
    try:
        return concern_record(
            school=school,
            author=author,
            pupil_ids=[chosen],
            category_ids=_category_ids(),
            account=account,
            occurred_at=incident_at,
            # The incident comes before the call that tells the school of it.
            backdate_reason=f"Operation Encompass notification from {police_force.strip()}",
            source=source,
            discard_draft=False,
            police_notification=True,
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        renamed = {_FIELD_OF.get(f, f): messages for f, messages in error.message_dict.items()}
        raise ValidationError(renamed) from error

"""The key adult's page for an Operation Encompass notification received by phone
(docs/rules.md, "Operation Encompass")."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from safeguarding.forms.encompass import EncompassNotificationForm
from safeguarding.permissions import reader_required
from safeguarding.selectors.pupils import pupils_visible
from safeguarding.services.encompass import encompass_notification_record
from safeguarding.views.common import acting_person, form_errors_add
from tenants.selectors import school_of_request_or_404
from trustplatform.permissions import Capability, require


# The key adult is the DSL or a deputy: those who screen concerns.
@require(Capability.SCREEN_CONCERNS)
@require_http_methods(["GET", "POST"])
def encompass_new(request: HttpRequest) -> HttpResponse:
    reader = reader_required(request)
    on_roll = pupils_visible(reader).filter(leaving_date__isnull=True)
    pupils = on_roll.order_by("legal_last_name", "legal_first_name")
    form = EncompassNotificationForm(request.POST or None, pupils=pupils)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = encompass_notification_record(
                school=school_of_request_or_404(request),
                author=acting_person(request),
                police_force=data["police_force"],
                incident_reference=data["incident_reference"],
                incident_at=data["incident_at"],
                notification=data["notification"],
                pupil_id=data["pupil"].pk if data["pupil"] else None,
                upn=data["upn"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                "Operation Encompass notification recorded; the DSL and deputies are alerted.",
            )
            return redirect("safeguarding:concern_detail", concern_id=concern.pk)
    return render(request, "safeguarding/concerns/encompass_new.html", {"form": form})

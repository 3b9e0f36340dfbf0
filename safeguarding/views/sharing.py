"""The agency directory and each pupil's disclosure log: one page per step of a disclosure."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from safeguarding.forms.sharing import (
    AgencyContactForm,
    AgencyForm,
    ChildInformedForm,
    DisclosureDecisionForm,
    DisclosureRequestForm,
    DisclosureSharedForm,
)
from safeguarding.models import Agency, AgencyContact, Disclosure
from safeguarding.permissions import reader_required
from safeguarding.selectors.documents import documents_visible
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.selectors.sharing import disclosure_get_for_reader, disclosures_of_pupil
from safeguarding.services.sharing import (
    agency_contact_create,
    agency_contact_update,
    agency_create,
    agency_update,
    disclosure_decide,
    disclosure_record_child_informed,
    disclosure_record_shared,
    disclosure_request_record,
)
from safeguarding.views.common import form_errors_add
from trustplatform.permissions import Capability, require

FORM_PAGE = "safeguarding/sharing/form_page.html"


def _form_page(request: HttpRequest, **context: Any) -> HttpResponse:
    return render(request, FORM_PAGE, context)


# --- the agency directory ----------------------------------------------------------------------


@require_GET
@require(Capability.VIEW_ALL_RECORDS)
def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.prefetch_related(
        Prefetch("contacts", queryset=AgencyContact.objects.order_by("retired", "name"))
    ).order_by("retired", "name")
    return render(request, "safeguarding/sharing/agency_list.html", {"agencies": agencies})


@require(Capability.APPROVE_INFORMATION_SHARING)
@require_http_methods(["GET", "POST"])
def agency_add(request: HttpRequest) -> HttpResponse:
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = agency_create(author=reader_required(request).person, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{agency.name} is in the directory.")
            return redirect("safeguarding:agency_list")
    return _form_page(
        request,
        form=form,
        title="Add an agency",
        submit="Add agency",
        back=reverse("safeguarding:agency_list"),
    )


def _agency(agency_id: int) -> Agency:
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    return agency


@require(Capability.APPROVE_INFORMATION_SHARING)
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = _agency(agency_id)
    form = AgencyForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency = agency_update(
                agency=agency, author=reader_required(request).person, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{agency.name} is updated.")
            return redirect("safeguarding:agency_list")
    return _form_page(
        request,
        form=form,
        title=f"Change {agency.name}",
        submit="Save changes",
        back=reverse("safeguarding:agency_list"),
    )


@require(Capability.APPROVE_INFORMATION_SHARING)
@require_http_methods(["GET", "POST"])
def agency_contact_add(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = _agency(agency_id)
    form = AgencyContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = agency_contact_create(
                agency=agency, author=reader_required(request).person, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{contact.name} is added to {agency.name}.")
            return redirect("safeguarding:agency_list")
    return _form_page(
        request,
        form=form,
        title=f"Add a contact at {agency.name}",
        submit="Add contact",
        back=reverse("safeguarding:agency_list"),
    )


@require(Capability.APPROVE_INFORMATION_SHARING)
@require_http_methods(["GET", "POST"])
def agency_contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = AgencyContact.objects.select_related("agency").filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    form = AgencyContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact = agency_contact_update(
                contact=contact, author=reader_required(request).person, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{contact.name} is updated.")
            return redirect("safeguarding:agency_list")
    return _form_page(
        request,
        form=form,
        title=f"Change a contact at {contact.agency.name}",
        submit="Save changes",
        back=reverse("safeguarding:agency_list"),
    )


# --- disclosures -------------------------------------------------------------------------------


@require_GET
@require(Capability.VIEW_ALL_RECORDS)
def disclosure_list(request: HttpRequest, pupil_id: int) -> HttpResponse:
    pupil = pupil_get_for_reader(
        reader=reader_required(request), pupil_id=pupil_id, request=request
    )
    return render(
        request,
        "safeguarding/sharing/disclosure_list.html",
        {"pupil": pupil, "disclosures": disclosures_of_pupil(pupil)},
    )


@require(Capability.VIEW_ALL_RECORDS)
@require_http_methods(["GET", "POST"])
def disclosure_request(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = DisclosureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure = disclosure_request_record(
                pupil=pupil,
                agency=data["agency"],
                contact=data["contact"],
                requested_by=data["requested_by"],
                request_summary=data["request_summary"],
                request_received_at=data["request_received_at"],
                backdate_reason=data["backdate_reason"],
                author=reader.person,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                "The request is recorded. The headteacher or the DSL decides whether to share.",
            )
            return redirect("safeguarding:disclosure_detail", disclosure_id=disclosure.pk)
    return _form_page(
        request,
        form=form,
        pupil=pupil,
        title="Record a request for information",
        intro="An agency has asked for information about this pupil. Nothing is shared until "
        "the headteacher or the DSL approves it.",
        submit="Record the request",
        back=reverse("safeguarding:disclosure_list", kwargs={"pupil_id": pupil.pk}),
    )


@require_GET
@require(Capability.VIEW_ALL_RECORDS)
def disclosure_detail(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    disclosure = disclosure_get_for_reader(
        reader=reader_required(request), disclosure_id=disclosure_id, request=request
    )
    return render(
        request,
        "safeguarding/sharing/disclosure_detail.html",
        {"disclosure": disclosure, "pupil": disclosure.pupil},
    )


def _step_page(
    request: HttpRequest, disclosure: Disclosure, form: Any, title: str, submit: str
) -> HttpResponse:
    return _form_page(
        request,
        form=form,
        pupil=disclosure.pupil,
        disclosure=disclosure,
        title=title,
        submit=submit,
        back=reverse("safeguarding:disclosure_detail", kwargs={"disclosure_id": disclosure.pk}),
    )


def _back_to(disclosure: Disclosure) -> HttpResponse:
    return redirect("safeguarding:disclosure_detail", disclosure_id=disclosure.pk)


@require(Capability.APPROVE_INFORMATION_SHARING)
@require_http_methods(["GET", "POST"])
def disclosure_decision(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    reader = reader_required(request)
    disclosure = disclosure_get_for_reader(
        reader=reader, disclosure_id=disclosure_id, request=request
    )
    if disclosure.decision:
        messages.info(request, "This request has already been decided.")
        return _back_to(disclosure)
    form = DisclosureDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure_decide(
                disclosure=disclosure,
                approve=data["decision"] == "approve",
                approver=reader.person,
                lawful_basis=data["lawful_basis"],
                lawful_basis_other=data["lawful_basis_other"],
                notes=data["notes"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Your decision is recorded.")
            return _back_to(disclosure)
    return _step_page(request, disclosure, form, "Decide on sharing", "Record the decision")


@require(Capability.VIEW_ALL_RECORDS)
@require_http_methods(["GET", "POST"])
def disclosure_sharing(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    reader = reader_required(request)
    disclosure = disclosure_get_for_reader(
        reader=reader, disclosure_id=disclosure_id, request=request
    )
    if disclosure.decision != Disclosure.Decision.APPROVED or disclosure.shared_at is not None:
        messages.info(
            request,
            "What was shared is already recorded."
            if disclosure.shared_at
            else "Nothing may be shared until the headteacher or the DSL approves it.",
        )
        return _back_to(disclosure)
    form = DisclosureSharedForm(
        request.POST or None, documents=documents_visible(reader, disclosure.pupil)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure_record_shared(
                disclosure=disclosure,
                shared_summary=data["shared_summary"],
                shared_at=data["shared_at"],
                shared_via=data["shared_via"],
                documents=data["documents"],
                backdate_reason=data["backdate_reason"],
                author=reader.person,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "What was shared is recorded.")
            return _back_to(disclosure)
    return _step_page(request, disclosure, form, "Record what was shared", "Record it")


@require(Capability.VIEW_ALL_RECORDS)
@require_http_methods(["GET", "POST"])
def disclosure_child_informed(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    reader = reader_required(request)
    disclosure = disclosure_get_for_reader(
        reader=reader, disclosure_id=disclosure_id, request=request
    )
    if not disclosure.decision or disclosure.child_informed is not None:
        messages.info(
            request,
            "Whether the child was told is already recorded."
            if disclosure.child_informed is not None
            else "Record the decision on the request first.",
        )
        return _back_to(disclosure)
    form = ChildInformedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure_record_child_informed(
                disclosure=disclosure,
                informed=data["informed"] == "yes",
                informed_at=data["informed_at"],
                informed_by=data["informed_by"],
                reason_not_informed=data["reason_not_informed"],
                backdate_reason=data["backdate_reason"],
                author=reader.person,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Recorded.")
            return _back_to(disclosure)
    return _step_page(request, disclosure, form, "Was the child told?", "Record it")

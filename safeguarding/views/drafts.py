"""Drafts of long forms, saved by the page's script while its author types
(docs/security.md, "Drafts"). Only the author reads a draft; every answer is JSON."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.models import Draft
from safeguarding.permissions import DRAFT_CAPABILITY, reader_required
from safeguarding.selectors.concerns import concern_get_for_reader
from safeguarding.selectors.drafts import draft_marks, draft_of_author, draft_pupils_named
from safeguarding.selectors.pupils import pupil_get_unlogged
from safeguarding.services.drafts import DRAFT_MAX_BYTES, TOO_LONG, draft_discard, draft_save
from safeguarding.views.common import acting_user, error_text
from trustplatform.permissions import Decision, decide

SIGNED_OUT = (
    "You have been signed out, so your draft could not be saved. Copy your text somewhere "
    "safe, sign in again in a new tab, then paste it back."
)
# Two saves of one draft within this are one too many: the page saves every 20 seconds.
MIN_SECONDS_BETWEEN_SAVES = 1


def _signed_out() -> JsonResponse:
    # A 403, never the sign-in page: the script says what to do and keeps the text on screen.
    return JsonResponse({"error": SIGNED_OUT, "signed_out": True}, status=403)


def _form_of(request: HttpRequest, form: str, record_id: int) -> Draft.Form:
    """The form, if this person may send it for this record here; the same 404 otherwise."""
    if form not in DRAFT_CAPABILITY:
        raise Http404
    kind = Draft.Form(form)
    if kind is Draft.Form.CONCERN:
        if record_id != 0:
            raise Http404
    elif kind is Draft.Form.CONTACT:
        pupil_get_unlogged(reader=reader_required(request), pupil_id=record_id)
    else:
        concern_get_for_reader(reader=reader_required(request), concern_id=record_id)
    return kind


def _refused(request: HttpRequest, form: str) -> JsonResponse | None:
    decision = decide(request, DRAFT_CAPABILITY.get(form, DRAFT_CAPABILITY["concern"]))
    if decision in {Decision.LOGIN_REQUIRED, Decision.TWO_FACTOR_REQUIRED}:
        return _signed_out()
    if decision is Decision.DENIED:
        raise Http404
    return None


def _when(saved_at: dt.datetime) -> str:
    local = timezone.localtime(saved_at)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%a %-d %b, %H:%M}"


@require_http_methods(["GET", "POST"])
def draft(request: HttpRequest, form: str, record_id: int) -> HttpResponse:
    """GET: the author's draft of the form, to offer back. POST (JSON): save it."""
    if (refused := _refused(request, form)) is not None:
        return refused
    kind = _form_of(request, form, record_id)
    author_id = acting_user(request).pk
    if request.method == "GET":
        return _offered(draft_of_author(author_id=author_id, form=kind, record_id=record_id))
    return _saved(request, author_id=author_id, kind=kind, record_id=record_id)


def _offered(found: Draft | None) -> JsonResponse:
    if found is None:
        return JsonResponse({"draft": None})
    return JsonResponse(
        {
            "draft": {
                "saved_at": found.saved_at.isoformat(),
                "saved_at_text": _when(found.saved_at),
                "fields": found.fields,
                "pupils": draft_pupils_named(found) if found.form == Draft.Form.CONCERN else {},
                "marks": draft_marks(found),
            }
        }
    )


def _saved(
    request: HttpRequest, *, author_id: int, kind: Draft.Form, record_id: int
) -> JsonResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > 2 * DRAFT_MAX_BYTES:
        return JsonResponse({"error": TOO_LONG}, status=413)
    previous = draft_of_author(author_id=author_id, form=kind, record_id=record_id)
    if previous is not None and (timezone.now() - previous.saved_at) < dt.timedelta(
        seconds=MIN_SECONDS_BETWEEN_SAVES
    ):
        return JsonResponse({"error": "Saved a moment ago."}, status=429)
    try:
        fields = json.loads(request.body)
    except ValueError:
        fields = None  # refused by the service as unreadable
    try:
        saved = draft_save(author_id=author_id, form=kind, record_id=record_id, fields=fields)
    except ValidationError as error:
        text = error_text(error)
        return JsonResponse({"error": text}, status=413 if text == TOO_LONG else 400)
    return JsonResponse({"saved_at_text": _when(saved.saved_at) if saved else ""})


@require_POST
def draft_delete(request: HttpRequest, form: str, record_id: int) -> HttpResponse:
    """The author discards their draft of the form."""
    if (refused := _refused(request, form)) is not None:
        return refused
    kind = _form_of(request, form, record_id)
    draft_discard(author_id=acting_user(request).pk, form=kind, record_id=record_id)
    return JsonResponse({"discarded": True})

"""A pupil's documents as a reader may see them, and the one way a file is opened."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import AccessAction, Document, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.concerns import concerns_visible
from safeguarding.selectors.pupils import pupils_visible
from safeguarding.services.access import access_log_record


def documents_visible(reader: Reader, pupil: Pupil) -> QuerySet[Document]:
    """The pupil's documents this reader may open, newest first.

    As with chronology entries: a document of a concern is seen by those who see that concern
    (allegations: never by the adult concerned); a key holder sees no document outside a concern.
    """
    documents = Document.objects.filter(pupil=pupil)
    of_visible_concern = Q(concern__in=concerns_visible(reader))
    if reader.reads_everything:
        return documents.filter(Q(concern__isnull=True) | of_visible_concern)
    return documents.filter(of_visible_concern)


def document_get_for_reader(
    *, reader: Reader | None, document_id: int, request: HttpRequest | None = None
) -> Document:
    """The document, if this reader may open it; the same 404 for missing and not allowed.

    Each opening is written to the school's access log as an export: the file is handed over
    as a download, so a copy leaves the system.
    """
    if reader is None:
        raise Http404
    document = Document.objects.select_related("pupil").filter(pk=document_id).first()
    if (
        document is None
        or not pupils_visible(reader).filter(pk=document.pupil_id).exists()
        or not documents_visible(reader, document.pupil).filter(pk=document.pk).exists()
    ):
        raise Http404
    access_log_record(
        person=reader.person,
        action=AccessAction.EXPORTED,
        object_type="document",
        object_id=document.pk,
        pupil_id=document.pupil_id,
        request=request,
    )
    return document

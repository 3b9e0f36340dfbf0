"""The API's operations: each asks the permission layer, then calls one selector or service."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from safeguarding.api import serializers as s
from safeguarding.api.auth import capability_required, scope_required
from safeguarding.models import Action, Category, ChronologyEntry, Concern, Pupil, Source
from safeguarding.permissions import Reader, reader_for
from safeguarding.selectors.categories import categories_visible, category_list_current
from safeguarding.selectors.chronology import chronology_entries
from safeguarding.selectors.concerns import (
    concern_get_for_reader,
    concern_list_for_reader,
    concern_open_for_reader,
)
from safeguarding.selectors.pupils import pupil_get_for_reader, pupil_roll, pupil_roll_get
from safeguarding.services.concerns import concern_record, encompass_due_at
from safeguarding.services.encompass import encompass_notification_record
from safeguarding.services.pupil_import import SyncOutcome, pupil_sync
from safeguarding.views.common import acting_person
from tenants.selectors import school_of_request_or_404
from trustplatform.permissions import ApiScope, Capability, api_key_scopes, can
from trustplatform.schooldays.calendar import calendar_of

ERRORS: dict[int, OpenApiResponse] = {
    code: OpenApiResponse(s.ErrorSerializer, description=text)
    for code, text in (
        (400, "The request has problems (see error.fields)."),
        (401, "No valid session or API key."),
        (403, "The key's scopes or the caller's role do not allow this."),
        (404, "Nothing here by that id, or not yours to see."),
        (429, "Too many requests; try again shortly."),
    )
}
RECORD_FILTERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="From this day (London), inclusive."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Up to this day, inclusive."),
    OpenApiParameter("category", OpenApiTypes.INT, description="Only with this category id."),
]


class Page(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _records_reader(request: Request) -> Reader:
    """A reader of child records: a key needs read_records, and its holder must read them."""
    scope_required(request, ApiScope.READ_RECORDS)
    capability_required(request, Capability.SEARCH_RECORDS)
    reader = reader_for(request._request)
    if reader is None:  # pragma: no cover - SEARCH_RECORDS is given to readers only
        capability_required(request, Capability.VIEW_ALL_RECORDS)
        raise AssertionError
    return reader


def _roll_reader(request: Request) -> tuple[Reader | None, bool]:
    """Who reads the pupil roll: (a reader of child records, True) or, for those who import
    pupils, (None, False): every pupil, without the safeguarding flags."""
    scope_required(request, ApiScope.READ_PUPILS)
    reader = reader_for(request._request)
    if reader is not None:
        return reader, True
    capability_required(request, Capability.IMPORT_PUPILS)
    return None, False


def _filters(request: Request, serializer: type[BaseSerializer[Any]]) -> dict[str, Any]:
    checked = serializer(data=request.query_params)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


@extend_schema(tags=["pupils"])
class PupilList(generics.ListAPIView[Pupil]):
    serializer_class = s.PupilSerializer
    pagination_class = Page

    @extend_schema(
        summary="The pupils you may see",
        parameters=[
            OpenApiParameter("status", str, enum=["on_roll", "leavers", "all"]),
            OpenApiParameter("year_group", int, description="-1 nursery, 0 reception, 1 to 13."),
        ],
        responses={200: s.PupilSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Pupil]:
        reader, self.with_flags = _roll_reader(self.request)
        filters = _filters(self.request, s.PupilFilterSerializer)
        return pupil_roll(reader, status=filters["status"], year_group=filters.get("year_group"))

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"with_flags": getattr(self, "with_flags", 0)}


@extend_schema(tags=["pupils"])
class PupilDetail(generics.GenericAPIView[Pupil]):
    serializer_class = s.PupilSerializer

    @extend_schema(summary="One pupil", responses={200: s.PupilSerializer, **ERRORS})
    def get(self, request: Request, pupil_id: int) -> Response:
        reader, with_flags = _roll_reader(request)
        pupil = pupil_roll_get(reader=reader, pupil_id=pupil_id, request=request._request)
        return Response(s.PupilSerializer(pupil, context={"with_flags": with_flags}).data)


@extend_schema(tags=["pupils"])
class PupilSync(generics.GenericAPIView[Pupil]):
    serializer_class = s.PupilSyncSerializer

    @extend_schema(
        summary="Create or update pupils from the MIS, keyed on UPN",
        request=s.PupilSyncSerializer,
        responses={200: s.PupilSyncResultSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        scope_required(request, ApiScope.WRITE_PUPILS)
        capability_required(request, Capability.IMPORT_PUPILS)
        body = s.PupilSyncSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = getattr(request._request, "api_key", None)
        result = pupil_sync(
            body.validated_data["pupils"],
            actor_id=int(request.user.pk or 0),
            actor_name=str(getattr(request.user, "full_name", "")),
            api_key_id=None if key is None else key.pk,
        )
        return Response(
            {
                "run_id": result.run_id,
                "created": result.count(SyncOutcome.CREATED),
                "updated": result.count(SyncOutcome.UPDATED),
                "unchanged": result.count(SyncOutcome.UNCHANGED),
                "rejected": result.count(SyncOutcome.REJECTED),
                "leavers": result.leavers,
                "rows": [
                    {
                        "index": row.index,
                        "upn": row.upn,
                        "outcome": str(row.outcome),
                        "pupil_id": row.pupil_id,
                        "changes": list(row.changes),
                        "reasons": list(row.reasons),
                        "marks_leaver": row.marks_leaver,
                    }
                    for row in result.rows
                ],
            }
        )


@extend_schema(tags=["categories"])
class CategoryList(generics.ListAPIView[Category]):
    serializer_class = s.CategorySerializer
    pagination_class = None

    @extend_schema(
        summary="Categories of concern you may record or read",
        responses={200: s.CategorySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Category]:
        request = self.request
        # Those who record see every current category, as the recording form shows them; a
        # reader without write_concerns sees only the categories they may read.
        scopes = api_key_scopes(request._request)
        records = scopes is None or ApiScope.WRITE_CONCERNS in scopes
        if records and can(request._request, Capability.RECORD_CONCERN):
            return category_list_current()
        return categories_visible(_records_reader(request))


@extend_schema(tags=["concerns"])
class ConcernList(generics.ListCreateAPIView[Concern]):
    serializer_class = s.ConcernSerializer
    pagination_class = Page

    @extend_schema(
        summary="Concerns you may read, newest first",
        parameters=RECORD_FILTERS,
        responses={200: s.ConcernSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Concern]:
        reader = _records_reader(self.request)
        filters = _filters(self.request, s.RecordsFilterSerializer)
        return concern_list_for_reader(
            reader,
            since=filters.get("since"),
            until=filters.get("until"),
            category_id=filters.get("category"),
        )

    @extend_schema(
        summary="Record a concern (the DSL and deputies are alerted at once)",
        request=s.ConcernCreateSerializer,
        responses={201: s.ConcernReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scope_required(request, ApiScope.WRITE_CONCERNS)
        capability_required(request, Capability.RECORD_CONCERN)
        body = s.ConcernCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        concern = concern_record(
            school=school_of_request_or_404(request._request),
            author=acting_person(request._request),
            pupil_ids=data["pupil_ids"],
            category_ids=data["category_ids"],
            account=data["account"],
            occurred_at=data.get("occurred_at"),
            backdate_reason=data.get("backdate_reason", ""),
            location=data.get("location", ""),
            action_taken=data.get("action_taken", ""),
            told_dsl_in_person=data.get("told_dsl_in_person", False),
        )
        return Response(s.ConcernReceiptSerializer(concern).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["encompass"])
class EncompassNotification(generics.GenericAPIView[Concern]):
    serializer_class = s.EncompassNotificationSerializer

    @extend_schema(
        summary="Receive an Operation Encompass notification from a police force",
        description=(
            "Recorded as a restricted domestic-abuse concern authored by the key's holder; the "
            "DSL and deputies are alerted at once. due_at is the start of the school's next "
            "school day, by which it must be screened (escalated before it if not)."
        ),
        request=s.EncompassNotificationSerializer,
        responses={201: s.EncompassReceiptSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        scope_required(request, ApiScope.ENCOMPASS)
        # The key adult: the DSL or a deputy, as on the notification's page.
        capability_required(request, Capability.SCREEN_CONCERNS)
        body = s.EncompassNotificationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        school = school_of_request_or_404(request._request)
        concern = encompass_notification_record(
            school=school,
            author=acting_person(request._request),
            police_force=data["police_force"],
            incident_reference=data["incident_reference"],
            incident_at=data["incident_at"],
            notification=data["notification"],
            pupil_id=data.get("pupil_id"),
            upn=data.get("upn", ""),
            # Sent by the police force's system, not typed in from a call.
            source=Source.POLICE_SYSTEM,
        )
        due_at = encompass_due_at(calendar_of(school), concern.recorded_at)
        return Response(
            s.EncompassReceiptSerializer(concern, context={"due_at": due_at}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["concerns"])
class ConcernDetail(generics.GenericAPIView[Concern]):
    serializer_class = s.ConcernSerializer

    @extend_schema(summary="One concern", responses={200: s.ConcernSerializer, **ERRORS})
    def get(self, request: Request, concern_id: int) -> Response:
        reader = _records_reader(request)
        concern = concern_open_for_reader(
            reader=reader, concern_id=concern_id, request=request._request
        )
        return Response(s.ConcernSerializer(concern).data)


@extend_schema(tags=["concerns"])
class ActionList(generics.ListAPIView[Action]):
    serializer_class = s.ActionSerializer
    pagination_class = None

    @extend_schema(
        summary="The actions of a concern",
        responses={200: s.ActionSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Action]:
        reader = _records_reader(self.request)
        concern = concern_get_for_reader(reader=reader, concern_id=self.kwargs["concern_id"])
        return concern.actions.order_by("created_at", "pk")


@extend_schema(tags=["chronology"])
class Chronology(generics.ListAPIView[ChronologyEntry]):
    serializer_class = s.ChronologyEntrySerializer
    pagination_class = Page

    @extend_schema(
        summary="A pupil's chronology, oldest first (each read is in the access log)",
        parameters=RECORD_FILTERS,
        responses={200: s.ChronologyEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ChronologyEntry]:
        reader = _records_reader(self.request)
        filters = _filters(self.request, s.RecordsFilterSerializer)
        pupil = pupil_get_for_reader(
            reader=reader, pupil_id=self.kwargs["pupil_id"], request=self.request._request
        )
        return chronology_entries(reader, pupil, filters)

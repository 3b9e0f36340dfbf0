"""The trust lead's statistics as JSON on the trust portal (docs/api.md, "Trust statistics"):
the same selectors, periods and small-number suppression as the statistics pages, nothing of
its own. A hidden count is "c", as on the pages and in their CSV downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from safeguarding.api.auth import capability_required
from safeguarding.api.serializers import ErrorSerializer
from tenants.models import Trust
from trustplatform.permissions import Capability, trust_for_capability
from trustplatform.statistics.periods import Period, comparison_problem
from trustplatform.statistics.selectors import (
    LONDON,
    Statistics,
    period_or_default,
    school_statistics,
    trust_comparison,
    trust_school_get,
    trust_statistics,
    trust_term_dates,
)

ERRORS: dict[int, OpenApiResponse] = {
    code: OpenApiResponse(ErrorSerializer, description=text)
    for code, text in (
        (
            400,
            "The period, or the one to compare, is not one the statistics know, or the two share "
            "a month (see error.fields).",
        ),
        (401, "Not signed in."),
        (403, "Not the trust's safeguarding lead, or two-factor sign-in not complete."),
        (404, "No school of your trust by that id."),
        (429, "Too many requests; try again shortly."),
    )
}
PERIOD = OpenApiParameter(
    "period",
    OpenApiTypes.STR,
    description=(
        "As on the statistics pages: month:2026-03, term:2025-autumn, year:2025-26 (a school "
        "year). Left out: the default period of the pages."
    ),
)

COMPARE = OpenApiParameter(
    "compare",
    OpenApiTypes.STR,
    description=(
        "A second period, as `period`, with no month in common with it: the two side by side, "
        "as on the statistics page. Each period's figures are hidden as on its own page, and a "
        "difference whenever either of its figures is. Left out: no comparison."
    ),
)


# A published figure: a count, "c" for a hidden one, a rate per 100 pupils, a label, or empty.
@extend_schema_field(
    {
        "anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}],
        "nullable": True,
    }
)
class CellField(serializers.JSONField):
    pass


class TableSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    headings = serializers.ListField(child=serializers.CharField(allow_blank=True))
    rows = serializers.ListField(child=serializers.ListField(child=CellField()))
    total = serializers.ListField(child=CellField(), allow_null=True)


class UndeliveredSerializer(serializers.Serializer[Any]):
    school = serializers.CharField()
    alerts = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer[Any]):
    """One statistics page: its period and tables, every small count already hidden."""

    title = serializers.CharField()
    period = serializers.CharField()
    period_key = serializers.CharField(allow_blank=True)
    period_note = serializers.CharField(allow_blank=True)
    compare_key = serializers.CharField(allow_blank=True)
    months = serializers.ListField(child=serializers.DateField())
    pupils_on_roll = serializers.IntegerField()
    refreshed_at = serializers.DateTimeField(allow_null=True)
    not_refreshed = serializers.ListField(child=serializers.CharField())
    alerts_undelivered = UndeliveredSerializer(many=True)
    tables = TableSerializer(many=True)


def _shape(stats: Statistics) -> dict[str, Any]:
    return {
        "title": stats.title,
        "period": stats.period,
        "period_key": stats.period_key,
        "period_note": stats.period_note,
        "compare_key": stats.compare_key,
        "months": stats.months,
        "pupils_on_roll": stats.pupils_on_roll,
        "refreshed_at": stats.refreshed_at,
        "not_refreshed": stats.not_refreshed,
        "alerts_undelivered": [
            {"school": name, "alerts": count} for name, count in stats.alerts_undelivered
        ],
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "note": table.note,
                "headings": table.headings,
                "rows": table.rows,
                "total": table.total,
            }
            for table in stats.tables
        ],
    }


def _lead_trust(request: Request) -> Trust:
    """The trust whose safeguarding lead is asking (after two-factor); refuses anyone else."""
    capability_required(request, Capability.VIEW_TRUST_STATISTICS)
    trust = trust_for_capability(request._request, Capability.VIEW_TRUST_STATISTICS)
    if trust is None:  # pragma: no cover - the capability is given in a trust only
        raise exceptions.PermissionDenied("Your role here does not allow this.")
    return trust


def _period(request: Request, trust: Trust, name: str = "period") -> tuple[Period, dt.date]:
    """The period the query names in `name` (the pages' default when left out)."""
    today = timezone.localdate(timezone.now(), LONDON)
    period, problem = period_or_default(
        request.query_params.get(name), today=today, dates=trust_term_dates(trust=trust)
    )
    if problem:
        raise exceptions.ValidationError({name: [problem]})
    return period, today


@extend_schema(tags=["statistics"])
class TrustStatistics(APIView):
    @extend_schema(
        summary="The trust's safeguarding statistics over a period (small counts hidden)",
        parameters=[PERIOD, COMPARE],
        responses={200: StatisticsSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        trust = _lead_trust(request)
        period, today = _period(request, trust)
        if not request.query_params.get("compare"):
            stats = trust_statistics(trust=trust, period=period, today=today)
            return Response(StatisticsSerializer(_shape(stats)).data)
        other, _ = _period(request, trust, "compare")
        problem = comparison_problem(period, other)
        if problem:
            raise exceptions.ValidationError({"compare": [problem]})
        stats = trust_comparison(trust=trust, period=period, other=other, today=today)
        return Response(StatisticsSerializer(_shape(stats)).data)


@extend_schema(tags=["statistics"])
class SchoolStatistics(APIView):
    @extend_schema(
        summary="One school of the trust over a period (small counts hidden)",
        parameters=[PERIOD],
        responses={200: StatisticsSerializer, **ERRORS},
    )
    def get(self, request: Request, school_id: int) -> Response:
        trust = _lead_trust(request)
        school = trust_school_get(trust=trust, school_id=school_id)
        if school is None:
            raise exceptions.NotFound("Nothing here by that id, or it is not yours to see.")
        period, today = _period(request, trust)
        stats = school_statistics(school=school, period=period, today=today)
        return Response(StatisticsSerializer(_shape(stats)).data)

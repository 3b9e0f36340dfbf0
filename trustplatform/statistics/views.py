"""Statistics pages: the trust lead's dashboard (root domain) and a school's own page.

Counts only, from the public-schema rollup, suppressed (1 to 5 shown as "c"); never a pupil's name,
date of birth, UPN or concern text. Each table downloads as CSV with the same suppression.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import slugify

from tenants.models import Trust
from tenants.selectors import school_of_request
from trustplatform.downloads import written_download
from trustplatform.permissions import Capability, require, trust_for_capability
from trustplatform.statistics.charts import Chart, bar_chart, bars_html, cell_text, rows_html
from trustplatform.statistics.expressions import SCHOOLS_RANKED
from trustplatform.statistics.periods import (
    SCHOOL_CALENDAR,
    Period,
    comparison_problem,
    period_choices,
    previous_period,
)
from trustplatform.statistics.selectors import (
    LONDON,
    Statistics,
    Table,
    period_or_default,
    school_statistics,
    school_term_dates,
    schools_most_in_need,
    schools_page,
    trust_comparison,
    trust_school_get,
    trust_statistics,
    trust_term_dates,
)


def _csv(stats: Statistics, table_key: str, name: str) -> HttpResponse:
    table = stats.table(table_key)
    if table is None:
        raise Http404
    response = written_download(
        filename=f"{slugify(name)}-{table.key}-{timezone.localdate():%Y-%m-%d}.csv",
        content_type="text/csv; charset=utf-8",
    )
    writer = csv.writer(response)
    writer.writerow(table.headings)
    for row in [*table.rows, *([table.total] if table.total else [])]:
        # A leading =, +, - or @ would make a spreadsheet run a formula (CSV injection).
        writer.writerow(
            [
                "'" + text if text[:1] in {"=", "+", "-", "@"} and not _is_number(text) else text
                for text in map(cell_text, row)
            ]
        )
    writer.writerow([])
    writer.writerow(
        ['"c": a count of 1 to 5, or a figure hidden so that one cannot be worked out.']
    )
    writer.writerow([f"Period: {stats.period}."])
    return response


def _drawn(
    table: Table, period_key: str
) -> tuple[Table, Chart, SafeString, SafeString, SafeString]:
    chart = bar_chart(table.bars)
    foot = rows_html([table.total]) if table.total else rows_html([])
    query = f"?{urlencode({'period': period_key})}" if period_key else ""
    links = _school_links(table.row_schools, query)
    return table, chart, bars_html(chart, table.key), rows_html(table.rows, links), foot


# Any id: one school's URL is reversed once and the others written like it (a row per school).
_SOME_SCHOOL = 918273645


def _school_links(school_ids: tuple[int, ...], query: str) -> list[str]:
    if not school_ids:
        return []
    head, tail = reverse("trust_statistics:school", args=[_SOME_SCHOOL]).split(str(_SOME_SCHOOL))
    return [f"{head}{school_id}{tail}{query}" for school_id in school_ids]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _PeriodForm:
    """The period select above a statistics page (two on a trust's pages, which compare): the
    periods to choose from, what was wrong with the period asked for, and the period before the
    one shown (trust pages only: a school's own page compares nothing)."""

    choices: list[tuple[str, list[Period]]]
    problem: str
    previous_key: str = ""


def _period_options(
    choices: list[tuple[str, list[Period]]], selected: str, previous_key: str = ""
) -> SafeString:
    """The options of a period select, grouped, `selected` chosen and the period before
    `previous_key` named so: some seventy options, written here rather than by the template's
    loops, which took longer than every query of the page."""
    marked = {selected: " selected"}
    before = {previous_key: " (the one before)"} if previous_key else {}
    return format_html_join(
        "",
        '<optgroup label="{}">{}</optgroup>',
        (
            (
                group,
                format_html_join(
                    "",
                    '<option value="{}"{}>{}{}</option>',
                    (
                        (p.key, marked.get(p.key, ""), p.label, before.get(p.key, ""))
                        for p in periods
                    ),
                ),
            )
            for group, periods in choices
        ),
    )


def _render(
    request: HttpRequest,
    stats: Statistics,
    name: str,
    form: _PeriodForm,
    extra: dict[str, object] | None = None,
) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return _csv(stats, request.GET.get("table", ""), name)
    now = timezone.now()
    stale = stats.refreshed_at is not None and now - stats.refreshed_at > dt.timedelta(hours=26)
    context: dict[str, object] = {
        "stats": stats,
        "tables": [_drawn(table, stats.period_key) for table in stats.tables],
        "stale": stale,
        "period_problem": form.problem,
        "period_options": _period_options(form.choices, stats.period_key),
        **(extra or {}),
    }
    if form.previous_key:
        context["compare_options"] = _period_options(
            form.choices, stats.compare_key, form.previous_key
        )
    return render(request, "statistics/page.html", context)


# The dashboard shows this many schools (those most in need of attention), so it renders the
# same amount whatever the number of schools; the schools page has them all, a page at a time.
# The trust's snapshot keeps that many ranked, so the dashboard reads only their rows.
DASHBOARD_SCHOOLS = SCHOOLS_RANKED
SCHOOLS_PER_PAGE = 50


def _trust_figures(
    request: HttpRequest, trust: Trust, most_in_need: int | None = None
) -> tuple[Statistics, _PeriodForm]:
    """The trust's figures over the period (and comparison) the query asks for, with the
    period form: shared by the dashboard (`most_in_need` schools only) and the
    schools page (every school)."""
    today = timezone.localdate(timezone.now(), LONDON)
    dates = trust_term_dates(trust=trust)
    period, problem = period_or_default(request.GET.get("period"), today=today, dates=dates)
    stats = trust_statistics(trust=trust, period=period, today=today, most_in_need=most_in_need)
    compare_key = request.GET.get("compare", "")
    if compare_key:
        other, compare_problem = period_or_default(compare_key, today=today, dates=dates)
        compare_problem = compare_problem or comparison_problem(period, other)
        if compare_problem:
            problem = " ".join(p for p in (problem, f"Comparison: {compare_problem}") if p)
        else:
            stats = trust_comparison(
                trust=trust, period=period, other=other, today=today, most_in_need=most_in_need
            )
    return stats, _PeriodForm(
        choices=period_choices(today=today, dates=dates),
        problem=problem,
        previous_key=previous_period(period, today=today, dates=dates).key,
    )


def _period_query(stats: Statistics) -> str:
    keys = {"period": stats.period_key, "compare": stats.compare_key}
    return urlencode({k: v for k, v in keys.items() if v})


def _trust_or_404(request: HttpRequest) -> Trust:
    trust = trust_for_capability(request, Capability.VIEW_TRUST_STATISTICS)
    if trust is None:  # the decorator already checked; defensive
        raise Http404
    return trust


@require(Capability.VIEW_TRUST_STATISTICS)
def trust_dashboard(request: HttpRequest) -> HttpResponse:
    trust = _trust_or_404(request)
    # A CSV of the per-school table has every school; the page only the few most in need.
    whole = request.GET.get("format") == "csv" and request.GET.get("table") == "schools"
    stats, form = _trust_figures(request, trust, None if whole else DASHBOARD_SCHOOLS)
    schools = stats.table("schools")
    extra: dict[str, object] = {}
    if schools is not None and not whole:
        most = schools_most_in_need(schools, count=DASHBOARD_SCHOOLS)
        stats = replace(stats, tables=[most if t is schools else t for t in stats.tables])
        extra["all_schools"] = (
            reverse("trust_statistics:schools") + "?" + _period_query(stats),
            stats.schools,
        )
    return _render(request, stats, trust.slug, form, extra)


@require(Capability.VIEW_TRUST_STATISTICS)
def trust_schools(request: HttpRequest) -> HttpResponse:
    """Every school of the trust over the period, a page at a time, searchable by name."""
    trust = _trust_or_404(request)
    stats, form = _trust_figures(request, trust)
    schools = stats.table("schools")
    if schools is None:  # every trust page has it
        raise Http404
    if request.GET.get("format") == "csv":
        return _csv(stats, "schools", trust.slug)
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    query = request.GET.get("q", "")[:100]
    page = schools_page(schools, query=query, number=number, per_page=SCHOOLS_PER_PAGE)
    here = _period_query(stats)

    def link(to: int) -> str:
        return "?" + "&".join(p for p in (here, urlencode({"q": query, "page": to})) if p)

    stats = replace(stats, title=f"Schools of {trust.name}", tables=[page.table])
    return _render(
        request,
        stats,
        trust.slug,
        form,
        {
            "back": reverse("trust_statistics:dashboard") + ("?" + here if here else ""),
            "schools_search": query,
            "pager": {
                "number": page.number,
                "pages": page.pages,
                "matching": page.matching,
                "previous": link(page.number - 1) if page.number > 1 else "",
                "next": link(page.number + 1) if page.number < page.pages else "",
            },
        },
    )


@require(Capability.VIEW_TRUST_STATISTICS)
def trust_school_dashboard(request: HttpRequest, school_id: int) -> HttpResponse:
    """One school of the lead's own trust over a period: another trust's school is a 404."""
    trust = trust_for_capability(request, Capability.VIEW_TRUST_STATISTICS)
    school = trust_school_get(trust=trust, school_id=school_id) if trust else None
    if trust is None or school is None:
        raise Http404
    today = timezone.localdate(timezone.now(), LONDON)
    dates = trust_term_dates(trust=trust)
    period, problem = period_or_default(request.GET.get("period"), today=today, dates=dates)
    return _render(
        request,
        school_statistics(school=school, period=period, today=today),
        school.slug,
        _PeriodForm(choices=period_choices(today=today, dates=dates), problem=problem),
        {
            "back": reverse("trust_statistics:dashboard") + f"?{urlencode({'period': period.key})}",
        },
    )


@require(Capability.VIEW_SCHOOL_STATISTICS)
def school_dashboard(request: HttpRequest) -> HttpResponse:
    """The school's own figures over a fixed period, its terms by its own calendar.

    The same periods as the trust lead's (a month, a term, a school year; never dates of the
    reader's choosing) and the same suppression; no comparison of two periods.
    """
    school = school_of_request(request)
    if school is None:
        raise Http404
    today = timezone.localdate(timezone.now(), LONDON)
    dates = school_term_dates(school=school)
    period, problem = period_or_default(
        request.GET.get("period"), today=today, dates=dates, calendar=SCHOOL_CALENDAR
    )
    return _render(
        request,
        school_statistics(school=school, period=period, today=today),
        school.slug,
        _PeriodForm(
            choices=period_choices(today=today, dates=dates, calendar=SCHOOL_CALENDAR),
            problem=problem,
        ),
    )

"""Horizontal bar charts drawn server-side as inline SVG: readable at a glance, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import NamedTuple

from django.utils.safestring import SafeString, mark_safe

from trustplatform.statistics.selectors import Bar

WIDTH = 640
LABEL_WIDTH = 210
BAR_START = LABEL_WIDTH + 8
BAR_SPACE = WIDTH - BAR_START - 56  # room for the value after the longest bar
ROW = 24
BAR_HEIGHT = 16
LABEL_CHARACTERS = 30


class DrawnBar(NamedTuple):
    label: str
    text: str
    y: int
    text_y: int
    width: float
    value_x: float
    suppressed: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_x: int
    bar_x: int
    bar_height: int
    bars: list[DrawnBar]


def _text(value: object) -> str:
    return "\N{EN DASH}" if value is None else cell_text(value)


def bar_chart(bars: list[Bar]) -> Chart:
    numbers = [b.value for b in bars if isinstance(b.value, int | float) and not b.suppressed]
    top = max(numbers, default=0) or 1
    drawn = []
    for n, bar in enumerate(bars):
        value = bar.value
        width = (
            BAR_SPACE * float(value) / float(top)
            if isinstance(value, int | float) and not bar.suppressed
            else 0.0
        )
        label = (
            bar.label
            if len(bar.label) <= LABEL_CHARACTERS
            else bar.label[: LABEL_CHARACTERS - 1] + "…"
        )
        y = n * ROW + (ROW - BAR_HEIGHT) // 2
        drawn.append(
            DrawnBar(
                label=label,
                text=_text(value),
                y=y,
                text_y=y + BAR_HEIGHT - 4,
                width=round(width, 1),
                value_x=round(BAR_START + width + 6, 1),
                suppressed=bar.suppressed,
            )
        )
    return Chart(
        width=WIDTH,
        height=max(ROW, ROW * len(bars)),
        label_x=LABEL_WIDTH,
        bar_x=BAR_START,
        bar_height=BAR_HEIGHT,
        bars=drawn,
    )


# --- markup ------------------------------------------------------------------------------------
# The per-school table and chart have a row per school: built here as one string each rather
# than by template loops, whose cost per cell made the page grow with the number of schools.
# Text is escaped with the standard library's `html.escape` (what Django's `escape` calls, without
# its lazy-string wrapper, which cost more than the escaping); numbers need none.


def cell_text(value: object) -> str:
    """A published cell as text: "" for no figure, rates to one decimal place."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _cell_html(value: object) -> str:
    if value is None:
        return "<td>\N{EN DASH}</td>"
    if isinstance(value, float):
        return f"<td>{value:.1f}</td>"
    if type(value) is int:
        return f"<td>{value}</td>"
    return f"<td>{escape(str(value))}</td>"


def _row_html(row: Sequence[object], link: str = "") -> str:
    if not row:
        return "<tr></tr>"
    head, *cells = row
    tds = "".join(map(_cell_html, cells))
    heading: str = escape(cell_text(head))
    if link:
        heading = f'<a href="{escape(link)}">{heading}</a>'
    return f'<tr><th scope="row">{heading}</th>{tds}</tr>'


def rows_html(rows: Sequence[Sequence[object]], links: Sequence[str] = ()) -> SafeString:
    """Table rows: the first cell of each a row heading (a link when `links` has one), and an en
    dash where there is no figure."""
    links = links or [""] * len(rows)
    html = "".join(_row_html(row, link) for row, link in zip(rows, links, strict=True))
    return mark_safe(html)  # noqa: S308 - every cell escaped


def bars_html(chart: Chart, key: str) -> SafeString:
    """The bars of `chart` as SVG; a hidden count is a hatched stub marked "c"."""
    parts = []
    for bar in chart.bars:
        label = (
            f'<text x="{chart.label_x}" y="{bar.text_y}" text-anchor="end" font-size="12" '
            f'fill="#0b0c0c">{escape(bar.label)}</text>'
        )
        if bar.suppressed:
            mark = (
                f'<rect x="{chart.bar_x}" y="{bar.y}" width="14" height="{chart.bar_height}" '
                f'fill="url(#hatch-{escape(key)})" stroke="#505a5f"/>'
                f'<text x="{chart.bar_x + 20}" y="{bar.text_y}" font-size="12" '
                'fill="#0b0c0c">c</text>'
            )
        else:
            mark = (
                f'<rect x="{chart.bar_x}" y="{bar.y}" width="{bar.width:.1f}" '
                f'height="{chart.bar_height}" fill="#1d70b8"/>'
                f'<text x="{bar.value_x:.1f}" y="{bar.text_y}" font-size="12" '
                f'fill="#0b0c0c">{escape(bar.text)}</text>'
            )
        parts.append(f"<g>{label}{mark}</g>")
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped, the rest numbers

"""Horizontal bar charts drawn server-side as inline SVG: readable at a glance, no JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from trustplatform.statistics.selectors import Bar

WIDTH = 640
LABEL_WIDTH = 210
BAR_START = LABEL_WIDTH + 8
BAR_SPACE = WIDTH - BAR_START - 56  # room for the value after the longest bar
ROW = 24
BAR_HEIGHT = 16
LABEL_CHARACTERS = 30


@dataclass(frozen=True)
class DrawnBar:
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
    if value is None:
        return "\N{EN DASH}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


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

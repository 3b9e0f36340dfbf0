"""The body map of a concern: the outline's regions, which region a mark falls in, and how a
mark reads ("Front, child's left forearm: bruise, 3 cm").

One set of shapes serves everything: the outline drawn on the form and on every page and PDF is
these polygons, so a mark is in the region it is drawn in, and the server's hit test agrees with
what the person tapped (docs/rules.md, "The body map").

Coordinates are the outline's own (x 0-100 left to right as the viewer sees it, y 0-220 top to
bottom). The child faces the viewer in the front view, so the child's left is on the viewer's
right there; in the back view the child's left is on the viewer's left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

WIDTH = 100.0
HEIGHT = 220.0
VIEWS = {"front": "Front", "back": "Back"}
MAX_NOTE = 200

Points = tuple[tuple[float, float], ...]


def _ellipse(cx: float, cy: float, rx: float, ry: float, steps: int = 20) -> Points:
    return tuple(
        (
            round(cx + rx * math.cos(2 * math.pi * i / steps), 2),
            round(cy + ry * math.sin(2 * math.pi * i / steps), 2),
        )
        for i in range(steps)
    )


# The trunk, top to bottom; names per view where the two sides differ.
_HEAD = _ellipse(50, 16, 11, 14)
_NECK: Points = ((45, 29), (55, 29), (55, 37), (45, 37))
_TRUNK: tuple[tuple[str, str, Points], ...] = (
    (
        "chest",
        "upper back",
        ((45, 37), (55, 37), (70, 39), (72, 44), (70, 75), (30, 75), (28, 44), (30, 39)),
    ),
    ("abdomen", "lower back", ((30, 75), (70, 75), (72, 105), (28, 105))),
    ("groin", "buttocks", ((28, 105), (72, 105), (73, 122), (27, 122))),
)
# The limbs on the viewer's left; the viewer's right is their mirror image.
_LIMBS: tuple[tuple[str, Points], ...] = (
    ("upper arm", ((30, 39), (28, 44), (21, 77), (13, 75), (22, 42))),
    ("forearm", ((13, 75), (21, 77), (15, 108), (7, 106))),
    ("hand", ((7, 106), (15, 108), (14, 119), (9, 123), (4, 118))),
    ("thigh", ((27, 122), (49, 122), (47, 165), (32, 165))),
    ("lower leg", ((32, 165), (47, 165), (45, 203), (35, 203))),
    ("foot", ((35, 203), (45, 203), (46, 215), (30, 215), (31, 209))),
)


@dataclass(frozen=True)
class Region:
    """A place on one view of the body."""

    view: str
    code: str
    label: str  # "child's left forearm", "chest"
    points: Points

    def contains(self, x: float, y: float) -> bool:
        """Ray casting: a horizontal ray from the point crosses the edge an odd number of times."""
        inside = False
        points = self.points
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside

    @property
    def centre(self) -> tuple[float, float]:
        """The polygon's centroid (every region is convex enough for it to lie inside)."""
        area = cx = cy = 0.0
        points = self.points
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            cross = x1 * y2 - x2 * y1
            area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        return round(cx / (3 * area), 1), round(cy / (3 * area), 1)

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x:g},{y:g}" for x, y in self.points)

    @property
    def view_label(self) -> str:
        return VIEWS[self.view]


def _mirror(points: Points) -> Points:
    return tuple((round(WIDTH - x, 2), y) for x, y in points)


def _regions_of(view: str) -> tuple[Region, ...]:
    # Facing the viewer (front), the limbs on the viewer's left are the child's right.
    viewer_left, viewer_right = ("right", "left") if view == "front" else ("left", "right")
    regions = [
        Region(view, "head", "head", _HEAD),
        Region(view, "neck", "neck", _NECK),
        *(
            Region(view, (name := front if view == "front" else back).replace(" ", "_"), name, pts)
            for front, back, pts in _TRUNK
        ),
    ]
    for side, mirrored in ((viewer_left, False), (viewer_right, True)):
        for part, points in _LIMBS:
            regions.append(
                Region(
                    view,
                    f"{side}_{part.replace(' ', '_')}",
                    f"child's {side} {part}",
                    _mirror(points) if mirrored else points,
                )
            )
    return tuple(regions)


REGIONS: dict[str, tuple[Region, ...]] = {view: _regions_of(view) for view in VIEWS}
_BY_CODE: dict[tuple[str, str], Region] = {
    (region.view, region.code): region for regions in REGIONS.values() for region in regions
}


def region_at(view: str, x: float, y: float) -> Region | None:
    """The region of `view` the point falls in; None when it is not on the body."""
    return next((r for r in REGIONS.get(view, ()) if r.contains(x, y)), None)


def region_of(view: str, code: str) -> Region | None:
    return _BY_CODE.get((view, code))


def regions_in_list_order() -> list[Region]:
    """Every region of both views, as the list beside the drawing offers them: front first, then
    the trunk, then the child's right and left limbs."""

    def order(region: Region) -> tuple[int, int, int]:
        side = 1 if "right" in region.code else 2 if "left" in region.code else 0
        limb = next((i for i, (part, _) in enumerate(_LIMBS) if region.label.endswith(part)), -1)
        return (list(VIEWS).index(region.view), side, limb)

    return sorted((r for regions in REGIONS.values() for r in regions), key=order)


class MarkRefused(ValueError):
    """A mark that cannot be recorded; the message says why, to follow "Mark 2 (Front)"."""


@dataclass(frozen=True)
class Mark:
    """One mark as shown: numbered in the order recorded."""

    number: int
    view: str
    x: float
    y: float
    region: Region | None
    note: str

    @property
    def view_label(self) -> str:
        return VIEWS.get(self.view, self.view)

    @property
    def place(self) -> str:
        """ "Front, child's left forearm"; a mark recorded before the outline had regions and
        lying off it says so rather than guess."""
        where = self.region.label if self.region else "not on the outline"
        return f"{self.view_label}, {where}"

    @property
    def number_y(self) -> float:
        """Where the number's baseline goes so it sits in the middle of the dot."""
        return round(self.y + 2, 1)

    @property
    def text(self) -> str:
        return f"{self.number}. {self.place}" + (f": {self.note}" if self.note else "")


def _number(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def mark_place(raw: Mapping[str, Any]) -> tuple[str, float, float, Region]:
    """Where a posted mark is: its view, point and region. A mark gives either a point (tapped on
    the outline) or a region's code (chosen from the list: placed at the region's centre).
    Raises MarkRefused when it is not on the body."""
    view = raw.get("view")
    if view not in VIEWS:
        raise MarkRefused("is on neither the front nor the back view")
    if raw.get("region") and raw.get("x") in (None, ""):
        region = region_of(view, str(raw["region"]))
        if region is None:
            raise MarkRefused("names no place on the body: choose the place from the list")
        return (view, *region.centre, region)
    try:
        x, y = _number(raw.get("x")), _number(raw.get("y"))
    except (TypeError, ValueError):
        raise MarkRefused("could not be read: place it again") from None
    region = region_at(view, x, y)
    if region is None:
        raise MarkRefused(
            "is not on the body: tap on the outline, or choose the place from the list"
        )
    return view, round(x, 1), round(y, 1), region


def marks_read(stored: Any) -> list[Mark]:
    """A concern's marks as recorded, in either shape the record holds:

    - {"view", "x", "y", "region", "note"}: x, y in the outline's coordinates, the region found
      when it was recorded (kept as recorded even if the shapes are redrawn later);
    - {"side", "x", "y", "note"}: written before marks had regions, x and y as fractions of the
      outline's width and height; the region is found now, from where it was drawn.
    """
    marks: list[Mark] = []
    for item in stored if isinstance(stored, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            if "side" in item and "view" not in item:
                view = str(item["side"])
                x, y = _number(item["x"]) * WIDTH, _number(item["y"]) * HEIGHT
                region = region_at(view, x, y)
            else:
                view, x, y = str(item["view"]), _number(item["x"]), _number(item["y"])
                region = region_of(view, str(item.get("region", ""))) or region_at(view, x, y)
        except (KeyError, TypeError, ValueError):
            continue
        note = str(item.get("note") or "")
        marks.append(Mark(len(marks) + 1, view, round(x, 1), round(y, 1), region, note))
    return marks


def marks_posted(raws: Iterable[Mapping[str, Any]]) -> list[Mark]:
    """Marks as someone posted them, to show again on the form: one that is not on the body is
    kept (without a region) so they can see it and remove it, rather than lose its note."""
    marks: list[Mark] = []
    for raw in raws:
        note = str(raw.get("note") or "")[:MAX_NOTE]
        number = len(marks) + 1
        try:
            view, x, y, region = mark_place(raw)
            marks.append(Mark(number, view, x, y, region, note))
        except MarkRefused:
            try:
                x, y = _number(raw.get("x")), _number(raw.get("y"))
            except (TypeError, ValueError):
                continue  # nowhere to draw it: a posted region code the list never offered
            marks.append(Mark(number, str(raw.get("view")), x, y, None, note))
    return marks


@dataclass(frozen=True)
class Drawing:
    """One view of the outline with its marks, as the templates draw it."""

    view: str
    label: str
    regions: tuple[Region, ...]
    marks: tuple[Mark, ...]
    viewer_left: str  # "Child's right" on the front, "Child's left" on the back
    viewer_right: str


def drawings(marks: Iterable[Mark] = ()) -> list[Drawing]:
    marks = list(marks)
    return [
        Drawing(
            view=view,
            label=label,
            regions=REGIONS[view],
            marks=tuple(m for m in marks if m.view == view),
            viewer_left="Child's right" if view == "front" else "Child's left",
            viewer_right="Child's left" if view == "front" else "Child's right",
        )
        for view, label in VIEWS.items()
    ]

"""`{% body_map marks %}`: a concern's body map drawn, with its numbered list of marks."""

from __future__ import annotations

from typing import Any

from django import template

from safeguarding.body_map import Mark, drawings, marks_read

register = template.Library()


@register.inclusion_tag("safeguarding/concerns/_body_map.html")
def body_map(marks: Any) -> dict[str, Any]:
    """`marks`: a concern's `body_map` as stored (either shape), or marks already read."""
    if not (isinstance(marks, list) and all(isinstance(m, Mark) for m in marks)):
        marks = marks_read(marks)
    return {"marks": marks, "drawings": drawings(marks)}

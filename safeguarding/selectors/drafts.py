"""A person's own drafts: the only reader of a draft is its author (docs/security.md, "Drafts")."""

from __future__ import annotations

from typing import Any

from safeguarding.body_map import marks_read
from safeguarding.models import Draft, Pupil


def draft_of_author(*, author_id: int, form: Draft.Form, record_id: int) -> Draft | None:
    return Draft.objects.filter(author_id=author_id, form=form, record_id=record_id).first()


def draft_pupils_named(found: Draft) -> dict[str, str]:
    """The pupils chosen in a concern's draft, named as the recording search names them (on roll:
    name, year and form), so the page can show them chosen again."""
    ids = [int(i) for i in found.fields.get("pupils", []) if str(i).isdigit()]
    return {
        str(pupil.pk): f"{pupil.display_name} ({pupil.get_year_group_display()}"
        + (f", {pupil.form})" if pupil.form else ")")
        for pupil in Pupil.objects.filter(pk__in=ids, leaving_date__isnull=True)
    }


def draft_marks(found: Draft) -> list[dict[str, Any]]:
    """A concern's draft's body-map marks, each with its place as the form lists it
    ("child's left forearm"), so the page can draw and list them again."""
    return [
        {
            "view": mark.view,
            "x": mark.x,
            "y": mark.y,
            "region": mark.region.code if mark.region else "",
            "place": mark.region.label if mark.region else "not on the outline",
            "note": mark.note,
        }
        for mark in marks_read(found.marks)
    ]

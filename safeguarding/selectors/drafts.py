"""A person's own drafts: the only reader of a draft is its author (docs/security.md, "Drafts")."""

from __future__ import annotations

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

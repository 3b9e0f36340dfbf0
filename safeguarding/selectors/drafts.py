"""A person's own drafts: the only reader of a draft is its author (docs/security.md, "Drafts")."""

from __future__ import annotations

from safeguarding.models import Draft


def draft_of_author(*, author_id: int, form: Draft.Form, record_id: int) -> Draft | None:
    return Draft.objects.filter(author_id=author_id, form=form, record_id=record_id).first()

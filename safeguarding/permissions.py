"""Who may read which child's records in this school: the need-to-know rules of
docs/rules.md, "Who reads which records".

Every read of child data goes through a `Reader`, made from the request by `reader_for`. The DSL,
deputies and headteacher read every record; a key holder reads pupils of the year groups the DSL
granted them, and a concern (with its chronology entries and documents) only when it lies wholly
inside the grant: every category on it granted and not restricted, every pupil on it in a granted
year group. Nobody reads an allegation about themselves. Everyone else reads no child data (staff
see only their own receipts). Two-factor must have been passed. docs/security.md, "Need to know".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest

from safeguarding.models import Category, KeyHolderGrant
from safeguarding.services.chronology import Person
from trustplatform.accounts.models import Role
from trustplatform.permissions import Capability, can, roles_here


@dataclass(frozen=True)
class Reader:
    """A person allowed to read some child records here, with what they may read."""

    user_id: int
    name: str
    role: Role
    reads_everything: bool
    category_ids: frozenset[int] = frozenset()
    year_groups: frozenset[int] = frozenset()

    @property
    def sees_allegations(self) -> bool:
        return self.role in {Role.DSL, Role.HEADTEACHER}

    @property
    def person(self) -> Person:
        """The reader as records keep people: id, and name and role at the time."""
        return Person(user_id=self.user_id, name=self.name, role=str(self.role))


def reader_for(request: HttpRequest) -> Reader | None:
    """The request's user as a reader of child records here, or None if they read none."""
    roles = roles_here(request)
    if not roles:
        return None
    role = next(iter(roles))
    user = request.user
    user_id = int(user.pk or 0)  # signed in: roles_here is empty for anonymous users
    if can(request, Capability.VIEW_ALL_RECORDS):
        return Reader(user_id=user_id, name=user.full_name, role=role, reads_everything=True)  # type: ignore[union-attr]
    if can(request, Capability.VIEW_GRANTED_RECORDS):
        grant = KeyHolderGrant.objects.filter(user_id=user_id).first()
        restricted = set(
            Category.objects.filter(sensitivity=Category.Sensitivity.RESTRICTED).values_list(
                "pk", flat=True
            )
        )
        categories = (
            frozenset(grant.categories.values_list("pk", flat=True)) - restricted
            if grant
            else frozenset()
        )
        return Reader(
            user_id=user_id,
            name=user.full_name,  # type: ignore[union-attr]
            role=role,
            reads_everything=False,
            category_ids=categories,
            year_groups=frozenset(grant.year_groups) if grant else frozenset(),
        )
    return None


def reader_required(request: HttpRequest) -> Reader:
    """For views behind `require` that show child records: the reader, or the same 404."""
    reader = reader_for(request)
    if reader is None:
        raise Http404
    return reader


# Who may keep a draft of each form: whoever may send that form (docs/security.md, "Drafts").
DRAFT_CAPABILITY: dict[str, Capability] = {
    "concern": Capability.RECORD_CONCERN,
    "screening": Capability.SCREEN_CONCERNS,
    "action": Capability.MANAGE_CASES,
    "contact": Capability.MANAGE_CASES,
}

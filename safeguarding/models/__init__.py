"""Each school's own records. These tables live in the school's schema only.

No foreign key here points at a public-schema table: a school's schema is self-contained, so one
school can be restored (or moved to another database node) on its own. People are referenced by
user id with a snapshot of their name and role at the time.
"""

from __future__ import annotations

from safeguarding.models.access import AccessAction, AccessLogEntry
from safeguarding.models.categories import Category, KeyHolderGrant, YearGroup
from safeguarding.models.chronology import ChronologyEntry
from safeguarding.models.concerns import Action, Alert, Allegation, Concern, Source
from safeguarding.models.pupils import FamilyLink, Pupil

__all__ = [
    "AccessAction",
    "AccessLogEntry",
    "Action",
    "Alert",
    "Allegation",
    "Category",
    "ChronologyEntry",
    "Concern",
    "FamilyLink",
    "KeyHolderGrant",
    "Pupil",
    "Source",
    "YearGroup",
]

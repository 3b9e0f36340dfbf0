"""Each school's own records. These tables live in the school's schema only.

No foreign key here points at a public-schema table: a school's schema is self-contained, so one
school can be restored (or moved to another database node) on its own. People are referenced by
user id with a snapshot of their name and role at the time.
"""

from __future__ import annotations

from safeguarding.models.access import AccessAction, AccessLogEntry
from safeguarding.models.api_keys import ApiKey
from safeguarding.models.categories import Category, KeyHolderGrant, YearGroup
from safeguarding.models.chronology import ChronologyEntry
from safeguarding.models.concerns import (
    Action,
    Alert,
    Allegation,
    AllegationSettings,
    AllegationVersion,
    Concern,
    Source,
    moved_with_the_file,
)
from safeguarding.models.documents import Document
from safeguarding.models.drafts import Draft
from safeguarding.models.exports import ExportJob
from safeguarding.models.outside_transfers import OutsideTransfer
from safeguarding.models.pupil_sync import PupilHistory, PupilSyncRun
from safeguarding.models.pupils import FamilyLink, Pupil
from safeguarding.models.retention import Destruction, LegalHold, RetentionReview
from safeguarding.models.sharing import Agency, AgencyContact, Disclosure, LawfulBasis
from safeguarding.models.subject_access import (
    Exemption,
    SubjectAccessRequest,
    SubjectAccessWithholding,
)

__all__ = [
    "AccessAction",
    "AccessLogEntry",
    "Action",
    "Agency",
    "AgencyContact",
    "Alert",
    "Allegation",
    "AllegationSettings",
    "AllegationVersion",
    "ApiKey",
    "Category",
    "ChronologyEntry",
    "Concern",
    "Destruction",
    "Disclosure",
    "Document",
    "Draft",
    "Exemption",
    "ExportJob",
    "FamilyLink",
    "KeyHolderGrant",
    "LawfulBasis",
    "LegalHold",
    "OutsideTransfer",
    "Pupil",
    "PupilHistory",
    "PupilSyncRun",
    "RetentionReview",
    "Source",
    "SubjectAccessRequest",
    "SubjectAccessWithholding",
    "YearGroup",
    "moved_with_the_file",
]

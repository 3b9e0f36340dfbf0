"""Authorisation-matrix rows for the policy register (school sites) and review dates (root).

Governance pages, no child data: governors and trustees open them without two-factor.
"""

from __future__ import annotations

import atexit
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from django.core.files.base import ContentFile

from tests.authz import LOGIN, Row, actors
from tests.conftest import World
from trustplatform.policies.models import Policy, PolicyKind

READERS = actors("a:deputy_dsl", "a:dsl", "a:headteacher", "a:governor")
# permissions.py grants RECORD_POLICY_REVIEW to the headteacher and governors.
RECORDERS = actors("a:headteacher", "a:governor")

_written: list[Path] = []


@atexit.register
def _remove_written_files() -> None:
    for path in _written:
        path.unlink(missing_ok=True)
        # The school's folder and the policies root, if this run created them and they are empty.
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break


def _policy(world: World) -> Policy:
    return Policy.objects.create(
        school=world.school_a,
        title=f"Matrix policy {Policy.objects.count() + 1}",
        kind=PolicyKind.OTHER,
        owner="Headteacher",
        approving_body="Full governing body",
        next_review_due=dt.date(2026, 9, 1),
    )


def policy_kwargs(world: World) -> Mapping[str, object]:
    return {"policy_id": _policy(world).pk}


def policy_with_document_kwargs(world: World) -> Mapping[str, object]:
    policy = _policy(world)
    policy.document.save("policy.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    _written.append(Path(policy.document.path))
    return {"policy_id": policy.pk}


SCHOOL_ROWS: dict[str, Row] = {
    "policies:register": Row(allowed=READERS),
    "policies:detail": Row(allowed=READERS, kwargs=policy_kwargs),
    "policies:document": Row(allowed=READERS, kwargs=policy_with_document_kwargs),
    "policies:new": Row(allowed=RECORDERS),
    "policies:edit": Row(allowed=RECORDERS, kwargs=policy_kwargs),
    "policies:review": Row(allowed=RECORDERS, kwargs=policy_kwargs),
}

ROOT_ROWS: dict[str, Row] = {
    "trust_policies:review_dates": Row(
        allowed=actors("trust:trust_safeguarding_lead", "trust:trustee"), anonymous=LOGIN
    ),
}

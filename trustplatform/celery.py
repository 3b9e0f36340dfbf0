"""The Celery app. Tasks carry the school's schema in a message header (tenant-schemas-celery).

Task arguments are ids only: never names or concern text, which would sit in the broker and in
error reports.
"""

from __future__ import annotations

import os
from typing import Any

from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.app import CeleryApp

from tenants.db import school_connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")

app = CeleryApp("trustplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class SchoolContextMissing(RuntimeError):
    """A school task arrived without a school: refused rather than run in the public schema."""


class SchoolTask(app.Task):  # type: ignore[name-defined]
    """Base for tasks that work on one school's records; they run only inside that school."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if school_connection.schema_name == get_public_schema_name():
            raise SchoolContextMissing(f"{self.name} must be sent from inside a school's schema.")
        return super().__call__(*args, **kwargs)

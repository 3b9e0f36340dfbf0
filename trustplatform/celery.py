"""The Celery app. Tasks carry the school's schema in a message header (tenant-schemas-celery).

Task arguments are ids only: never names or concern text, which would sit in the broker and in
error reports.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django_tenants.utils import get_public_schema_name
from tenant_schemas_celery.app import CeleryApp

from tenants.db import school_connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")

app = CeleryApp("trustplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders_ensure(sender: Any, **kwargs: Any) -> None:
    # The filesystem broker (development without Redis) needs its folders before the first
    # message, in whichever process sends it first: web, worker, beat or a management command.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if folder := options.get(key):
            Path(folder).mkdir(parents=True, exist_ok=True)


class SchoolContextMissing(RuntimeError):
    """A school task arrived without a school: refused rather than run in the public schema."""


class SchoolTask(app.Task):  # type: ignore[name-defined]
    """Base for tasks that work on one school's records; they run only inside that school."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if school_connection.schema_name == get_public_schema_name():
            raise SchoolContextMissing(f"{self.name} must be sent from inside a school's schema.")
        return super().__call__(*args, **kwargs)

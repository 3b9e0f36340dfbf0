"""Which apps' tables a migration makes in which schema: django-tenants' router, taught that the
owner role's connection migrates (docs/security.md, "Database roles")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django_tenants.routers import TenantSyncRouter
from django_tenants.utils import get_public_schema_name

from tenants.db import OWNER_ALIAS


class SchoolRouter(TenantSyncRouter):
    """Shared apps in the public schema, school apps in each school's; on either connection, the
    application's (a one-role set-up) or the owner's: both reach the same database."""

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        # Decides (never None): django-tenants' own router, listed after it because django-tenants
        # insists on its presence, would refuse the owner's alias.
        if db not in (DEFAULT_DB_ALIAS, OWNER_ALIAS):
            return False
        public = connections[db].schema_name == get_public_schema_name()  # type: ignore[attr-defined]
        return bool(
            self.app_in_list(app_label, settings.SHARED_APPS if public else settings.TENANT_APPS)
        )

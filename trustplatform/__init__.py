"""The platform layer: settings, URLconfs, Celery, accounts, audit and the trust portal.

Named `trustplatform`, not `platform`: a package called `platform` would shadow the standard
library module of that name, which `uuid` (and so Django) imports.
"""

from __future__ import annotations

from trustplatform.celery import app as celery_app

__all__ = ["celery_app"]

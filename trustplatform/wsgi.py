"""The WSGI application: `gunicorn trustplatform.wsgi` (deploy/entrypoint.sh, `web`)."""

from __future__ import annotations

import os

# Set before the Django import below; the package's own import (trustplatform/__init__.py, the
# Celery app) sets the same default first, since it runs before this module.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

"""gunicorn's settings for the web process (`gunicorn --config deploy/gunicorn.conf.py
trustplatform.wsgi`, deploy/entrypoint.sh). Sized by environment variables; read by gunicorn, not
by Django.
"""

from __future__ import annotations

import os
import sys
from typing import Any

bind = f"{os.environ.get('GUNICORN_BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - inside the container, behind nginx
# Two processes per core by default; each serves GUNICORN_THREADS requests at once, so a request
# waiting on S3, clamd or SMTP does not hold a whole process. Every thread keeps its own database
# connection (CONN_MAX_AGE): workers x threads x replicas must stay under PostgreSQL's
# max_connections.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# How long a thread may hold the interpreter before another of its process may run, in seconds.
# A thread back from PostgreSQL, S3 or clamd waits up to this long for a thread that computes;
# recording a concern makes some 25 such round trips. Python's default is 0.005.
switch_interval = float(os.environ.get("GUNICORN_SWITCH_INTERVAL", "0.001"))
# An upload is read, scanned by clamd and written to S3 within one request: longer than a page.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# nginx keeps connections to gunicorn open between requests (deploy/nginx/).
keepalive = 75
# The heartbeat file in memory: a container's overlay disk can stall it, and gunicorn then kills
# healthy workers.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a tmpfs, not a shared temporary folder
# A worker is replaced after a few thousand requests, so slow leaks never add up.
max_requests = 2000
max_requests_jitter = 200
# Only nginx, which sets X-Forwarded-Proto itself, talks to gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
# The path without its query string (%(U)s): a search may carry what someone typed, which can be
# a pupil's name. No referer or user agent either; the address is the one nginx was given.
access_log_format = '%({x-forwarded-for}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def post_worker_init(worker: Any) -> None:
    """In each worker, once the application is loaded."""
    sys.setswitchinterval(switch_interval)

"""How a school's services hand work to Celery: by task name, in this school.

Services never import `safeguarding.tasks` (the tasks call services: layers point one way), so
they send by the name each task is registered under. The message carries only ids; the school
travels in its header, which tenant-schemas-celery's `send_task` fills from the connection's
schema, the school current when the work was queued. Alert emails go through the outbox
(trustplatform/outbox), which queues its own sending task.
"""

from __future__ import annotations

from trustplatform.celery import task_send as celery_task_send

# The names in safeguarding/tasks.py's `@app.task(name=...)`.
CHRONOLOGY_EXPORT = "safeguarding.chronology_export"


def task_send(name: str, *ids: int) -> None:
    """Sends the task now, for the school the connection is in; raises when the broker is down."""
    celery_task_send(name, *ids)

"""A member of staff's tasks. Who may open each page: tests/safeguarding/authz_tasks.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import tasks

urlpatterns: list[URLPattern] = [
    path("tasks/", tasks.my_tasks, name="my_tasks"),
    path("tasks/<int:action_id>/complete/", tasks.task_complete, name="task_complete"),
]

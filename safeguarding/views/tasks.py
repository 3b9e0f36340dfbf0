"""My tasks: the actions assigned to the signed-in member of staff, and completing them.

docs/rules.md, "Tasks".
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from safeguarding.forms.concerns import OutcomeForm
from safeguarding.models import Alert
from safeguarding.selectors.tasks import task_get_for_assignee, tasks_of_assignee
from safeguarding.services import concerns as services
from safeguarding.views.common import acting_person, error_text
from trustplatform.permissions import Capability, require


@require(Capability.VIEW_OWN_TASKS)
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    person = acting_person(request)
    tasks = tasks_of_assignee(person=person, request=request)
    # Opening the page reads the "an action has been assigned to you" alerts.
    Alert.objects.filter(
        user_id=person.user_id, reason=Alert.Reason.ACTION_ASSIGNED, read_at__isnull=True
    ).update(read_at=timezone.now())
    return render(
        request,
        "safeguarding/tasks/mine.html",
        {
            "open_tasks": [t for t in tasks if t.is_open],
            "done_tasks": [t for t in tasks if not t.is_open],
        },
    )


@require(Capability.VIEW_OWN_TASKS)
@require_POST
def task_complete(request: HttpRequest, action_id: int) -> HttpResponse:
    person = acting_person(request)
    # Someone else's task is the same 404 as no task.
    action = task_get_for_assignee(user_id=person.user_id, action_id=action_id)
    form = OutcomeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write a note of what was done before completing the task.")
        services.action_complete(action=action, actor=person, outcome=form.cleaned_data["outcome"])
        messages.success(request, "Task completed. The DSL sees it done.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("safeguarding:my_tasks")

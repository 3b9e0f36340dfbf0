"""Services queue tasks by name (safeguarding/queueing.py) rather than importing them; each name
must be a registered task. Which module may import which (layers, no cycles) is checked by
`lint-imports`, from the contracts in pyproject.toml."""

from __future__ import annotations

from safeguarding import queueing, tasks


def test_every_task_the_services_send_by_name_is_registered_under_that_name() -> None:
    registered = {task.name for task in vars(tasks).values() if hasattr(task, "delay")}
    sent = {queueing.CHRONOLOGY_EXPORT}
    assert sent <= registered

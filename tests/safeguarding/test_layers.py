"""The app's layers point one way: views → services/selectors → models; tasks call services;
services queue tasks by name (safeguarding/queueing.py) and import neither tasks nor views."""

from __future__ import annotations

import ast
from pathlib import Path

import safeguarding
from safeguarding import queueing, tasks

APP = Path(safeguarding.__file__).parent


def _modules() -> dict[str, Path]:
    modules = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ("safeguarding", *path.relative_to(APP).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The app's modules this file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
            found |= submodules or ({node.module} & modules.keys())
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names} & modules.keys()
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_services_and_selectors_import_no_view_and_no_task() -> None:
    graph = _graph()
    wrong = {
        (name, imported)
        for name, imports in graph.items()
        if name.startswith(("safeguarding.services", "safeguarding.selectors"))
        for imported in imports
        if imported.startswith("safeguarding.views") or imported == "safeguarding.tasks"
    }
    assert wrong == set()


def test_no_module_of_the_app_imports_itself_through_others() -> None:
    graph = _graph()
    cycles = []
    for start in graph:
        seen, stack = set(), list(graph[start])
        while stack:
            name = stack.pop()
            if name == start:
                cycles.append(start)
                break
            if name not in seen:
                seen.add(name)
                stack.extend(graph.get(name, ()))
    assert cycles == []


def test_every_task_the_services_send_by_name_is_registered_under_that_name() -> None:
    registered = {task.name for task in vars(tasks).values() if hasattr(task, "delay")}
    sent = {queueing.CHRONOLOGY_EXPORT}
    assert sent <= registered

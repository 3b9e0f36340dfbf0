"""For migrations that redefine a SQL function by editing the text an earlier migration gave it
(the migration loader skips this module: its name starts with an underscore)."""

from __future__ import annotations

from collections.abc import Iterable


def edited(source: str, changes: Iterable[tuple[str, str]], before: str) -> str:
    """`source` with each (old, new) change made; each old piece must be found exactly once, or
    the earlier migration (`before`) no longer reads as the change expects."""
    for old, new in changes:
        if source.count(old) != 1:
            raise RuntimeError(
                f"the function of migration {before} no longer reads as expected: {old!r}"
            )
        source = source.replace(old, new)
    return source

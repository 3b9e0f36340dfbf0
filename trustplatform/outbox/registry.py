"""The kinds of outbox email: each renders its email from the id of the row it is about."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    to: list[str]
    # Recipients who must not see each other's addresses (colleagues told of the same thing).
    bcc: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Kind:
    # None: nothing to send any more (the recipient has left, the row is gone).
    render: Callable[[int], Email | None]
    # Called once the mail server accepted the email.
    on_sent: Callable[[int], None] | None = None
    # Called when the last attempt failed and the email is shown as not delivered.
    on_given_up: Callable[[int], None] | None = None


_kinds: dict[str, Kind] = {}


def outbox_kind_register(
    name: str,
    *,
    render: Callable[[int], Email | None],
    on_sent: Callable[[int], None] | None = None,
    on_given_up: Callable[[int], None] | None = None,
) -> None:
    _kinds[name] = Kind(render=render, on_sent=on_sent, on_given_up=on_given_up)


def outbox_kind(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No outbox kind {name!r} is registered.") from None

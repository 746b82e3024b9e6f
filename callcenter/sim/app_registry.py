"""The table of dialplan applications a simulated channel can run (`@app(name)` adds
one) and the argument parsing they share."""
from __future__ import annotations

from typing import Callable

from .channel import Channel

App = Callable[[Channel, str], "str | None"]
APPS: dict[str, App] = {}


def app(name: str):
    def register(fn: App) -> App:
        APPS[name] = fn
        return fn
    return register


def int_arg(text: str, default: int) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return default

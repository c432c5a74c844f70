"""What the network's commands share: the registry they work on, and who they act as."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from oncoreg.services.access import SYSTEM, Principal
from oncoreg.settings import get_settings
from oncoreg.store import Store


@contextmanager
def registry() -> Iterator[Store]:
    """The registry of the settings, disposed of when the command is done."""
    store = Store.from_settings(get_settings())
    try:
        yield store
    finally:
        store.dispose()


def on_registry(work: Callable[..., object], *args, **kwargs):
    """``work(store, *args, **kwargs)`` on the registry of the settings."""
    with registry() as store:
        return work(store, *args, **kwargs)


def acting_as(user: str) -> Principal:
    """The CLI acts as the system, recording ``user`` as who did it."""
    return replace(SYSTEM, username=user)

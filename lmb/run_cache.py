"""Reference data read once for a run of business actions instead of once per document.

A shop sync makes thousands of orders and deposit invoices in a few minutes; each of them reads
the company's identity and the legal mentions in force, which do not change from one order to the
next. Within ``kept_in(store)`` (the importer keeps one store for its whole run) such reads are
made once; outside, every call reads afresh, as before.
"""

from collections.abc import Callable, Hashable
from contextlib import contextmanager
from contextvars import ContextVar

_store: ContextVar[dict | None] = ContextVar("lmb_run_cache", default=None)


@contextmanager
def kept_in(store: dict):
    """Remember the reference data read inside in ``store`` (a dict the caller keeps for its run)."""
    token = _store.set(store)
    try:
        yield store
    finally:
        _store.reset(token)


def remembered(key: Hashable, read: Callable):
    """``read()``, or what it gave the first time within the current run."""
    store = _store.get()
    if store is None:
        return read()
    if key not in store:
        store[key] = read()
    return store[key]


def once_true(key: Hashable, check: Callable[[], bool]) -> bool:
    """``check()``, not asked again within the current run once it has said True: for facts that
    never turn false again (a yearly threshold passed, on documents that cannot be deleted)."""
    store = _store.get()
    if store is None:
        return check()
    if store.get(key):
        return True
    store[key] = check()
    return store[key]

"""Transactions of business actions that run inside a bigger all-or-nothing one.

Every service is atomic on its own: called from a view, it is the transaction; called from another
service, Django opens a savepoint so that a caller may catch its failure and go on. A caller that
never does — an import that makes an order, confirms it and books its deposit, and undoes all of it
on any error — pays two round trips per nested service for savepoints it will never roll back to.
Inside ``all_or_nothing()`` the services decorated with ``atomic`` open none: an error anywhere
marks the whole transaction for rollback (Django then refuses any further statement in it, so a
caught error cannot be half-applied by mistake).
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import transaction

_nested_savepoints: ContextVar[bool] = ContextVar("lmb_nested_savepoints", default=True)


def atomic(function: Callable) -> Callable:
    """``transaction.atomic`` for a service: its own savepoint when nested, except within
    ``all_or_nothing()``."""

    @wraps(function)
    def in_transaction(*args, **kwargs):
        with transaction.atomic(savepoint=_nested_savepoints.get()):
            return function(*args, **kwargs)

    return in_transaction


@contextmanager
def all_or_nothing():
    """A transaction that the caller undoes whole when anything inside fails: the services it
    calls open no savepoint of their own."""
    with transaction.atomic():
        token = _nested_savepoints.set(False)
        try:
            yield
        finally:
            _nested_savepoints.reset(token)

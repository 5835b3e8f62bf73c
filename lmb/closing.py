"""Closed periods, seen from the apps that date legal documents.

Accounting closes months (their VAT return filed, their books reviewed); sales must not issue an
invoice or a credit note dated in one, or the closed figures would move. Sales cannot ask
accounting (DESIGN §2): accounting registers its answer here in ``AppConfig.ready()``.
"""

from collections.abc import Callable
from datetime import date

from .errors import Conflict

# Each check answers why ``day`` is closed, or "" when it is open.
_checks: list[Callable[[date], str]] = []


def register(check: Callable[[date], str]) -> None:
    if check not in _checks:
        _checks.append(check)


def refuse_closed_day(day: date) -> None:
    """Raise ``Conflict`` when a registered check says ``day`` is in a closed period."""
    for check in _checks:
        if reason := check(day):
            raise Conflict(reason)

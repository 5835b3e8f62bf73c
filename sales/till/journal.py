"""Writing to the till's event log (POS-02): one sealed, hash-chained row per sensitive event."""

from django.utils import timezone

from . import chain
from .models import TillEvent

Kind = TillEvent.Kind


def log(kind: str, /, *, user, session=None, register=None, **details) -> TillEvent:
    """Record an event in the caller's transaction (it is kept only if the action is): who, when,
    on which register and session, with its details. ``register`` defaults to the session's."""
    if register is None and session is not None:
        register = session.register
    event = TillEvent(
        kind=kind,
        register=register,
        session=session,
        user=user,
        at=timezone.now(),
        details=details,
    )
    return chain.seal(event)

"""Sending a Celery task when the broker may be down.

The work is always written to the database first — a job, a webhook event, a push owed to a shop —
and its task sent once that transaction has committed. If the broker cannot take the message
(Redis down or restarting), the sending is logged and the row stays as it is: pending work that a
sweeper sends again once the broker is back (``lmb.jobs.sweep_jobs``, the PrestaShop outbox's
``sweep_outbox``), or a failure the user sees (an e-mail). The user's action, whose data is safely
committed, is never answered with a 500 for it.

Tasks are named by their dotted name (``"stock.tasks.render_labels"``), so that the lower apps and
``lmb`` itself can send the tasks of any app without importing it (DESIGN §2).
"""

import logging
from collections.abc import Callable
from importlib import import_module

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What kombu raises when the broker refuses the connection or drops it (after its publish retries).
BROKER_ERRORS = (OperationalError,)


def task(task_name: str):
    """The task of that dotted name; its module is imported first (a web process imports an
    app's ``tasks`` module only when something asks for it)."""
    from .celery import app

    import_module(task_name.rpartition(".")[0])
    return app.tasks[task_name]


def send(task_name: str, *args) -> bool:
    """Send the task now; False (and logged) when the broker cannot take it. When tasks run in
    the process (the embedded setup), the task runs here and its own errors propagate."""
    try:
        task(task_name).delay(*args)
    except BROKER_ERRORS:
        logger.exception("Task %s%r not queued: the broker cannot be reached", task_name, args)
        return False
    return True


def send_on_commit(task_name: str, *args, on_failure: Callable[[], object] | None = None) -> None:
    """Send the task once the current transaction commits (at once outside one). When the broker
    cannot take it, ``on_failure()`` runs (e.g. to say so on the row the task would have handled)."""

    def send_after_commit():
        if not send(task_name, *args) and on_failure is not None:
            on_failure()

    transaction.on_commit(send_after_commit)

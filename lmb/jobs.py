"""Background jobs with progress: ``start_job`` writes the row and sends its task, the task calls
``run_job``, which reports progress on the row. The page that started the job polls it
(lmb.job_views).

Nothing is lost when a worker dies. The life of a job:

- ``start_job`` creates it pending, with the name of the task that runs it, and sends the task once
  the transaction commits. A broker that cannot be reached leaves the job pending with a message:
  the sweeper sends it again.
- ``run_job`` claims the job before working, under its row lock. A job already finished, or held by
  a run that is still alive, is left alone: a message delivered twice (a re-sent job, Redis' restore
  of a worker's unacknowledged messages) does the work once. Otherwise the run takes the job:
  ``attempts`` + 1, running, ``heartbeat_at`` now, ``worker`` = its host and process id.
- While the work runs, a thread of the worker writes ``heartbeat_at`` every JOB_HEARTBEAT_SECONDS
  (and each progress report does too). The work itself may go a long time without reporting (a
  large PDF): the heartbeat says the process lives, not that the work moves.
- A run is dead when its heartbeat is older than JOB_STALE_SECONDS, or, seen from its own host, when
  its process is gone. A worker process killed mid-task (the OOM killer) has its message put back
  at once (Celery's ``task_reject_on_worker_lost``): the next run, on the same host, sees the old
  process gone and takes over without waiting.
- ``sweep_jobs`` (Celery beat, every minute) re-queues a running job whose run is dead (a whole
  worker killed: its message would otherwise wait for Redis' visibility timeout), as long as it has
  been started fewer than JOB_MAX_ATTEMPTS times, and fails it past that with a message saying so.
  It also sends again a pending job whose message was sent JOB_REQUEUE_SECONDS ago and never taken
  (a message the broker lost, or could not take).
- Every write of a run (progress, heartbeat, result) names its attempt: a run declared dead that
  was not (a process frozen for a while) writes nothing over its successor's work, and stops at
  its next progress report.
- Whatever makes a job fail (its run failed, or the job was given up), what registered for its
  kind with ``on_failure`` hears it in the transaction that records the failure: a job whose
  outcome lives elsewhere (an import) never leaves that outcome waiting for ever.
"""

import logging
import os
import socket
import threading
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import queueing
from .errors import DomainError
from .models import Job

logger = logging.getLogger(__name__)


# The options of every task that runs a job (``@shared_task(**JOB_TASK_OPTIONS)``, and nothing
# more): a worker process lost mid-run puts the message back at once, not as a retry after a
# countdown; the job bounds its runs itself (JOB_MAX_ATTEMPTS), whatever Celery counts. No
# ``autoretry_for``: a run that failed has marked its job failed, a retry would find it finished.
JOB_TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "retry_on_worker_lost": False}


class JobTakenOver(Exception):
    """This run was declared dead and another one has the job now: stop, write nothing more."""


# --- What a failure tells ------------------------------------------------------------------------

_failure_listeners: dict[str, list[Callable[[Job], None]]] = defaultdict(list)


def on_failure(kind: str, listener: Callable[[Job], None]) -> None:
    """Call ``listener(job)`` whenever a job of ``kind`` fails (registered in ``AppConfig.ready()``),
    inside the transaction that records the failure, the job's ``message`` set: its first line is
    for the user, the rest technical details."""
    if listener not in _failure_listeners[kind]:
        _failure_listeners[kind].append(listener)


def _failed(job: Job) -> None:
    """Tell the listeners of the job's kind. A listener that fails is logged: the job's own
    failure is recorded whatever becomes of it (each runs in a savepoint)."""
    for listener in _failure_listeners.get(job.kind, ()):
        try:
            with transaction.atomic():
                listener(job)
        except Exception:
            logger.exception("Job %s (%s): a failure listener failed", job.pk, job.kind)


def create_job(*, kind: str, title: str, user=None, parameters=None, task: str = "") -> Job:
    return Job.objects.create(kind=kind, title=title[:200], created_by=user, parameters=parameters or {}, task=task)


def start_job(*, kind: str, title: str, task: str, user=None, parameters=None) -> Job:
    """Create a job and send ``task`` (a dotted task name, called with the job's id) once the
    transaction commits. The task's body is ``run_job(job_id, work)``."""
    job = create_job(kind=kind, title=title, user=user, parameters=parameters, task=task)
    transaction.on_commit(lambda: queue_job(job.pk))
    return job


def queue_job(job_id: int) -> bool:
    """Send the job's task (again); when the broker cannot take it, the job stays pending and says
    so, and the sweeper tries again."""
    job = Job.objects.get(pk=job_id)
    if not job.task:
        logger.error("Job %s (%s) names no task: it cannot be queued", job.pk, job.kind)
        return False
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    if queueing.send(job.task, job.pk):
        return True
    Job.objects.filter(pk=job.pk, status=Job.Status.PENDING).update(
        message=_("La file des tâches de fond ne répond pas : la tâche partira dès qu'elle sera rétablie.")
    )
    return False


# --- A run --------------------------------------------------------------------------------------


def run_job(job_id: int, work) -> Job:
    """Run ``work(job, report)`` for a job. ``report(percent, message="")`` saves progress;
    ``work`` returns ``(filename, bytes)`` for the result file, a message for the user, or None. A failure is kept on the
    job with its reason (a DomainError's message as is; anything else as an internal error). A job
    that is finished, or that a live run holds, is left as it is."""
    job = _claim(job_id)
    if job is None:
        return Job.objects.filter(pk=job_id).first()
    mine = Job.objects.filter(pk=job.pk, attempts=job.attempts, status=Job.Status.RUNNING)

    def report(percent, message=""):
        progress = max(0, min(100, int(percent)))
        if not mine.update(progress=progress, message=message, heartbeat_at=timezone.now()):
            raise JobTakenOver

    heartbeat = _Heartbeat(mine) if _in_a_worker() else None
    try:
        produced = work(job, report)
    except JobTakenOver:
        logger.warning("Job %s (%s): another run took it over, this one stops", job.pk, job.kind)
        return job
    except DomainError as error:
        return _finish(job, mine, Job.Status.FAILED, str(error.message))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            mine,
            Job.Status.FAILED,
            _("Erreur interne : l'équipe technique est prévenue.") + "\n" + traceback.format_exc(limit=3),
        )
        raise
    finally:
        if heartbeat:
            heartbeat.stop()
    if isinstance(produced, str):
        return _finish(job, mine, Job.Status.DONE, produced)
    return _finish(job, mine, Job.Status.DONE, "", produced)


def _claim(job_id: int) -> Job | None:
    """The job, now held by this run; None when it is finished, or held by a live run."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.status == Job.Status.RUNNING and not run_is_dead(job, now):
            logger.info("Job %s is held by a live run (%s): this delivery leaves it", job.pk, job.worker)
            return None
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            _give_up(job, now)
            return None
        job.attempts += 1
        job.status, job.progress, job.heartbeat_at, job.worker = Job.Status.RUNNING, 0, now, _this_process()
        job.message = "" if job.attempts == 1 else _resumed_message(job.attempts)
        job.save(update_fields=["attempts", "status", "progress", "heartbeat_at", "worker", "message"])
    return job


def _finish(job: Job, mine, status: str, message: str, produced=None) -> Job:
    """Write the outcome, if the job is still this run's. A failed job keeps the progress it reached."""
    fields = {"status": status, "message": message, "finished_at": timezone.now()}
    if status == Job.Status.DONE:
        fields["progress"] = 100
    if produced:
        filename, content = produced
        job.result.save(filename, ContentFile(content), save=False)
        fields["result"] = job.result.name
    with transaction.atomic():
        if not mine.update(**fields):
            logger.warning("Job %s: another run took it over, this run's outcome is dropped", job.pk)
            job.refresh_from_db()
            return job
        job.refresh_from_db()
        if status == Job.Status.FAILED:
            _failed(job)
    return job


def _in_a_worker() -> bool:
    """True in a Celery worker; False when the task runs in the caller's process (embedded setup)
    or ``run_job`` is called directly: there, no one else could take the job over."""
    from celery import current_task

    return bool(current_task) and not current_task.request.is_eager


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Heartbeat:
    """Writes the run's heartbeat every JOB_HEARTBEAT_SECONDS from a thread (with its own database
    connection) until stopped; it dies with the process, which is the point."""

    def __init__(self, mine):
        self._mine = mine
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self):
        try:
            while not self._stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    if not self._mine.update(heartbeat_at=timezone.now()):
                        return  # taken over or finished: the next report stops the work
                except DatabaseError:  # a missed beat is not a death; the next one may pass
                    logger.warning("Job heartbeat not written", exc_info=True)
        finally:
            connection.close()

    def stop(self):
        self._stopped.set()
        self._thread.join()


# --- Liveness and the sweeper -------------------------------------------------------------------


def run_is_dead(job: Job, now=None) -> bool:
    """Whether the run that holds a running job has died: no heartbeat for JOB_STALE_SECONDS, or
    (seen from the host it ran on) its process is gone."""
    now = now or timezone.now()
    if job.heartbeat_at is None or job.heartbeat_at < now - timedelta(seconds=settings.JOB_STALE_SECONDS):
        return True
    host, _colon, pid = job.worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _process_exists(int(pid))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _resumed_message(attempt: int) -> str:
    return _("Reprise après l'arrêt inattendu du traitement (essai %(attempt)s sur %(max)s).") % {
        "attempt": attempt,
        "max": settings.JOB_MAX_ATTEMPTS,
    }


def _give_up(job: Job, now) -> None:
    """Fail a job whose runs kept dying (or that no task can run again), saying so."""
    if job.task:
        message = _(
            "Le traitement a été interrompu %(count)s fois (le processus qui l'exécutait s'est arrêté, "
            "par exemple faute de mémoire) : il est abandonné. Relancez la demande ; si cela se répète, "
            "prévenez l'équipe technique."
        ) % {"count": job.attempts}
    else:
        message = _("Le traitement a été interrompu et ne peut pas être repris automatiquement : relancez la demande.")
    job.status, job.message, job.finished_at = Job.Status.FAILED, message, now
    job.save(update_fields=["status", "message", "finished_at"])
    _failed(job)
    logger.error("Job %s (%s) given up after %s interrupted run(s)", job.pk, job.kind, job.attempts)


def sweep_jobs(now=None) -> dict:
    """Re-queue the running jobs whose run died (or fail them past JOB_MAX_ATTEMPTS), and send
    again the pending jobs whose message was not taken within JOB_REQUEUE_SECONDS. Safe to run
    at any time, and twice at once (rows are taken with SKIP LOCKED)."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    running = Job.objects.filter(status=Job.Status.RUNNING)
    # A process gone is seen only from its own host: the sweeper waits for the heartbeat to age.
    for job_id in running.filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True)).values_list("pk", flat=True):
        outcome = _sweep_dead_run(job_id, now)
        if outcome:
            counts[outcome] += 1
    waited = now - timedelta(seconds=settings.JOB_REQUEUE_SECONDS)
    pending = Job.objects.filter(status=Job.Status.PENDING).filter(
        Q(queued_at__lt=waited) | Q(queued_at__isnull=True, created_at__lt=waited)
    )
    for job_id in pending.values_list("pk", flat=True):
        outcome = _sweep_pending(job_id, now)
        if outcome:
            counts[outcome] += 1
    if any(counts.values()):
        logger.warning("Jobs swept: %s", counts)
    return counts


def _sweep_dead_run(job_id: int, now) -> str | None:
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id, status=Job.Status.RUNNING).first()
        if job is None or not run_is_dead(job, now):
            return None
        if not job.task or job.attempts >= settings.JOB_MAX_ATTEMPTS:
            _give_up(job, now)
            return "failed"
        job.status, job.worker = Job.Status.PENDING, ""
        job.message = _("Le traitement s'est arrêté inopinément : il reprend (essai %(attempt)s sur %(max)s).") % {
            "attempt": job.attempts + 1,
            "max": settings.JOB_MAX_ATTEMPTS,
        }
        job.save(update_fields=["status", "worker", "message"])
        transaction.on_commit(lambda: queue_job(job.pk))
    logger.warning("Job %s (%s): its run died, re-queued", job.pk, job.kind)
    return "requeued"


def _sweep_pending(job_id: int, now) -> str | None:
    with transaction.atomic():
        job = Job.objects.select_for_update(skip_locked=True).filter(pk=job_id, status=Job.Status.PENDING).first()
        if job is None:
            return None
        if not job.task:
            _give_up(job, now)
            return "failed"
        job.queued_at = now
        job.save(update_fields=["queued_at"])
        transaction.on_commit(lambda: queue_job(job.pk))
    return "resent"

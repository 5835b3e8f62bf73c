"""Background jobs with progress: create the row, hand its id to a Celery task, and let the task
report progress through ``run_job``. The page that started the job polls it (lmb.job_views)."""

import logging
import traceback

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import Job

logger = logging.getLogger(__name__)


def create_job(*, kind: str, title: str, user=None, parameters=None) -> Job:
    return Job.objects.create(kind=kind, title=title, created_by=user, parameters=parameters or {})


def run_job(job_id: int, work) -> Job:
    """Run ``work(job, report)`` for a job. ``report(percent, message="")`` saves progress;
    ``work`` returns ``(filename, bytes)`` for the result file, or None. A failure is kept on the
    job with its reason (a DomainError's message as is; anything else as an internal error)."""
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job  # a retried or duplicated task does the work once
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=0)

    def report(percent, message=""):
        Job.objects.filter(pk=job.pk).update(progress=max(0, min(100, int(percent))), message=message)

    try:
        produced = work(job, report)
    except DomainError as error:
        return _finish(job, Job.Status.FAILED, str(error.message))
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job, Job.Status.FAILED, _("Erreur interne : l'équipe technique est prévenue.") + "\n" + traceback.format_exc(limit=3)
        )
        raise
    if produced:
        filename, content = produced
        job.result.save(filename, ContentFile(content), save=False)
    return _finish(job, Job.Status.DONE, "")


def _finish(job: Job, status: str, message: str) -> Job:
    job.status = status
    job.message = message
    job.progress = 100 if status == Job.Status.DONE else job.progress
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "progress", "finished_at", "result"])
    return job

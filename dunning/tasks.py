"""Celery tasks of dunning: thin wrappers around the services, safe to run twice."""

from celery import shared_task

from lmb.jobs import JOB_TASK_OPTIONS, run_job

from . import pdfs, services


@shared_task(acks_late=True)
def run_reminders() -> str:
    """The daily run of reminders (Celery beat, 07:00 Europe/Paris): each customer's next step due
    today or earlier, queued « à valider » or sent at once (``dunning.services.run_reminders``).
    Run twice, or from two workers at once, it makes and sends each reminder once."""
    made = services.run_reminders()
    return f"{len(made)} relance(s)"


@shared_task(**JOB_TASK_OPTIONS)
def print_reminders(job_id: int) -> None:
    """One PDF of the selected reminders' letters (``dunning.pdfs.print_work``)."""
    run_job(job_id, pdfs.print_work)

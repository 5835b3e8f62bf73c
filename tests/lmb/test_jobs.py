"""Background jobs survive their worker: a run that died is taken over (by the message Celery puts
back, or by the sweeper), at most JOB_MAX_ATTEMPTS runs, then the job fails saying why; a message
that was lost is sent again; a message delivered twice does the work once. Tasks run in-process
here; tests/integration/test_worker_kill.py kills real workers."""

import socket
from collections import defaultdict
from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from lmb import jobs
from lmb.errors import DomainError
from lmb.jobs import JOB_TASK_OPTIONS, run_job, start_job, sweep_jobs
from lmb.models import Job
from tests.helpers import a_dead_process_id

pytestmark = pytest.mark.django_db

runs = []  # (job id, attempt) of each run of the task below that did the work


def note_work(job, report):
    report(50, "à moitié")
    runs.append((job.pk, job.attempts))


@shared_task(name="tests.lmb.test_jobs.note_job", **JOB_TASK_OPTIONS)
def note_job(job_id):
    run_job(job_id, note_work)


@pytest.fixture(autouse=True)
def _runs():
    runs.clear()
    yield
    runs.clear()


def started_job(django_capture_on_commit_callbacks, **fields) -> Job:
    """A job whose message was sent (and not run), then set as the test says."""
    with django_capture_on_commit_callbacks(execute=False):
        job = start_job(kind="note", title="Note", task=note_job.name)
    Job.objects.filter(pk=job.pk).update(**{"queued_at": timezone.now(), **fields})
    job.refresh_from_db()
    return job


def long_ago(seconds):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_job_whose_worker_died_is_requeued_by_the_sweeper_and_done(settings, django_capture_on_commit_callbacks):
    dead = started_job(
        django_capture_on_commit_callbacks,
        status=Job.Status.RUNNING,
        attempts=1,
        heartbeat_at=long_ago(settings.JOB_STALE_SECONDS + 1),
        worker="another-host:4242",
    )
    alive = started_job(
        django_capture_on_commit_callbacks,
        status=Job.Status.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now(),
        worker="another-host:4343",
    )

    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert sweep_jobs() == {"requeued": 1, "failed": 0, "resent": 0}

    assert len(sent) == 1  # the dead one only: a live run is left alone
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.progress, dead.message) == (Job.Status.DONE, 2, 100, "")
    assert runs == [(dead.pk, 2)]
    alive.refresh_from_db()
    assert (alive.status, alive.attempts) == (Job.Status.RUNNING, 1)


def test_the_sweeper_says_the_job_resumes_until_it_runs(settings, django_capture_on_commit_callbacks):
    dead = started_job(django_capture_on_commit_callbacks, status=Job.Status.RUNNING, attempts=1, heartbeat_at=None, worker="h:1")
    with django_capture_on_commit_callbacks(execute=False):
        sweep_jobs()
    dead.refresh_from_db()
    assert dead.status == Job.Status.PENDING
    assert dead.message == "Le traitement s'est arrêté inopinément : il reprend (essai 2 sur 3)."


@pytest.mark.parametrize(
    ("attempts", "task"), [(3, "tests.lmb.test_jobs.note_job"), (1, "")], ids=["past its attempts", "no task"]
)
def test_a_job_that_cannot_go_on_fails_with_a_message(settings, django_capture_on_commit_callbacks, attempts, task):
    job = started_job(
        django_capture_on_commit_callbacks,
        status=Job.Status.RUNNING,
        attempts=attempts,
        heartbeat_at=long_ago(settings.JOB_STALE_SECONDS + 1),
        task=task,
    )
    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert sweep_jobs()["failed"] == 1
    job.refresh_from_db()
    assert not sent and job.status == Job.Status.FAILED and job.finished_at is not None and runs == []
    if task:
        assert job.message.startswith("Le traitement a été interrompu 3 fois (le processus qui l'exécutait s'est arrêté")
        assert "Relancez la demande" in job.message
    else:
        assert job.message == "Le traitement a été interrompu et ne peut pas être repris automatiquement : relancez la demande."


def test_a_message_put_back_after_its_worker_process_died_takes_the_job_over(django_capture_on_commit_callbacks):
    """What Celery's task_reject_on_worker_lost does: the same message comes back at once, while
    the heartbeat is still fresh; the run on the same host sees the old process gone."""
    job = started_job(
        django_capture_on_commit_callbacks,
        status=Job.Status.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now(),
        worker=f"{socket.gethostname()}:{a_dead_process_id()}",
    )
    note_job.delay(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, runs) == (Job.Status.DONE, 2, [(job.pk, 2)])


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Job.Status.DONE},
        {"status": Job.Status.FAILED},
        {"status": Job.Status.RUNNING, "attempts": 1, "heartbeat_at": timezone.now, "worker": "this"},
    ],
    ids=["done", "failed", "held by a live run"],
)
def test_a_message_delivered_twice_does_the_work_once(django_capture_on_commit_callbacks, fields):
    fields = {name: value() if callable(value) else value for name, value in fields.items()}
    if fields.get("worker") == "this":
        fields["worker"] = jobs._this_process()  # this process lives
    job = started_job(django_capture_on_commit_callbacks, **fields)
    note_job.delay(job.pk)
    job.refresh_from_db()
    assert runs == [] and job.status == fields["status"] and job.attempts == fields.get("attempts", 0)


def test_a_run_that_came_back_after_being_taken_over_writes_nothing(django_capture_on_commit_callbacks):
    job = started_job(django_capture_on_commit_callbacks)

    def work(job, report):
        report(10)
        # Meanwhile, the sweeper declared this run dead and another run took the job.
        Job.objects.filter(pk=job.pk).update(attempts=2, progress=30, message="l'autre")
        report(60, "celui-ci")
        runs.append("after the takeover")

    run_job(job.pk, work)
    job.refresh_from_db()
    assert runs == [] and (job.status, job.attempts, job.progress, job.message) == (Job.Status.RUNNING, 2, 30, "l'autre")


def test_every_failure_of_a_job_is_heard_by_the_listeners_of_its_kind_and_a_failing_listener_changes_nothing(
    settings, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setattr(jobs, "_failure_listeners", defaultdict(list))
    heard = []
    jobs.on_failure("note", lambda job: heard.append((job.pk, job.status, job.message.partition("\n")[0])))
    jobs.on_failure("note", broken_listener)

    given_up = started_job(django_capture_on_commit_callbacks, status=Job.Status.RUNNING, attempts=1, task="")
    with django_capture_on_commit_callbacks(execute=True):
        sweep_jobs()
    refused, broken, taken_over = (started_job(django_capture_on_commit_callbacks) for _ in range(3))
    run_job(refused.pk, refusing_work)
    with pytest.raises(RuntimeError):
        run_job(broken.pk, broken_work)
    run_job(taken_over.pk, taken_over_work)  # its successor holds the job: no failure

    assert heard == [
        (
            given_up.pk,
            Job.Status.FAILED,
            "Le traitement a été interrompu et ne peut pas être repris automatiquement : relancez la demande.",
        ),
        (refused.pk, Job.Status.FAILED, "Refusé."),
        (broken.pk, Job.Status.FAILED, "Erreur interne : l'équipe technique est prévenue."),
    ]
    assert set(Job.objects.filter(status=Job.Status.FAILED).values_list("pk", flat=True)) == {given_up.pk, refused.pk, broken.pk}
    assert caplog.text.count("a failure listener failed") == 3
    assert not Job.objects.filter(message="written, then undone").exists()  # a listener's savepoint


def broken_listener(job):
    Job.objects.filter(pk=job.pk).update(message="written, then undone")
    raise RuntimeError("a bug in a listener")


def refusing_work(job, report):
    raise DomainError("Refusé.")


def broken_work(job, report):
    raise RuntimeError("a bug")


def taken_over_work(job, report):
    Job.objects.filter(pk=job.pk).update(attempts=2)
    report(50)


def test_a_pending_job_whose_message_was_lost_is_sent_again(settings, django_capture_on_commit_callbacks):
    lost = started_job(django_capture_on_commit_callbacks, queued_at=long_ago(settings.JOB_REQUEUE_SECONDS + 1))
    waiting = started_job(django_capture_on_commit_callbacks)  # sent just now: its turn will come

    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert sweep_jobs() == {"requeued": 0, "failed": 0, "resent": 1}

    assert len(sent) == 1 and runs == [(lost.pk, 1)]
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == Job.Status.DONE and waiting.status == Job.Status.PENDING


def test_a_job_queued_while_the_broker_was_down_is_sent_once_it_is_back(
    settings, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(kind="note", title="Note", task=note_job.name)
    job.refresh_from_db()
    assert job.status == Job.Status.PENDING and "ne répond pas" in job.message
    broker_down.back()

    with django_capture_on_commit_callbacks(execute=True):
        sweep_jobs(now=timezone.now() + timedelta(seconds=settings.JOB_REQUEUE_SECONDS + 1))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and runs == [(job.pk, 1)]


def test_beat_sweeps_the_jobs_every_minute():
    sweeper = PeriodicTask.objects.get(task="lmb.tasks.sweep_jobs")
    assert sweeper.enabled and (sweeper.interval.every, sweeper.interval.period) == (1, "minutes")

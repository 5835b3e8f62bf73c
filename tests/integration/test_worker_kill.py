"""A real Celery worker, started as a separate process on the test database and a queue private to
the test, is killed with SIGKILL in the middle of a job (what the OOM killer does): the job is
done anyway, within a bounded time — by the message Celery puts back when a worker process dies,
or, when the whole worker died, by the sweeper that Celery beat runs in the new worker. A job
whose runs keep being killed fails past its attempts, saying so.

The worker runs ``tests.integration.worker_settings`` (a heartbeat every second, a run seen dead
after 3 s) and imports ``tests.integration.slow_job``, whose runs wait to be killed."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from lmb.celery import app
from lmb.jobs import start_job
from lmb.models import Job
from tests.integration.slow_job import slow_job

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds, for each thing awaited

pytestmark = [
    pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker"),
    pytest.mark.skipif(sys.platform != "linux", reason="kills processes by signal"),
]


class Workers:
    """Celery workers of one test, each a process (and its children) in a session of its own."""

    def __init__(self, queue: str, folder: Path):
        self.queue, self.folder, self.processes = queue, folder, []

    def start(self, *, beat: bool = False) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "lmb", "worker", "--pool=prefork", "--concurrency=1"]
        command += ["-Q", self.queue, "-n", f"{self.queue}-{len(self.processes)}@%h", "-I", "tests.integration.slow_job"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO"]
        if beat:
            command.append("--beat")
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "LMB_TEST_DATABASE": connection.settings_dict["NAME"],
            "LMB_TEST_QUEUE": self.queue,
            "LMB_TEST_MEDIA_ROOT": settings.MEDIA_ROOT,
        }
        log = open(self.folder / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115 (kept open by the process)
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL to the worker and every process it started."""
        with contextlib.suppress(ProcessLookupError):  # gone already
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(TIMEOUT)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.folder.glob("worker-*.log")))

    def logs_in_full(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def workers(settings, tmp_path):
    """Send tasks to a queue of this test only; kill its workers and clear its messages at the end."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    queue = f"lmb-test-{uuid.uuid4().hex}"
    private = {"broker_url": REDIS_URL, "task_always_eager": False, "task_default_queue": queue}
    saved = {key: app.conf[key] for key in private}
    app.conf.update(private)
    app._pool = app.amqp._producer_pool = None  # connections for the broker of the test run
    # Beat, when a worker runs it, runs the job sweeper every second and nothing else.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.exclude(task="lmb.tasks.sweep_jobs").update(enabled=False)
    PeriodicTask.objects.filter(task="lmb.tasks.sweep_jobs").update(interval=every_second, enabled=True)
    team = Workers(queue, tmp_path)
    try:
        yield team
    finally:
        for process in team.processes:
            team.kill(process)
        app.conf.update(saved)
        app._pool = app.amqp._producer_pool = None
        forget_queue(queue)


def forget_queue(queue: str) -> None:
    """Leave nothing of the test's queue on the broker, not even a killed worker's unacknowledged
    message (Redis would hand it out again after the visibility timeout)."""
    broker = redis.Redis.from_url(REDIS_URL)
    for tag, payload in broker.hgetall("unacked").items():
        if json.loads(payload)[2] == queue:  # [message, exchange, routing key]
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)
    broker.delete(*broker.keys(f"*{queue}*") or [queue])


def wait_for(job: Job, condition, what: str, workers: Workers) -> Job:
    """Poll the job's row (the workers write it from their own connections) until ``condition``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if condition(job):
            return job
        time.sleep(0.1)
    pytest.fail(f"{what}: not after {TIMEOUT} s ({job.status}, {job.attempts} run(s), {job.message!r})\n{workers.logs()}")


def running_attempt(attempt: int):
    return lambda job: job.status == Job.Status.RUNNING and job.attempts == attempt and job.message.startswith("pid=")


def run_pid(job: Job) -> int:
    return int(re.fullmatch(r"pid=(\d+)", job.message).group(1))


def started(runs_to_kill: int) -> Job:
    return start_job(kind="test", title="Lente", task=slow_job.name, parameters={"runs_to_kill": runs_to_kill})


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_job_has_its_job_done_by_the_next_one(workers):
    workers.start()
    job = wait_for(started(runs_to_kill=1), running_attempt(1), "first run", workers)

    os.kill(run_pid(job), signal.SIGKILL)  # the worker's child process, as the OOM killer does

    job = wait_for(job, lambda job: job.is_finished, "the job after the kill", workers)
    assert (job.status, job.attempts, job.progress) == (Job.Status.DONE, 2, 100), job.message
    with job.result.open("rb") as handle:
        assert handle.read() == b"fini au passage 2"


@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_job_has_its_job_done_after_a_restart(workers):
    first = workers.start()
    job = wait_for(started(runs_to_kill=1), running_attempt(1), "first run", workers)

    workers.kill(first)  # the worker and its children: its message stays unacknowledged in Redis
    workers.start(beat=True)  # the sweeper sees the run dead (3 s without a heartbeat) and re-queues it

    job = wait_for(job, lambda job: job.is_finished, "the job after the restart", workers)
    assert (job.status, job.attempts) == (Job.Status.DONE, 2), job.message


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_runs_keep_being_killed_fails_past_its_attempts_saying_so(workers):
    workers.start()
    job = started(runs_to_kill=99)
    for attempt in range(1, settings.JOB_MAX_ATTEMPTS + 1):
        job = wait_for(job, running_attempt(attempt), f"run {attempt}", workers)
        os.kill(run_pid(job), signal.SIGKILL)

    job = wait_for(job, lambda job: job.is_finished, "the job after its last run", workers)
    assert (job.status, job.attempts) == (Job.Status.FAILED, settings.JOB_MAX_ATTEMPTS)
    assert job.message.startswith("Le traitement a été interrompu 3 fois (le processus qui l'exécutait s'est arrêté")

"""Tasks run by a real Celery worker against the Redis broker (REDIS_URL), as in production.

The worker runs in a thread of the test process and consumes only a queue named for this test
run, so it never takes messages meant for another worker (or another test run) on the same Redis.
"""

import os
import subprocess
import threading
import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from lmb.celery import app
from lmb.models import Job
from stock import labels
from tests.factories import ProductFactory

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker")

TIMEOUT = 60  # seconds


@pytest.fixture
def celery_worker(settings, tmp_path):
    """A worker on the Redis broker consuming a private queue; tasks are sent, not run eagerly."""
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the worker thread shares the test's settings
    queue = f"lmb-test-{uuid.uuid4().hex}"
    private = {
        "broker_url": REDIS_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "worker_enable_remote_control": False,  # no broadcast (pidbox) queue shared with other workers
        "worker_hijack_root_logger": False,
    }
    saved = {key: app.conf[key] for key in private}
    app.conf.update(private)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        broker = redis.Redis.from_url(REDIS_URL)  # leave nothing of this queue behind on the broker
        broker.delete(*broker.keys(f"*{queue}*") or [queue])


def wait_until_finished(job: Job) -> Job:
    """Poll the job's row (the worker writes it from its own connection) until it ends."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"Job {job.pk} not finished after {TIMEOUT} s: {job.status} {job.progress} % {job.message!r}")


def decode_pdf(pdf: bytes, folder) -> list[str]:
    (folder / "labels.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(folder / "labels.pdf"), str(folder / "page")], check=True)
    codes = []
    for page in sorted(folder.glob("page-*.png")):
        run = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True)
        assert run.returncode in (0, 4), run.stderr
        codes += run.stdout.split()
    return codes


@pytest.mark.django_db(transaction=True)
def test_label_job_is_done_by_a_real_worker(celery_worker, make_user, tmp_path):
    first, second = ProductFactory(designation="Théière fonte"), ProductFactory(designation="Bol breton")
    user = make_user("warehouse")

    runs = []

    def record(sender, task_id, task, args, **kwargs):
        delivery = task.request.delivery_info or {}
        runs.append((task.name, args, task.request.is_eager, delivery.get("routing_key"), threading.get_ident()))

    task_postrun.connect(record, weak=False)
    try:
        job = labels.start_label_job(items=[(first, 2), (second, 1)], layout="roll-57x32", user=user)
        job = wait_until_finished(job)
    finally:
        task_postrun.disconnect(record)

    # Run once by the worker, from a message of the test's own queue, not in the test's thread.
    [(name, args, eager, queue, thread)] = runs
    assert (name, args, eager, queue) == ("stock.tasks.render_labels", [job.pk], False, app.conf.task_default_queue)
    assert queue.startswith("lmb-test-") and thread != threading.get_ident()
    assert job.status == Job.Status.DONE, job.message
    assert job.progress == 100 and job.result.name.endswith(".pdf")
    with job.result.open("rb") as handle:
        pdf = handle.read()
    assert decode_pdf(pdf, tmp_path) == [first.ean13, first.ean13, second.ean13]  # one page per label

"""A job slow enough to be killed mid-work, for test_worker_kill.py (the worker process imports
this module with ``--include``). A run reports its process id, then, while it is one of the
first ``runs_to_kill`` runs of the job, waits to be killed; a later run finishes at once."""

import os
import time

from celery import shared_task

from lmb.jobs import JOB_TASK_OPTIONS, run_job


def wait_to_be_killed(job, report):
    report(10, f"pid={os.getpid()}")
    if job.attempts <= job.parameters["runs_to_kill"]:
        while True:  # in the worker, not in the test: the test kills this process
            time.sleep(0.1)
    return "fini.txt", f"fini au passage {job.attempts}".encode()


@shared_task(name="tests.integration.slow_job.slow_job", **JOB_TASK_OPTIONS)
def slow_job(job_id: int) -> None:
    run_job(job_id, wait_to_be_killed)

"""Settings of a Celery worker started as a separate process by test_worker_kill.py: the project's,
on the test run's database (named by the test through LMB_TEST_DATABASE), consuming only a queue
private to the test (LMB_TEST_QUEUE), with a heartbeat every second so that a killed run is seen
dead after 3 s instead of 30, and a beat loop that wakes every second."""

import os

from lmb.settings import *  # noqa: F403
from lmb.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["LMB_TEST_DATABASE"]
MEDIA_ROOT = os.environ["LMB_TEST_MEDIA_ROOT"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["LMB_TEST_QUEUE"]
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # no broadcast (pidbox) queue shared with other workers
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
JOB_HEARTBEAT_SECONDS = 1
JOB_STALE_SECONDS = 3
# How long a worker waits for a result from a process that died before it calls it lost (and puts
# the message back): 10 s by default, for a process that may have finished just before dying.
CELERY_WORKER_LOST_WAIT = 1

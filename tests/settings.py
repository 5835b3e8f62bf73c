"""Settings of the test run: the project's, with Celery tasks run in-process (a test that needs a
real worker switches this off itself, see tests/integration)."""

from lmb.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True

"""Test-run defaults, set before Django loads its settings: tasks run in-process unless a test
starts a real worker, and the browser tests may call the ORM next to Playwright's event loop."""

import os

os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

"""Settings of the test run: the project's, with Celery tasks run in-process (a test that needs a
real worker switches this off itself, see tests/integration)."""

import os
from urllib.parse import urlsplit, urlunsplit

from lmb.settings import *  # noqa: F403
from lmb.settings import CACHES, REDIS_URL

CELERY_TASK_ALWAYS_EAGER = True
# Tasks run eagerly here: rendering a Factur-X (~0.5 s) at every issued invoice would slow down
# every test that issues one. The tests of that path switch it on (tests/sales/test_issued_pdf_on_issue.py).
ISSUED_PDF_ON_ISSUE = False
# The PrestaShop stand-in listens on 127.0.0.1: the tests allow the shop's client to call it
# (production refuses local and private addresses, see connectors/prestashop/client.py).
PRESTASHOP_ALLOW_PRIVATE_ADDRESSES = True


def _cache_db(url: str, worker: str) -> str:
    """Each test clears the cache, a Redis FLUSHDB. The cache therefore never shares its Redis
    database with the broker (the real-worker tests keep their queues and unacknowledged messages
    there), and under pytest-xdist every worker process has one of its own: the databases below
    the broker's (15 → 14, 13…), so one worker's clearing never wipes another's login-throttling
    counters or a worker test's queue mid-test."""
    parts = urlsplit(url)
    broker = int(parts.path.strip("/") or 0)
    offset = 1 + int(worker.removeprefix("gw") or 0)
    db = broker - offset if broker >= offset else broker + offset
    return urlunsplit(parts._replace(path=f"/{db}"))


if REDIS_URL:
    CACHES["default"]["LOCATION"] = _cache_db(REDIS_URL, os.environ.get("PYTEST_XDIST_WORKER", ""))

"""The WSGI application gunicorn serves (``lmb.wsgi:application``, see the Dockerfile)."""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lmb.settings")
application = get_wsgi_application()


def freeze_loaded_objects():
    """Load every view the URLs name, then put what is loaded out of the garbage collector's sight.

    The code, models, URL patterns and the libraries' tables (fontTools, openpyxl…) are some
    230,000 objects that live as long as the worker. Python's full collection walks them all:
    every dozen requests or so a worker stopped 80–90 ms in the middle of one (bench/lists.py:
    that pause was the p95 of most lists). Frozen, they are left out: the full collection walks
    what the requests made since, about 20 ms."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — importing the URL modules imports their views
    gc.collect()
    gc.freeze()


# Python's own rhythm: a full collection after every 10 collections of the middle generation.
FULL_COLLECTION_EVERY = 10
# A request still collects in full by itself after this many (an export of 100,000 rows), so a
# long one does not hold its garbage until it ends.
FULL_COLLECTION_WITHIN_A_REQUEST = 100


def collect_between_requests():
    """Move Python's full garbage collection from the middle of a request to just after one.

    A list request leaves some 5,000 objects in reference cycles (an invoice and its prefetched
    lines point to each other), old enough to wait for the full collection: every ten requests
    or so, it freed some 50,000 objects in 25–75 ms inside whichever request was running — the
    p95 of the API's lists (bench/lists.py: p50 43 ms, p95 110–200). The collection is as
    frequent as before, and as long, but it runs in ``request_finished``, which the server sends
    once it has written the response (gunicorn closes the response after sending its body)."""
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_WITHIN_A_REQUEST)
    request_finished.connect(collect_if_due, dispatch_uid="lmb.wsgi.collect_if_due")


def collect_if_due(**kwargs):
    if gc.get_count()[2] >= FULL_COLLECTION_EVERY:
        gc.collect()


freeze_loaded_objects()
collect_between_requests()

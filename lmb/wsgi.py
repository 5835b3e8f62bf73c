"""The WSGI application gunicorn serves (``lmb.wsgi:application``, see the Dockerfile)."""

import gc
import os

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


freeze_loaded_objects()

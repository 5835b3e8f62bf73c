"""The worker gunicorn starts freezes what it loaded, so full garbage collections stay short."""

import json
import os
import subprocess
import sys

from django.conf import settings


def test_the_wsgi_module_loads_the_views_and_freezes_them():
    probe = (
        "import gc, json, sys; import lmb.wsgi; "
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'views': 'sales.views.lists' in sys.modules}))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lmb.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["views"]  # the URLs' views were imported before the freeze
    assert loaded["frozen"] > 50_000  # Django and the apps' objects, out of the collector's walk


def test_the_full_collection_waits_for_the_end_of_a_request():
    """Garbage old enough for the full collection is freed once a response is finished, when
    Python would have collected it by then; not in the middle of the next request."""
    probe = """
import gc, json, weakref
import lmb.wsgi
from django.core.signals import request_finished

class Node:
    pass

def old_cycle():
    node = Node(); node.itself = node
    return node

def finish_a_request():
    request_finished.send(sender=None)

report = {"threshold": gc.get_threshold()[2], "every": lmb.wsgi.FULL_COLLECTION_EVERY}
gc.collect()
node = old_cycle(); watched = weakref.ref(node)
gc.collect(1)  # the cycle is old now: only a full collection frees it
del node
finish_a_request()  # one middle-generation collection since the last full one: not due
report["kept_when_not_due"] = watched() is not None
node = old_cycle(); watched = weakref.ref(node)
for _ in range(lmb.wsgi.FULL_COLLECTION_EVERY):
    gc.collect(1)
del node
report["kept_until_the_request_ends"] = watched() is not None
finish_a_request()
report["freed_after_it"] = watched() is None
report["count_after"] = gc.get_count()[2]
print(json.dumps(report))
"""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "lmb.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["threshold"] > report["every"]  # Python alone no longer starts it at Python's rhythm
    assert report["kept_when_not_due"]
    assert report["kept_until_the_request_ends"]
    assert report["freed_after_it"]
    assert report["count_after"] == 0

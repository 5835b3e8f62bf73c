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

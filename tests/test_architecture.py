"""The import-linter contracts (run by `make lint`) only see the packages they list: every app
of the project must be listed, or an upward import from a new app would pass CI unseen."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings


def test_every_project_app_is_checked_by_import_linter():
    base = Path(settings.BASE_DIR).resolve()
    config = tomllib.loads((base / "pyproject.toml").read_text())["tool"]["importlinter"]
    project_apps = {app.name for app in apps.get_app_configs() if Path(app.path).resolve().parent == base}
    assert project_apps == set(config["root_packages"])
    # Each app that some other app may not import is named in a contract.
    forbidden = {module for contract in config["contracts"] for module in contract["forbidden_modules"]}
    assert forbidden == project_apps - {"lmb"}

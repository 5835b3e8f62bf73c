"""The import-linter contracts (run by `make lint`) only see the packages they list: every app
of the project must be listed, or an upward import from a new app would pass CI unseen."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings


def test_every_project_app_is_checked_by_import_linter():
    base = Path(settings.BASE_DIR).resolve()
    config = tomllib.loads((base / "pyproject.toml").read_text())["tool"]["importlinter"]
    project_apps = {_top_package(Path(app.path).resolve(), base) for app in apps.get_app_configs()} - {None}
    assert project_apps == set(config["root_packages"])
    # Each app that some other app may not import is named in a contract.
    forbidden = {module for contract in config["contracts"] for module in contract["forbidden_modules"]}
    assert forbidden == project_apps - {"lmb"}


def _top_package(app_path: Path, base: Path) -> str | None:
    """The project's top-level package holding the app (``connectors`` for connectors.prestashop);
    None for an app installed from a registry (in site-packages, even under the project's .venv)."""
    if not app_path.is_relative_to(base) or "site-packages" in app_path.parts:
        return None
    return app_path.relative_to(base).parts[0]

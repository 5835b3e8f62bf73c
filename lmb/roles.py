"""Roles are auth groups, created by a migration of ``lmb``. Each app grants its own permissions
to the roles in one of its migrations, with ``grant`` (so a new app never edits another's), and
takes them back with ``revoke``."""

from fnmatch import fnmatchcase

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "administrator"
SALES = "sales"
WAREHOUSE = "warehouse"
ACCOUNTANT = "accountant"
CUSTOMER_SERVICE = "customer_service"

ROLE_LABELS = {
    ADMINISTRATOR: _("Administrateur"),
    SALES: _("Ventes"),
    WAREHOUSE: _("Entrepôt"),
    ACCOUNTANT: _("Comptable"),
    CUSTOMER_SERVICE: _("Service client"),
}


def _ensure_permissions(apps):
    """Permissions are normally created after migrate; a data migration needs them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _matching(apps, patterns: list[str]) -> list:
    permission_model = apps.get_model("auth", "Permission")
    return [
        permission
        for permission in permission_model.objects.select_related("content_type")
        if any(fnmatchcase(f"{permission.content_type.app_label}.{permission.codename}", p) for p in patterns)
    ]


def grant(apps, grants: dict[str, list[str]]):
    """Give each role the permissions matching its patterns, e.g. ``"catalog.view_*"``,
    ``"crm.*"`` or ``"crm.add_contact"``. For use in ``migrations.RunPython``."""
    _ensure_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    for role, patterns in grants.items():
        group, _created = group_model.objects.get_or_create(name=role)
        group.permissions.add(*_matching(apps, patterns))


def revoke(apps, grants: dict[str, list[str]]):
    """Take back from each role the permissions matching its patterns (as in ``grant``)."""
    group_model = apps.get_model("auth", "Group")
    for role, patterns in grants.items():
        group = group_model.objects.filter(name=role).first()
        if group is not None:
            group.permissions.remove(*_matching(apps, patterns))


def user_roles(user) -> list[str]:
    return [ROLE_LABELS.get(name, name) for name in user.groups.values_list("name", flat=True)]

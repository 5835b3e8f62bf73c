from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Dashboards and analyses of sales and purchases (issue #19): reads every app, writes to none
    of them (DESIGN §1–2); its own tables are a read model rebuilt from theirs."""

    name = "stats"
    verbose_name = _("Statistiques")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Dashboards and analyses of sales and purchases (issue #19): reads every app, writes to none
    of them (DESIGN §1–2); its own tables are a read model rebuilt from theirs."""

    name = "stats"
    verbose_name = _("Statistiques")

    def ready(self):
        from lmb.views import register_dashboard_panel

        from .dashboard_panels import PANELS

        # The home dashboard: each trade sees the panels of its trade (lmb.views.register_dashboard_panel).
        for template_name, permission, context, order, roles, width in PANELS:
            register_dashboard_panel(
                template_name=template_name, permission=permission, context=context, order=order, roles=roles, width=width
            )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Dashboards and analyses of sales and purchases (issue #19): reads every app, writes to none
    of them (DESIGN §1–2); its own tables are a read model rebuilt from theirs."""

    name = "stats"
    verbose_name = _("Statistiques")

    def ready(self):
        # The read model follows the sales as they happen (after each commit); whatever an event
        # misses, refresh_facts (Celery beat) adds minutes later.
        from lmb import events
        from lmb.navigation import register_menu_item, register_section
        from lmb.views import register_dashboard_panel

        from . import services
        from .dashboard_panels import PANELS

        register_section(key="stats", label=_("Statistiques"), icon="bar-chart", order=35)
        register_menu_item(section="stats", label=_("Analyses"), url_name="stats:analysis", order=20)

        events.subscribe(events.INVOICE_ISSUED, services.record_invoice)
        events.subscribe(events.CREDIT_NOTE_ISSUED, services.record_credit_note)
        events.subscribe(events.ORDER_CONFIRMED, services.record_order)
        events.subscribe(events.ORDER_CANCELLED, services.forget_order)

        # The home dashboard: each trade sees the panels of its trade (lmb.views.register_dashboard_panel).
        for template_name, permission, context, order, roles, width in PANELS:
            register_dashboard_panel(
                template_name=template_name, permission=permission, context=context, order=order, roles=roles, width=width
            )

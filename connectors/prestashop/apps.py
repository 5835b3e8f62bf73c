from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrestashopConfig(AppConfig):
    name = "connectors.prestashop"
    label = "prestashop"
    verbose_name = _("Connecteur PrestaShop")

    def ready(self):
        """Listen to what sales and stock announce: each fact owed to a shop becomes a push in
        the outbox (after the business transaction has committed) and a task sends it."""
        from lmb import events, roles
        from lmb.navigation import register_menu_item, register_section
        from lmb.views import register_dashboard_panel

        from . import services, views

        register_section(key="prestashop", label=_("PrestaShop"), icon="globe", order=70)
        register_menu_item(section="prestashop", label=_("Boutiques PrestaShop"), url_name="prestashop:channel_list")
        events.subscribe(events.DELIVERY_NOTE_SHIPPED, services.on_delivery_note_shipped)
        events.subscribe(events.INVOICE_ISSUED, services.on_invoice_issued)
        events.subscribe(events.CREDIT_NOTE_ISSUED, services.on_credit_note_issued)
        events.subscribe(events.ORDER_CANCELLED, services.on_order_cancelled)
        events.subscribe(events.STOCK_MOVED, services.on_stock_moved)
        # The home dashboard: web orders waiting or in the error queue, for the trades that handle them.
        register_dashboard_panel(
            template_name="prestashop/_dashboard_panel.html",
            permission=views.PERMISSION,
            context=views.dashboard_panel,
            order=25,
            roles=(roles.ADMINISTRATOR, roles.SALES, roles.CUSTOMER_SERVICE),
            width="col-md-6 col-xl-4",
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Ventes")

    def ready(self):
        from crm import timeline
        from lmb import demo, events
        from lmb.context_processors import register_menu_item

        from . import mailing, tasks
        from .demo import seed_sales
        from .timeline import sales_timeline

        demo.register_step("sales", seed_sales, order=50)  # after purchasing (40) and stock life (45): goods in stock

        register_menu_item(label=_("Caisse"), url_name="sales:counter", permission="sales.add_order", icon="shop", order=14)
        register_menu_item(label=_("Ventes"), url_name="sales:order_list", permission="sales.view_order", icon="cart3", order=15)
        register_menu_item(
            label=_("Factures"), url_name="sales:invoice_list", permission="sales.view_invoice", icon="receipt", order=16
        )
        timeline.register_provider(sales_timeline)
        mailing.register()
        # The Factur-X of an issued document is made by a worker at once, not on first download.
        events.subscribe(events.INVOICE_ISSUED, tasks.on_invoice_issued)
        events.subscribe(events.CREDIT_NOTE_ISSUED, tasks.on_credit_note_issued)

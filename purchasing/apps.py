from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Achats")

    def ready(self):
        from catalog import panels
        from lmb import demo
        from lmb.navigation import register_menu_item, register_section

        from . import mailing
        from .demo import seed_purchasing

        demo.register_step("purchasing", seed_purchasing, order=40)

        register_section(key="purchasing", label=_("Achats"), icon="truck", order=40)
        for order, (label, url_name) in enumerate(
            [
                (_("Commandes fournisseurs"), "purchasing:order_list"),
                (_("Réceptions"), "purchasing:reception_list"),
                (_("Factures fournisseurs"), "purchasing:invoice_list"),
                (_("Réassort"), "purchasing:replenishment"),
            ]
        ):
            register_menu_item(section="purchasing", label=label, url_name=url_name, order=order)
        panels.register(
            template_name="purchasing/_product_panel.html",
            permission="purchasing.view_supplierprice",
            context=lambda request, product: {"product": product, "prices": product.supplier_prices.select_related("supplier")},
            order=20,
        )
        mailing.register()

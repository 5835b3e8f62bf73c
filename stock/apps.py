from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "stock"
    verbose_name = _("Stock")

    def ready(self):
        from catalog import panels
        from lmb import demo
        from lmb.navigation import register_menu_item, register_section

        from . import queries
        from .demo import seed_stock_life, seed_warehouses

        demo.register_step("warehouses", seed_warehouses, order=35)
        demo.register_step("stock-life", seed_stock_life, order=45)

        register_section(key="stock", label=_("Stock"), icon="boxes", order=30)
        for order, (label, url_name) in enumerate(
            [
                (_("Niveaux"), "stock:level_list"),
                (_("Mouvements"), "stock:move_list"),
                (_("Sortie"), "stock:exit"),
                (_("Transfert"), "stock:transfer"),
                (_("Inventaires"), "stock:inventory_list"),
                (_("Dépôts"), "stock:warehouse_list"),
                (_("Valorisation"), "stock:valuation"),
                (_("Étiquettes"), "stock:label_create"),
            ]
        ):
            register_menu_item(section="stock", label=label, url_name=url_name, order=order)
        panels.register(
            template_name="stock/_product_panel.html",
            permission="stock.view_stocklevel",
            context=lambda request, product: {"product": product, "levels": queries.levels().filter(product=product)},
            order=10,
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from lmb import demo, imports, search
        from lmb.context_processors import register_menu_item

        from .demo import seed_catalog
        from .importers import ProductImporter
        from .search import ProductSearch

        register_menu_item(
            label=_("Produits"), url_name="catalog:product_list", permission="catalog.view_product", icon="box-seam", order=10
        )
        register_menu_item(
            label=_("Catégories"),
            url_name="catalog:category_list",
            permission="catalog.view_category",
            icon="diagram-3",
            order=11,
        )
        register_menu_item(
            label=_("Tarifs"), url_name="catalog:pricelist_list", permission="catalog.view_pricelist", icon="tags", order=12
        )
        demo.register_step("catalog", seed_catalog, order=20)
        register_menu_item(
            label=_("TVA"), url_name="catalog:vatrate_list", permission="catalog.view_vatrate", icon="percent", order=13
        )
        search.register_provider(ProductSearch())
        imports.register(ProductImporter())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrestashopConfig(AppConfig):
    name = "connectors.prestashop"
    label = "prestashop"
    verbose_name = _("Connecteur PrestaShop")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = _("Relances")

    def ready(self):
        from lmb import demo

        from .demo import seed_dunning

        demo.register_step("dunning", seed_dunning, order=70)  # after sales (50) and accounting (60): invoices to chase

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = _("Relances")

    def ready(self):
        from . import mailing

        mailing.register()  # reminders e-mailed through crm's mailing, their PDF attached

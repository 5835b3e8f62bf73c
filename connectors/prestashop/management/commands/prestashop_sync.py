"""``prestashop_sync NAME [--full]``: import what the shop changed since the last run (or all)."""

from django.core.management.base import BaseCommand, CommandError

from lmb.formats import decimal_fr

from ... import services
from ...client import WebserviceError
from ...models import ShopChannel


class Command(BaseCommand):
    help = "Importe les commandes d'une boutique PrestaShop."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--full", action="store_true", help="Tout relire, pas seulement depuis le dernier passage")

    def handle(self, *args, name, full, **options):
        channel = ShopChannel.objects.filter(name=name).first()
        if channel is None:
            raise CommandError(f"Aucune boutique « {name} » (manage.py prestashop_channel list).")
        try:
            run = services.sync_channel(channel, trigger="command", full=full)
        except WebserviceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{decimal_fr(run.read)} lues, {decimal_fr(run.created)} créées, {decimal_fr(run.unchanged)} inchangées, "
            f"{decimal_fr(run.failed)} en erreur" + (" (voir la file des erreurs)" if run.failed else "")
        )

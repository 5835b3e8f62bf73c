"""Manage PrestaShop shops: ``prestashop_channel add --name NAME --url URL --api-key KEY``,
``prestashop_channel list``. The webhook secret is printed once, for the shop's module."""

from django.core.management.base import BaseCommand, CommandError

from lmb.errors import DomainError
from stock.models import Warehouse

from ... import services
from ...models import ShopChannel


class Command(BaseCommand):
    help = "Ajoute ou liste les boutiques PrestaShop."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Ajouter une boutique")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True, help="Racine de la boutique (sans /api/)")
        add.add_argument("--api-key", required=True, help="Clé du webservice (32 caractères)")
        add.add_argument("--id-shop", type=int, default=None, help="id_shop en multiboutique")
        add.add_argument("--warehouse", default="", help="Code du dépôt d'expédition")
        actions.add_parser("list", help="Lister les boutiques")

    def handle(self, *args, action, **options):
        if action == "list":
            for channel in ShopChannel.objects.order_by("name"):
                self.stdout.write(
                    f"{channel.name}\t{channel.base_url}\tclé {channel.api_key_display}\t{channel.poll_cursor or '-'}"
                )
            return
        warehouse = None
        if options["warehouse"]:
            warehouse = Warehouse.objects.filter(code=options["warehouse"]).first()
            if warehouse is None:
                raise CommandError(f"--warehouse : aucun dépôt {options['warehouse']}.")
        try:
            channel, secret = services.add_channel(
                name=options["name"],
                base_url=options["url"],
                api_key=options["api_key"],
                id_shop=options["id_shop"],
                warehouse=warehouse,
            )
        except DomainError as error:
            raise CommandError(f"{error.field or 'erreur'} : {error.message}") from error
        self.stdout.write(self.style.SUCCESS(f"Boutique {channel.name} ajoutée (clé …{channel.api_key_hint})."))
        self.stdout.write(f"Webhook : /connectors/prestashop/{channel.name}/webhook/")
        self.stdout.write(f"Secret du webhook (à saisir dans le module, affiché une seule fois) : {secret}")

"""Recompute stock levels and valuations from the ledger and report every difference."""

import sys

from django.core.management.base import BaseCommand

from catalog.models import Product
from lmb.formats import decimal_fr
from stock import queries, services
from stock.models import Warehouse


class Command(BaseCommand):
    help = (
        "Recalcule les niveaux de stock (physique, réservé) et la valorisation (quantité, PMP) à partir du "
        "journal des mouvements et signale chaque écart ; code de sortie 1 s'il y en a. --fix corrige le cache."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="corrige les niveaux et la valorisation mis en cache")

    def handle(self, *args, fix=False, **options):
        levels = queries.level_differences()
        valuations, bad_moves = queries.valuation_differences()
        references = dict(Product.objects.values_list("pk", "reference"))
        warehouses = dict(Warehouse.objects.values_list("pk", "code"))
        for difference in levels + valuations:
            where = f" @ {warehouses.get(difference.warehouse_id)}" if difference.warehouse_id else ""
            self.stdout.write(
                f"{references.get(difference.product_id, difference.product_id)}{where} {difference.field} : "
                f"cache {decimal_fr(difference.cached)} ≠ journal {decimal_fr(difference.ledger)}"
            )
        for product_id, move_id in bad_moves:
            self.stdout.write(
                f"{references.get(product_id, product_id)} : le mouvement {move_id} porte un stock ou un PMP "
                "différent du recalcul (journal modifié hors application ?)"
            )
        problems = len(levels) + len(valuations) + len(bad_moves)
        if not problems:
            self.stdout.write(self.style.SUCCESS("Aucun écart : les niveaux et la valorisation suivent le journal."))
            return
        if fix:
            corrected = services.fix_caches(levels, valuations)
            self.stdout.write(self.style.WARNING(f"{corrected} valeur(s) du cache corrigée(s)."))
            if bad_moves:
                self.stdout.write(self.style.ERROR("Les mouvements incohérents ne se corrigent pas : ils sont immuables."))
        self.stdout.write(self.style.ERROR(f"{problems} écart(s) trouvé(s)."))
        sys.exit(1)

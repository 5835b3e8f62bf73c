"""Compare the issued invoices still owed (``OpenInvoice``, the « Impayées » filter's cache) with
their allocations and report every difference."""

import sys

from django.core.management.base import BaseCommand

from lmb.formats import money_fr
from sales import queries
from sales.models import Invoice
from sales.services.payments import fix_open_invoices


class Command(BaseCommand):
    help = (
        "Recalcule le reste dû des factures émises à partir des règlements et avoirs affectés, le compare à celui "
        "mis en cache pour le filtre « Impayées » et signale chaque écart ; code de sortie 1 s'il y en a. "
        "--fix corrige le cache."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="corrige le reste dû mis en cache")

    def handle(self, *args, fix=False, **options):
        differences = queries.open_invoice_differences()
        numbers = dict(Invoice.objects.filter(pk__in=[pk for pk, _kept, _owed in differences]).values_list("pk", "number"))
        for pk, kept, owed in differences:
            self.stdout.write(f"{numbers.get(pk) or pk} : cache {money_fr(kept)} ≠ affectations {money_fr(owed)}")
        if not differences:
            self.stdout.write(self.style.SUCCESS("Aucun écart : le reste dû en cache suit les affectations."))
            return
        if fix:
            self.stdout.write(self.style.WARNING(f"{fix_open_invoices(differences)} facture(s) corrigée(s)."))
        self.stdout.write(self.style.ERROR(f"{len(differences)} écart(s) trouvé(s)."))
        sys.exit(1)

"""Empty the analyses' read model and build it again from the documents."""

import time

from django.core.management.base import BaseCommand

from stats import services


class Command(BaseCommand):
    help = "Reconstruit les tables de faits des statistiques (ventes, commandes, achats) depuis les documents."

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Ajoute seulement les faits manquants, sans vider.")

    def handle(self, *args, missing=False, **options):
        started = time.monotonic()
        report = services.refresh_facts() if missing else services.rebuild_facts()
        self.stdout.write(f"{report} en {time.monotonic() - started:.1f} s")

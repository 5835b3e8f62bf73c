"""Verify the hash chain of issued invoices and credit notes (inalterability, NUM-03)."""

import sys

from django.core.management.base import BaseCommand

from sales import chain


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne d'empreintes des factures et avoirs émis et signale le premier maillon rompu "
        "(document modifié ou supprimé hors de l'application) ; code de sortie 1 s'il y en a un."
    )

    def handle(self, *args, **options):
        checked, broken = chain.verify()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"Chaîne intègre : {checked} document(s) émis vérifié(s)."))
            return
        self.stdout.write(
            self.style.ERROR(
                f"Maillon rompu en position {broken.position} ({broken.document}) : {broken.reason}. "
                f"{checked} document(s) vérifié(s) avant lui."
            )
        )
        sys.exit(1)

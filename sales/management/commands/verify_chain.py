"""Verify the hash chains: issued invoices and credit notes (inalterability, NUM-03), the till's
event log and its closures (POS-02)."""

import sys

from django.core.management.base import BaseCommand

from sales import chain
from sales.till import chain as till_chain


class Command(BaseCommand):
    help = (
        "Vérifie la chaîne d'empreintes des factures et avoirs émis, du journal des événements de caisse et des "
        "clôtures de caisse, et signale le premier maillon rompu de chacune (enregistrement modifié ou supprimé "
        "hors de l'application) ; code de sortie 1 s'il y en a un."
    )

    def handle(self, *args, **options):
        broken = False
        checked, link = chain.verify()
        if link is None:
            self.stdout.write(self.style.SUCCESS(f"Chaîne intègre : {checked} document(s) émis vérifié(s)."))
        else:
            broken = True
            self.stdout.write(
                self.style.ERROR(
                    f"Maillon rompu en position {link.position} ({link.document}) : {link.reason}. "
                    f"{checked} document(s) vérifié(s) avant lui."
                )
            )
        for label, verify in (
            ("journal des événements de caisse", till_chain.verify_events),
            ("clôtures de caisse", till_chain.verify_closures),
        ):
            checked, link = verify()
            if link is None:
                self.stdout.write(self.style.SUCCESS(f"{label.capitalize()} intègre : {checked} enregistrement(s) vérifié(s)."))
            else:
                broken = True
                self.stdout.write(
                    self.style.ERROR(
                        f"{label.capitalize()} : maillon rompu en position {link.position} : {link.reason}. "
                        f"{checked} enregistrement(s) vérifié(s) avant lui."
                    )
                )
        if broken:
            sys.exit(1)

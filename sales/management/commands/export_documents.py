"""Write the issued documents of a period to a folder: each stored PDF, plus ``index.csv`` with
number, date, customer, totals and the PDF's SHA-256 (the archive an accountant or an auditor
asks for, NUM-04)."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lmb.errors import DomainError
from lmb.formats import decimal_fr
from sales import output


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"« {value} » n'est pas une date AAAA-MM-JJ.") from None


class Command(BaseCommand):
    help = "Exporte les PDF des documents émis d'une période et leur index (CSV avec empreintes SHA-256)."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=sorted(output.ARCHIVE_KINDS))
        parser.add_argument("--from", dest="date_from", required=True, type=_day, help="AAAA-MM-JJ (inclus)")
        parser.add_argument("--to", dest="date_to", required=True, type=_day, help="AAAA-MM-JJ (inclus)")
        parser.add_argument("--output", required=True, type=Path, help="dossier de destination")

    def handle(self, *args, kind, date_from, date_to, **options):
        folder = options["output"]
        try:
            count = output.export_to_folder(kind=kind, date_from=date_from, date_to=date_to, output=folder)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"{decimal_fr(count)} document(s) exporté(s) dans {folder} (index : {folder / 'index.csv'})")

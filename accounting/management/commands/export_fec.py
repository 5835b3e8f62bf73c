"""manage.py export_fec --year 2025 --output /tmp: book what is pending, write the FEC of the
fiscal year closing in that year, and check it against the format's rules."""

import os

from django.core.management.base import BaseCommand, CommandError

from accounting import fec, fec_check, services
from accounting.models import FiscalYear
from lmb.formats import decimal_fr
from lmb.services import get_company


class Command(BaseCommand):
    help = "Exporte le FEC de l'exercice clos dans l'année donnée, et le contrôle."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="année de clôture de l'exercice")
        parser.add_argument("--output", required=True, help="dossier où écrire SIRENFECAAAAMMJJ.txt")

    def handle(self, *args, year, output, **options):
        if not os.path.isdir(output):
            raise CommandError(f"--output : le dossier {output} n'existe pas.")
        company = get_company()
        if company is None or not company.siren:
            raise CommandError("Renseignez d'abord le SIREN de l'entreprise.")
        report = services.post_pending()
        self.stdout.write(f"Comptabilisation avant l'export : {report}.")
        if report.errors:
            self.stderr.write("Documents non comptabilisés (absents du FEC tant qu'ils ne le sont pas) :")
            for error in report.errors:
                self.stderr.write(f"  - {error}")
        try:
            fiscal_year = fec.fiscal_year_of(year)
        except FiscalYear.DoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        path = fec.export(fiscal_year, output, siren=company.siren)
        checked = fec_check.check_export(path, fiscal_year, company.siren)
        self.stdout.write(
            f"FEC de l'exercice du {fiscal_year.start:%d/%m/%Y} au {fiscal_year.end:%d/%m/%Y} : {path}\n"
            f"{decimal_fr(checked.lines)} ligne(s), {decimal_fr(checked.entries)} écriture(s)"
        )
        if not checked.ok:
            listed = len(checked.problems)
            self.stderr.write("Problèmes trouvés" + (f" ({decimal_fr(listed)} premiers) :" if checked.found > listed else " :"))
            for problem in checked.problems:
                self.stderr.write(f"  - {problem}")
            raise CommandError(f"Le FEC ne passe pas les contrôles ({decimal_fr(checked.found)} problème(s)).")
        self.stdout.write(self.style.SUCCESS("Contrôles du format : OK"))

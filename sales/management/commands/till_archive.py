"""Export the signed archive of a closed till period, or verify one (POS-02 « archivage »)."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from lmb.errors import DomainError
from sales.till import archive
from sales.till.models import Closure


class Command(BaseCommand):
    help = (
        "Exporte l'archive signée d'une période clôturée d'une caisse (--closure N --user identifiant --output fichier.zip), "
        "ou vérifie une archive (--verify fichier.zip) ; code de sortie 1 si elle est altérée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--closure", type=int, help="numéro (id) de la clôture à archiver")
        parser.add_argument("--user", help="identifiant de l'utilisateur qui archive")
        parser.add_argument("--output", type=Path, help="fichier ZIP à écrire")
        parser.add_argument("--verify", type=Path, help="fichier ZIP à vérifier")

    def handle(self, *args, **options):
        if options["verify"]:
            return self._verify(options["verify"])
        if not (options["closure"] and options["user"] and options["output"]):
            raise CommandError("Indiquez --closure, --user et --output, ou --verify.")
        closure = Closure.objects.filter(pk=options["closure"]).first()
        user = get_user_model().objects.filter(username=options["user"]).first()
        if closure is None or user is None:
            raise CommandError("Clôture ou utilisateur inconnu.")
        try:
            data = archive.build(closure, user=user)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        options["output"].write_bytes(data)
        self.stdout.write(f"Archive écrite : {options['output']} ({len(data)} octets).")

    def _verify(self, path: Path):
        result = archive.verify(path.read_bytes())
        if result.ok:
            manifest = result.manifest
            self.stdout.write(
                self.style.SUCCESS(
                    f"Archive intègre : caisse {manifest['register']['code']}, "
                    f"du {manifest['period_start']} au {manifest['period_end']}."
                )
            )
            return
        for problem in result.problems:
            self.stdout.write(self.style.ERROR(problem))
        sys.exit(1)

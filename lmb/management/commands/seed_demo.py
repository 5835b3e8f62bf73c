"""Load a realistic French shop into an empty database (used by ``make demo``)."""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from lmb import demo
from lmb.demo_users import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Charge des données de démonstration réalistes (boutique française) dans une base vide."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="graine du générateur aléatoire")

    def handle(self, *args, seed, **options):
        if get_user_model().objects.filter(username=DEMO_USERS[0][0]).exists():
            self.stdout.write("Les données de démonstration sont déjà chargées.")
        else:
            context = {"random": random.Random(seed)}
            with transaction.atomic():
                for step in demo.steps():
                    self.stdout.write(f"- {step.run(context)}")
            self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write(f"Identifiants de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for username, role_label, _groups, _superuser in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role_label}")

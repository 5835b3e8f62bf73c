"""The default reminder plans of fr-rules §6 (consumer, business, public buyer) and the
late-penalty rates of the semesters 2024–2026 (PAY-03, PAY-08).

Sources of the rates (checked December 2026):
- ECB main refinancing operations rate, in force on 1 January / 1 July (ECB, "Key ECB interest
  rates", ecb.europa.eu): 4.50 % from 20/09/2023, 4.25 % from 12/06/2024, 3.15 % from 18/12/2024,
  2.15 % from 11/06/2025, unchanged at the meetings up to February 2026.
- Taux de l'intérêt légal, "autres cas" (professional creditors), arrêtés of 21/12/2023,
  26/06/2024, December 2024 (date not checked), 19/06/2025 and 15/12/2025 (JO): 5.07 %, 4.92 %, 3.71 % (1st half 2025),
  2.76 %, 2.62 %.
The second half of 2026 is not seeded: its legal rate could not be checked when this was
written. Enter it in the settings (a semester without a rate uses the previous one's).
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

ECB = "BCE, taux des opérations principales de refinancement ; arrêté {arrete} (taux de l’intérêt légal)"
RATES = [
    (date(2024, 1, 1), "4.50", "5.07", "du 21/12/2023"),
    (date(2024, 7, 1), "4.25", "4.92", "du 26/06/2024"),
    (date(2025, 1, 1), "3.15", "3.71", "de décembre 2024"),
    (date(2025, 7, 1), "2.15", "2.76", "du 19/06/2025"),
    (date(2026, 1, 1), "2.15", "2.62", "du 15/12/2025"),
]

FRIENDLY_BODY = (
    "Bonjour,\n\n"
    "Sauf erreur de notre part, le règlement des factures ci-dessous, arrivées à échéance, ne nous est pas encore parvenu :\n\n"
    "{items}\n\n"
    "Montant restant dû : {amount_due}.\n\n"
    "Il s'agit peut-être d'un simple oubli : nous vous remercions de bien vouloir procéder au règlement "
    "dès que possible. Si votre paiement a croisé ce message, merci de ne pas en tenir compte.\n\n"
    "Nous restons à votre disposition pour toute question.\n\n"
    "Bien cordialement,\n{company}"
)
SECOND_BODY = (
    "Bonjour,\n\n"
    "Notre précédent courrier du {previous_date} est resté sans réponse, et les factures suivantes demeurent impayées :\n\n"
    "{items}\n\n"
    "Montant restant dû : {amount_due}.\n"
    "{penalties_line}"
    "Nous vous remercions de régulariser votre situation dans les meilleurs délais, ou de nous contacter "
    "si une difficulté vous en empêche : nous chercherons ensemble une solution.\n\n"
    "Bien cordialement,\n{company}"
)
NOTICE_BODY = (
    "Madame, Monsieur,\n\n"
    "Malgré nos relances des {previous_dates}, les factures suivantes restent impayées :\n\n"
    "{items}\n\n"
    "Montant restant dû : {amount_due}.\n"
    "{penalties_line}"
    "Total réclamé : {total}.\n\n"
    "Par la présente, nous vous mettons en demeure de nous régler la somme de {total} au plus tard le {deadline}. "
    "À défaut, nous engagerons sans autre avis les procédures de recouvrement prévues par la loi "
    "(injonction de payer), dont les frais resteraient à votre charge.\n\n"
    "Veuillez agréer, Madame, Monsieur, nos salutations distinguées.\n\n{company}"
)

# (position, name, delay, channel, penalties, indemnity, deadline, subject, body)
PLANS = {
    "consumer": (
        "Particuliers",
        [
            (1, "Relance amicale", 7, "email", False, False, 0, "Rappel : facture en attente de règlement", FRIENDLY_BODY),
            (2, "Deuxième relance", 14, "letter", False, False, 0, "Deuxième rappel : factures impayées", SECOND_BODY),
            (3, "Mise en demeure", 14, "registered_letter", False, False, 15, "Mise en demeure de payer", NOTICE_BODY),
        ],
    ),
    "business": (
        "Entreprises",
        [
            (1, "Relance amicale", 5, "email", False, False, 0, "Rappel : facture en attente de règlement", FRIENDLY_BODY),
            (2, "Deuxième relance", 10, "email", True, True, 0, "Deuxième rappel : factures impayées", SECOND_BODY),
            (3, "Mise en demeure", 10, "registered_letter", True, True, 8, "Mise en demeure de payer", NOTICE_BODY),
        ],
    ),
    "public": (
        "Acheteurs publics",
        [
            (1, "Relance amicale", 5, "email", False, False, 0, "Rappel : facture en attente de mandatement", FRIENDLY_BODY),
            (2, "Deuxième relance", 15, "letter", True, True, 0, "Deuxième rappel : factures impayées", SECOND_BODY),
            (
                3,
                "Réclamation des intérêts moratoires",
                15,
                "registered_letter",
                True,
                True,
                15,
                "Mise en demeure de payer",
                NOTICE_BODY,
            ),
        ],
    ),
}


def seed(apps, schema_editor):
    ReminderPlan = apps.get_model("dunning", "ReminderPlan")
    ReminderStep = apps.get_model("dunning", "ReminderStep")
    PenaltyRate = apps.get_model("dunning", "PenaltyRate")
    for category, (name, steps) in PLANS.items():
        plan = ReminderPlan.objects.create(name=name, customer_category=category)
        for position, step_name, delay, channel, penalties, indemnity, deadline, subject, body in steps:
            ReminderStep.objects.create(
                plan=plan,
                position=position,
                name=step_name,
                delay_days=delay,
                channel=channel,
                show_penalties=penalties,
                show_indemnity=indemnity,
                payment_deadline_days=deadline,
                subject=subject,
                body=body,
            )
    for start, ecb, legal, arrete in RATES:
        PenaltyRate.objects.create(
            start=start,
            ecb_rate=Decimal(ecb),
            points=Decimal(10),
            public_points=Decimal(8),
            legal_interest_rate=Decimal(legal),
            source=ECB.format(arrete=arrete),
        )


def unseed(apps, schema_editor):
    apps.get_model("dunning", "ReminderStep").objects.all().delete()
    apps.get_model("dunning", "ReminderPlan").objects.all().delete()
    apps.get_model("dunning", "PenaltyRate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("dunning", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

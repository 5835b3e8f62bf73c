from datetime import date

from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant

# The texts printed on documents (fr-rules INV-10 to INV-14). Dated: when the CGI articles are
# renumbered into the CIBS, a new row with its valid_from takes over without touching old documents.
LEGAL_MENTIONS = {
    "exemption_intra_eu": "Exonération de TVA, article 262 ter I du CGI (livraison intracommunautaire).",
    "exemption_export": "Exonération de TVA, article 262 I du CGI (exportation).",
    "exemption_overseas": "Exonération de TVA, articles 262 I et 294-2 du CGI (expédition vers un département d'outre-mer).",
    "reverse_charge": "Autoliquidation : TVA due par le preneur (article 283-2 du CGI, article 196 de la directive 2006/112/CE).",
    "franchise": "TVA non applicable, art. 293 B du CGI.",
    "out_of_scope": "Opération hors du champ de la TVA française (article 259-1° du CGI).",
    "oss": "TVA du pays de destination, déclarée au guichet unique (OSS).",
    "late_penalties": "En cas de retard de paiement, pénalités au taux annuel de {rate} %, exigibles dès le lendemain de l'échéance.",
    "recovery_indemnity": "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.",
}

CHANNELS = [
    ("COMPTOIR", "Comptoir", "counter", True),
    ("TELEPHONE", "Téléphone", "phone", True),
    ("PRO", "Professionnels", "b2b", False),
]


def seed(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["sales.*"],
            SALES: [
                "sales.view_*",
                "sales.add_*",
                "sales.change_*",
                "sales.delete_quote",
                "sales.delete_quoteline",
                "sales.delete_orderline",
                "sales.delete_invoiceline",
                "sales.delete_creditnoteline",
            ],
            WAREHOUSE: [
                "sales.view_order",
                "sales.view_orderline",
                "sales.view_deliverynote",
                "sales.view_deliverynoteline",
                "sales.add_deliverynote",
                "sales.change_deliverynote",
                "sales.change_deliverynoteline",
                "sales.view_channel",
            ],
            ACCOUNTANT: ["sales.view_*"],
            CUSTOMER_SERVICE: [
                "sales.view_*",
                "sales.add_creditnote",
                "sales.change_creditnote",
                "sales.add_creditnoteline",
                "sales.change_creditnoteline",
                "sales.add_documentevent",
            ],
        },
    )
    mention = apps.get_model("sales", "LegalMention")
    for code, text in LEGAL_MENTIONS.items():
        mention.objects.get_or_create(code=code, valid_from=date(2000, 1, 1), defaults={"text": text})
    channel = apps.get_model("sales", "Channel")
    for code, name, kind, prices_include_tax in CHANNELS:
        channel.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "prices_include_tax": prices_include_tax})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

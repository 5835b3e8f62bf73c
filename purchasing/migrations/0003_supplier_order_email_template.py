from django.db import migrations

SUBJECT = "Commande {number} — {company}"
BODY = (
    "Bonjour,\n\nVeuillez trouver ci-joint notre commande {number} d'un montant de {total} HT, "
    "à livrer à notre dépôt {warehouse}.\nLivraison souhaitée : {expected_date}.\n"
    "Merci de nous confirmer la commande et son délai de livraison.\n\nCordialement,\n{company}"
)


def default_email_template(apps, schema_editor):
    EmailTemplate = apps.get_model("crm", "EmailTemplate")
    EmailTemplate.objects.get_or_create(document_type="supplier_order", defaults={"subject": SUBJECT, "body": BODY})


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0002_roles"), ("crm", "0004_email_templates")]

    operations = [migrations.RunPython(default_email_template, migrations.RunPython.noop)]

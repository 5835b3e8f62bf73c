"""A shop's settings (its address, key, mappings) and the connection test belong to administrators:
whoever may change the address could send the stored key to a server of theirs. Sales keep
syncing and retrying pushes (``sync_shopchannel``, which only talks to the stored address) and
work the error queue (``change_importissue``). Labels in French for the sync cursor and origin."""

from django.db import migrations, models

from lmb.roles import ADMINISTRATOR, SALES, grant, revoke


def admin_only_settings(apps, schema_editor):
    revoke(apps, {SALES: ["prestashop.change_shopchannel"]})
    grant(apps, {ADMINISTRATOR: ["prestashop.sync_shopchannel"], SALES: ["prestashop.sync_shopchannel"]})


def sales_edit_again(apps, schema_editor):
    grant(apps, {SALES: ["prestashop.change_shopchannel"]})


class Migration(migrations.Migration):
    dependencies = [("prestashop", "0004_carriers_and_tax_rules")]

    operations = [
        migrations.AlterModelOptions(
            name="shopchannel",
            options={
                "ordering": ["name"],
                "permissions": [("sync_shopchannel", "Peut synchroniser une boutique et relancer ses envois")],
                "verbose_name": "boutique PrestaShop",
                "verbose_name_plural": "boutiques PrestaShop",
            },
        ),
        migrations.AlterField(
            model_name="shopchannel",
            name="states",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Action LMB (expédiée, facturée, annulée, remboursée) → id d'état PrestaShop.",
                verbose_name="états PrestaShop",
            ),
        ),
        migrations.AlterField(
            model_name="shopchannel",
            name="poll_cursor",
            field=models.CharField(blank=True, max_length=19, verbose_name="dernière mise à jour lue"),
        ),
        migrations.AlterField(
            model_name="syncrun",
            name="trigger",
            field=models.CharField(
                choices=[("poll", "Automatique"), ("manual", "Synchroniser maintenant"), ("command", "Commande")],
                max_length=20,
                verbose_name="origine",
            ),
        ),
        migrations.RunPython(admin_only_settings, sales_edit_again),
    ]

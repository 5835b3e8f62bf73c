"""Imports keep their rows one per ImportRow (a file of 100,000 rows is no longer one JSON cell),
count them, and may be checked and written by a background job."""

import django.db.models.deletion
from django.db import migrations, models


def rows_to_import_rows(apps, schema_editor):
    """Each import's rows and errors, from the JSON cells to one ImportRow per row."""
    ImportJob = apps.get_model("lmb", "ImportJob")
    ImportRow = apps.get_model("lmb", "ImportRow")
    for job in ImportJob.objects.iterator(chunk_size=100):
        errors = {}
        for error in job.errors or []:
            errors.setdefault(error["row"], []).append({"column": error["column"], "message": error["message"]})
        imported = job.status == "done"
        ImportRow.objects.bulk_create(
            ImportRow(
                import_job=job,
                number=row["row"],
                values=row["values"],
                errors=errors.get(row["row"], []),
                state="rejected" if row["row"] in errors else ("imported" if imported else "valid"),
            )
            for row in job.old_rows or []
        )
        job.row_count = len(job.old_rows or [])
        job.rejected_count = len([row for row in job.old_rows or [] if row["row"] in errors])
        job.save(update_fields=["row_count", "rejected_count"])


def import_rows_to_rows(apps, schema_editor):
    """Back: each import's rows and errors into its JSON cells, as the code before kept them. An
    import that code cannot carry on (being checked or written by a job, or failed) is cancelled:
    confirming it there would write again the rows a job already wrote."""
    ImportJob = apps.get_model("lmb", "ImportJob")
    ImportRow = apps.get_model("lmb", "ImportRow")
    for job in ImportJob.objects.iterator(chunk_size=100):
        rows = ImportRow.objects.filter(import_job=job).order_by("number").values_list("number", "values", "errors")
        job.old_rows, job.errors = [], []
        for number, values, errors in rows.iterator(chunk_size=2000):
            job.old_rows.append({"row": number, "values": values})
            job.errors.extend({"row": number, **error} for error in errors)
        if job.status not in ("preview", "done", "cancelled"):
            job.status = "cancelled"
        job.save(update_fields=["old_rows", "errors", "status"])


class Migration(migrations.Migration):
    dependencies = [
        ("lmb", "0011_workers_sweep_jobs_schedule"),
    ]

    operations = [
        # The old JSON column is renamed first: the new rows take its name as their related name.
        migrations.RenameField(model_name="importjob", old_name="rows", new_name="old_rows"),
        migrations.AddField(
            model_name="importjob",
            name="file",
            field=models.FileField(
                blank=True, help_text="kept for the worker", upload_to="imports/%Y/%m/", verbose_name="fichier envoyé"
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="job",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="lmb.job"
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="message",
            field=models.TextField(blank=True, help_text="why the file could not be read", verbose_name="message"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="rejected_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importjob",
            name="row_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("checking", "Vérification en cours"),
                    ("preview", "Aperçu"),
                    ("importing", "Import en cours"),
                    ("done", "Importé"),
                    ("cancelled", "Annulé"),
                    ("failed", "Échec"),
                ],
                default="preview",
                max_length=20,
                verbose_name="statut",
            ),
        ),
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(help_text="the row number the user sees in the file")),
                ("values", models.JSONField(default=dict, help_text="{column name: cell text}")),
                ("errors", models.JSONField(default=list, help_text="[{column, message}]")),
                (
                    "state",
                    models.CharField(
                        choices=[("valid", "Valide"), ("rejected", "Rejetée"), ("imported", "Importée")],
                        default="valid",
                        max_length=10,
                    ),
                ),
                (
                    "import_job",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rows", to="lmb.importjob"),
                ),
            ],
            options={
                "ordering": ["number"],
                "indexes": [models.Index(fields=["import_job", "state", "number"], name="lmb_importrow_state")],
                "constraints": [models.UniqueConstraint(fields=("import_job", "number"), name="lmb_importrow_unique_number")],
            },
        ),
        migrations.RunPython(rows_to_import_rows, import_rows_to_rows),
    ]

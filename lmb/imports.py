"""Spreadsheet imports: read a file, show every bad row, write only when the user confirms.

Apps register an ``Importer`` (in their ``AppConfig.ready()``); this module keeps the flow:
``preview_import`` reads and checks the file and stores an ``ImportJob`` and its ``ImportRow``s
(nothing else is written); ``confirm_import`` checks the valid rows again against the data as it
is now and writes them; rejected rows stay on the job, downloadable with their reasons.

Any file gets an answer: what cannot be read is refused with the reason (``lmb.spreadsheets``),
rows are checked and written in batches (one database look-up per batch), and a large file is
checked, then written, by a background job whose progress the import page shows.
"""

import logging
import os
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DomainError, InvalidInput, TransitionNotAllowed
from .formats import decimal_fr
from .jobs import start_job
from .models import ImportJob, ImportRow, Job
from .spreadsheets import Table, UnreadableFile, open_table

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportColumn:
    name: str  # the key in the row dict, and an accepted header
    label: str  # the French header we document and accept
    required: bool = False
    help: str = ""
    aliases: tuple = ()  # other accepted headers, e.g. those of the list's own export


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class CheckedRows:
    """The outcome of checking rows: the valid ones (ready to write) and one error per problem."""

    valid: list = field(default_factory=list)  # [(row number, cleaned data)]
    errors: list[RowError] = field(default_factory=list)


class Importer:
    """What an app provides to import one kind of object from a spreadsheet.

    ``check`` and ``write`` are called with one batch of rows at a time (``BATCH_ROWS``): each
    batch looks the database up once, so a file of any size stays within the database's limits
    (no ``IN`` list of 100,000 references). What must hold across the whole file (a reference
    given twice, rows apart) lives in ``state``, a dict the flow keeps from one batch to the next
    of the same run."""

    kind: str = ""
    label: str = ""
    permissions: tuple[str, ...] = ()
    columns: tuple[ImportColumn, ...] = ()

    def check(self, rows: list[tuple[int, dict]], state: dict | None = None) -> CheckedRows:
        """Check every row of the batch (against each other, the earlier batches through
        ``state``, and the database)."""
        raise NotImplementedError

    def write(self, valid_rows: list, *, user) -> tuple[int, int]:
        """Write the checked rows of a batch; returns (created, updated). Runs inside a transaction."""
        raise NotImplementedError


_registry: dict[str, Importer] = {}


def register(importer: Importer):
    _registry[importer.kind] = importer
    return importer


def get_importer(kind: str) -> Importer:
    try:
        return _registry[kind]
    except KeyError:
        raise InvalidInput({"kind": [_("Type d'import inconnu : %(kind)s") % {"kind": kind}]}) from None


def _normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return "".join(char for char in text if char.isalnum())


def _map_header(importer: Importer, header: list[str]) -> list[str | None]:
    """For each file column, the importer column it feeds (by code name or French label)."""
    known = {}
    for column in importer.columns:
        for title in (column.name, column.label, *column.aliases):
            known[_normalise(str(title))] = column.name
    return [known.get(_normalise(title)) for title in header]


def _checked_header(importer: Importer, header: list[str]) -> tuple[list[str | None], list[str]]:
    """The column each file column feeds, and the titles of the columns ignored."""
    mapping = _map_header(importer, header)
    if not any(mapping):
        raise InvalidInput({"file": [_("Aucune colonne n'est reconnue : la première ligne doit donner le nom des colonnes.")]})
    missing = [c.label for c in importer.columns if c.required and c.name not in mapping]
    if missing:
        raise InvalidInput(
            {"file": [_("Colonnes obligatoires absentes : %(columns)s.") % {"columns": ", ".join(map(str, missing))}]}
        )
    ignored = [title for title, name in zip(header, mapping, strict=True) if title and not name]
    return mapping, ignored


# --- The flow: preview (check), then confirm (write) -----------------------------------------------

BATCH_ROWS = 1000  # rows checked, stored and written together
SYNC_MAX_ROWS = 2000  # up to this many rows a file is checked and written during the request
SYNC_MAX_BYTES = 1024 * 1024  # and a file heavier than this
PREVIEW_JOB = "import_preview"
CONFIRM_JOB = "import_confirm"


def _open(uploaded_file) -> Table:
    try:
        return open_table(uploaded_file)
    except UnreadableFile as exc:
        raise InvalidInput({"file": [str(exc)]}) from exc


def _is_large(table: Table, uploaded_file) -> bool:
    """Many rows announced, or a file heavy enough to hold many (a workbook's announced size
    may be wrong)."""
    return table.estimated_rows > SYNC_MAX_ROWS or (getattr(uploaded_file, "size", 0) or 0) > SYNC_MAX_BYTES


def preview_import(*, kind: str, uploaded_file, user) -> ImportJob:
    """Read and check a file; store the outcome for the preview. Writes no business data.

    A small file is checked at once (an unreadable one raises ``InvalidInput`` naming the
    problem). A large one is kept and checked by a background job: the import returned is then
    ``CHECKING`` and its page shows the job's progress until the preview is ready."""
    importer = get_importer(kind)
    filename = (getattr(uploaded_file, "name", "") or "")[:255]
    with _open(uploaded_file) as table:
        mapping, ignored = _checked_header(importer, table.header)
        if not _is_large(table, uploaded_file):
            with transaction.atomic():
                job = _new_import(importer, filename, ignored, user, ImportJob.Status.PREVIEW)
                try:
                    _check_all(job, importer, mapping, table)
                except UnreadableFile as exc:
                    raise InvalidInput({"file": [str(exc)]}) from exc
            job.refresh_from_db()
            return job
    with transaction.atomic():
        job = _new_import(importer, filename, ignored, user, ImportJob.Status.CHECKING)
        uploaded_file.seek(0)
        job.file.save(os.path.basename(filename) or "import", File(uploaded_file), save=False)
        title = _("Vérification du fichier « %(name)s »") % {"name": filename}
        job.job = _start_job(PREVIEW_JOB, title, job, user, "check_import")
        job.save(update_fields=["file", "job"])
    return job


def _new_import(importer: Importer, filename: str, ignored: list[str], user, status: str) -> ImportJob:
    columns = [c.name for c in importer.columns]
    return ImportJob.objects.create(
        kind=importer.kind, status=status, filename=filename, columns=columns, ignored_columns=ignored, created_by=user
    )


def _check_all(job: ImportJob, importer: Importer, mapping: list, table: Table, report=None):
    """Check the rows batch by batch and store them with their problems; count them."""
    state: dict = {}
    count = rejected = 0
    batch: list[tuple[int, dict]] = []

    def flush():
        nonlocal count, rejected, batch
        count += len(batch)
        with transaction.atomic():
            if report:  # first: it locks the job's row until the batch is stored, or raises
                # JobTakenOver, so a run declared dead stores nothing once another one took over
                total = max(table.estimated_rows, count)
                progress = {"done": decimal_fr(count), "total": decimal_fr(total)}
                report(99 * count / total, _("%(done)s / %(total)s lignes vérifiées") % progress)
            rejected += _check_batch(job, importer, batch, state)
        batch = []

    for number, cells in table.rows:
        batch.append((number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(mapping) if name}))
        if len(batch) >= BATCH_ROWS:
            flush()
    if batch:
        flush()
    if not count:
        raise InvalidInput({"file": [_("Le fichier ne contient aucune ligne de données.")]})
    ImportJob.objects.filter(pk=job.pk).update(row_count=count, rejected_count=rejected)


def _errors_by_row(errors: list[RowError]) -> dict[int, list[dict]]:
    by_row: dict[int, list[dict]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append({"column": str(error.column), "message": str(error.message)})
    return by_row


def _check_batch(job: ImportJob, importer: Importer, batch: list[tuple[int, dict]], state: dict) -> int:
    errors = _errors_by_row(importer.check(batch, state=state).errors)
    ImportRow.objects.bulk_create(
        ImportRow(
            import_job=job,
            number=number,
            values=values,
            errors=errors.get(number, []),
            state=ImportRow.State.REJECTED if number in errors else ImportRow.State.VALID,
        )
        for number, values in batch
    )
    return len(errors)


def check_work(task: Job, report):
    """The work of an ``import_preview`` job (for ``lmb.jobs.run_job``): check a large file kept
    by ``preview_import``. A run cut short (a worker killed) starts again from the first row."""
    job = ImportJob.objects.get(pk=task.parameters["import_job"])
    if job.status != ImportJob.Status.CHECKING:
        return None  # a redelivered message: the work was done
    importer = get_importer(job.kind)
    with _unreadable_fails_the_job():
        job.rows.all().delete()
        with job.file.open("rb") as handle, open_table(handle) as table:
            mapping, _ignored = _checked_header(importer, table.header)
            _check_all(job, importer, mapping, table, report)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(status=ImportJob.Status.PREVIEW)
    _forget_file(job)
    return None


@contextmanager
def _unreadable_fails_the_job():
    """A part of the file found unreadable while the job reads it fails the job with the reason
    the user can act on (and so the import, ``job_failed``)."""
    try:
        yield
    except UnreadableFile as error:
        raise DomainError(str(error)) from error


def job_failed(task: Job):
    """An import's job failed, whatever the reason (its run failed, or ``lmb.jobs`` gave it up
    after too many interrupted runs): the import fails with the job's reason (its first line; the
    rest is technical details), so its page stops waiting. Registered with ``lmb.jobs.on_failure``
    in ``LmbConfig.ready()``. A failed preview keeps no row; a failed write keeps them, each
    telling whether it was imported."""
    reason = task.message.partition("\n")[0] or _("L'import a échoué.")
    waiting = (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING)
    for job in ImportJob.objects.select_for_update().filter(job=task, status__in=waiting):
        _fail(job, reason, forget_rows=job.status == ImportJob.Status.CHECKING)


def _fail(job: ImportJob, message: str, *, forget_rows=False):
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, message=message)
    if forget_rows:
        job.rows.all().delete()
    _forget_file(job)


def _forget_file(job: ImportJob):
    """The rows are in the database: the file itself (customer data) is not kept."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def confirm_import(job: ImportJob, *, user) -> ImportJob:
    """Write the rows found valid at the preview, checked again against the data as it is now;
    rows that fail now join the rejected rows with their reason.

    A small import is written in one transaction. A large one (more than ``SYNC_MAX_ROWS``
    valid rows) is written by a background job, batch by batch: each batch in its own
    transaction, its rows marked imported in it, so a job cut short resumes where it stopped and
    never writes a row twice; the import page shows its progress."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PREVIEW:
            raise TransitionNotAllowed(_("Cet import a déjà été traité."))
        job.confirmed_at = timezone.now()
        if job.valid_count > SYNC_MAX_ROWS:
            job.status = ImportJob.Status.IMPORTING
            title = _("Import du fichier « %(name)s »") % {"name": job.filename}
            job.job = _start_job(CONFIRM_JOB, title, job, user, "write_import")
            job.save(update_fields=["status", "confirmed_at", "job"])
            return job
        importer, state = get_importer(job.kind), {}
        while _write_batch(job, importer, user, state):
            pass
        job.status = ImportJob.Status.DONE
        job.save(update_fields=["status", "confirmed_at"])
    job.refresh_from_db()
    return job


def _write_batch(job: ImportJob, importer: Importer, user, state: dict) -> int:
    """Check again and write the next batch of valid rows; returns how many rows it took."""
    rows = list(job.rows.filter(state=ImportRow.State.VALID).order_by("number")[:BATCH_ROWS])
    if not rows:
        return 0
    checked = importer.check([(row.number, row.values) for row in rows], state=state)
    created, updated = importer.write(checked.valid, user=user) if checked.valid else (0, 0)
    errors = _errors_by_row(checked.errors)
    for row in rows:
        row.errors = errors.get(row.number, [])
        row.state = ImportRow.State.REJECTED if row.number in errors else ImportRow.State.IMPORTED
    ImportRow.objects.bulk_update(rows, ["errors", "state"])
    ImportJob.objects.filter(pk=job.pk).update(
        created_count=F("created_count") + created,
        updated_count=F("updated_count") + updated,
        rejected_count=F("rejected_count") + len(errors),
    )
    return len(rows)


def write_work(task: Job, report):
    """The work of an ``import_confirm`` job (for ``lmb.jobs.run_job``)."""
    job = ImportJob.objects.get(pk=task.parameters["import_job"])
    importer, state = get_importer(job.kind), {}
    total = max(job.rows.filter(state=ImportRow.State.VALID).count(), 1)
    done = 0
    while True:
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job.pk)  # one run at a time
            if job.status != ImportJob.Status.IMPORTING:
                return None  # a redelivered message: the work was done
            taken = _write_batch(job, importer, task.created_by, state)
            if not taken:
                ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE)
                return None
        done += taken
        progress = {"done": decimal_fr(done), "total": decimal_fr(total)}
        report(99 * done / total, _("%(done)s / %(total)s lignes importées") % progress)


def _start_job(kind: str, title: str, job: ImportJob, user, task_name: str) -> Job:
    """A background job for the import (``lmb.jobs.start_job``: queued once the transaction
    commits, sent again by the sweeper if the broker could not take it or its worker died). Its
    page is the import's own page, which the progress block reloads when the job ends."""
    return start_job(
        kind=kind,
        title=title,
        user=user,
        parameters={"import_job": job.pk, "next_url": reverse("import_preview", args=[job.pk])},
        task=f"lmb.tasks.{task_name}",
    )


def cancel_import(job: ImportJob) -> ImportJob:
    if job.status != ImportJob.Status.PREVIEW:
        raise TransitionNotAllowed(_("Cet import a déjà été traité."))
    job.status = ImportJob.Status.CANCELLED
    job.save(update_fields=["status"])
    return job


def rejected_rows(job: ImportJob):
    """Header and rows (an iterator, in constant memory) of the rejected lines, as in the file,
    with a column giving the reasons."""
    importer = get_importer(job.kind)
    header = [_("Ligne"), *[str(c.label) for c in importer.columns], _("Erreurs")]
    rejected = job.rows.filter(state=ImportRow.State.REJECTED).order_by("number").values_list("number", "values", "errors")

    def rows():
        for number, values, errors in rejected.iterator(chunk_size=2000):
            reasons = " ; ".join(f"{error['column']} : {error['message']}" for error in errors)
            yield [number, *[values.get(c.name, "") for c in importer.columns], reasons]

    return header, rows()


# --- Helpers for importers ---------------------------------------------------------------------


class BatchCheckedForm:
    """Mixin for the model form an importer checks each row with: the per-row database look-ups
    of the form are left to the importer, which makes them once per batch.

    ``batch_checked_fields`` are left out of the model's own validation (its foreign-key,
    uniqueness and constraint queries): the importer checks them for the whole batch, or the
    model's ``clean()`` does in Python. ``known={"vat_rate": {pk: rate}}`` gives a choice field
    the instances loaded once, instead of one query per row. Uniqueness is the importer's."""

    batch_checked_fields: tuple[str, ...] = ()

    def __init__(self, *args, known=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, instances in (known or {}).items():
            _choose_among(self.fields[name], instances)

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | set(self.batch_checked_fields)

    def validate_unique(self):
        pass


def _choose_among(field, instances: dict):
    """A model choice field that finds its value among ``instances`` (by primary key)."""

    def to_python(value):
        if value in field.empty_values:
            return None
        try:
            return instances[int(getattr(value, "pk", value))]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice") from None

    field.to_python = to_python


_TRUE = {"1", "oui", "o", "yes", "y", "vrai", "true", "x"}
_FALSE = {"", "0", "non", "n", "no", "faux", "false"}


def parse_bool(text: str) -> bool:
    value = (text or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(_("« %(value)s » n'est pas oui/non.") % {"value": text})


def parse_choice(text: str, choices) -> str:
    """A choice given by its code ("business") or its French label ("Entreprise")."""
    wanted = _normalise(text or "")
    for value, label in choices:
        if wanted in (_normalise(str(value)), _normalise(str(label))):
            return value
    known = ", ".join(str(label) for _value, label in choices if str(label) != "—")
    raise ValueError(_("« %(value)s » n'est pas une valeur possible (%(known)s).") % {"value": text, "known": known})


def form_errors(row: int, form, columns: dict[str, str]) -> list[RowError]:
    """A bound form's errors as row errors, naming the column the user sees."""
    return [
        RowError(row, columns.get(field, field if field != "__all__" else _("ligne")), message)
        for field, messages in form.errors.items()
        for message in messages
    ]

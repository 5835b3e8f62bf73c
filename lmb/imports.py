"""Spreadsheet imports: read a file, show every bad row, write only when the user confirms.

Apps register an ``Importer`` (in their ``AppConfig.ready()``); this module keeps the flow:
``preview_import`` reads and checks the file and stores an ``ImportJob`` (nothing else is
written); ``confirm_import`` checks the rows again against the data as it is now and writes every
valid row in one transaction; rejected rows stay on the job, downloadable with their reasons.
"""

import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import InvalidInput, TransitionNotAllowed
from .models import ImportJob
from .spreadsheets import UnreadableFile, read_table


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
    """What an app provides to import one kind of object from a spreadsheet."""

    kind: str = ""
    label: str = ""
    permissions: tuple[str, ...] = ()
    columns: tuple[ImportColumn, ...] = ()

    def check(self, rows: list[tuple[int, dict]]) -> CheckedRows:
        """Check every row (and the rows against each other and the database)."""
        raise NotImplementedError

    def write(self, valid_rows: list, *, user) -> tuple[int, int]:
        """Write the checked rows; returns (created, updated). Runs inside the import transaction."""
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


def _rows_as_dicts(importer: Importer, header: list[str], data: list[list[str]]) -> list[dict]:
    mapping = _map_header(importer, header)
    if not any(mapping):
        raise InvalidInput({"file": [_("Aucune colonne n'est reconnue : la première ligne doit donner le nom des colonnes.")]})
    missing = [c.label for c in importer.columns if c.required and c.name not in mapping]
    if missing:
        raise InvalidInput(
            {"file": [_("Colonnes obligatoires absentes : %(columns)s.") % {"columns": ", ".join(map(str, missing))}]}
        )
    rows = []
    for index, cells in enumerate(data, start=2):  # row 1 is the header
        if not any(cells):
            continue
        values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(mapping) if name}
        rows.append({"row": index, "values": values})
    return rows


def _check(importer: Importer, rows: list[dict]) -> CheckedRows:
    return importer.check([(row["row"], row["values"]) for row in rows])


def preview_import(*, kind: str, uploaded_file, user) -> ImportJob:
    """Read and check a file; store the outcome for the preview. Writes no business data."""
    importer = get_importer(kind)
    try:
        header, data = read_table(uploaded_file)
    except UnreadableFile as exc:
        raise InvalidInput({"file": [str(exc)]}) from exc
    rows = _rows_as_dicts(importer, header, data)
    ignored = [title for title, name in zip(header, _map_header(importer, header), strict=True) if title and not name]
    if not rows:
        raise InvalidInput({"file": [_("Le fichier ne contient aucune ligne de données.")]})
    checked = _check(importer, rows)
    return ImportJob.objects.create(
        kind=kind,
        filename=getattr(uploaded_file, "name", "")[:255],
        columns=[c.name for c in importer.columns],
        ignored_columns=ignored,
        rows=rows,
        errors=[error.as_dict() for error in checked.errors],
        created_by=user,
    )


@transaction.atomic
def confirm_import(job: ImportJob, *, user) -> ImportJob:
    """Check the rows again (the data may have changed since the preview) and write every valid
    row in one transaction. Rows that fail now join the rejected rows with their reason."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PREVIEW:
        raise TransitionNotAllowed(_("Cet import a déjà été traité."))
    importer = get_importer(job.kind)
    checked = _check(importer, job.rows)
    job.created_count, job.updated_count = importer.write(checked.valid, user=user) if checked.valid else (0, 0)
    job.errors = [error.as_dict() for error in checked.errors]
    job.status = ImportJob.Status.DONE
    job.confirmed_at = timezone.now()
    job.save()
    return job


def cancel_import(job: ImportJob) -> ImportJob:
    if job.status != ImportJob.Status.PREVIEW:
        raise TransitionNotAllowed(_("Cet import a déjà été traité."))
    job.status = ImportJob.Status.CANCELLED
    job.save(update_fields=["status"])
    return job


def rejected_rows(job: ImportJob):
    """Header and rows of the rejected lines, as in the file, with a column giving the reasons."""
    importer = get_importer(job.kind)
    reasons: dict[int, list[str]] = {}
    for error in job.errors:
        reasons.setdefault(error["row"], []).append(f"{error['column']} : {error['message']}")
    header = [_("Ligne"), *[str(c.label) for c in importer.columns], _("Erreurs")]
    rows = [
        [row["row"], *[row["values"].get(c.name, "") for c in importer.columns], " ; ".join(reasons[row["row"]])]
        for row in job.rows
        if row["row"] in reasons
    ]
    return header, rows


# --- Helpers for importers ---------------------------------------------------------------------

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

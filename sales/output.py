"""Documents leaving in bulk: the archive of issued documents over a period (their stored PDFs and
an index with each file's SHA-256, NUM-04) written to a folder or zipped by a job, and batch
printing (the PDFs of selected documents in one file, by a job)."""

import io
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pypdf import PdfWriter

from lmb.csv_export import csv_writer
from lmb.errors import DomainError, InvalidInput
from lmb.formats import decimal_fr
from lmb.jobs import start_job
from lmb.models import Job

from . import pdfs
from .models import CreditNote, DeliveryNote, Invoice, IssuedPdf, Order, Quote

ARCHIVE_JOB = "sales_archive"
BATCH_JOB = "sales_batch_print"
INDEX_HEADER = [
    "numero",
    "type",
    "date",
    "client",
    "code_client",
    "devise",
    "total_ht",
    "total_tva",
    "total_ttc",
    "net_a_payer",
    "fichier",
    "sha256",
]


@dataclass(frozen=True)
class ArchiveKind:
    label: str
    date_field: str

    def documents(self, kind: str, date_from: date, date_to: date):
        """The issued documents of the period, in number order."""
        period = {f"{self.date_field}__gte": date_from, f"{self.date_field}__lte": date_to}
        if kind == "credit_note":
            queryset = CreditNote.objects.filter(status=CreditNote.Status.ISSUED, **period)
        else:
            wanted = Invoice.Kind.DEPOSIT if kind == "deposit_invoice" else Invoice.Kind.INVOICE
            queryset = Invoice.objects.filter(status=Invoice.Status.ISSUED, kind=wanted, **period)
        return queryset.select_related("customer").order_by("chain_position", "number")


ARCHIVE_KINDS = {
    "invoice": ArchiveKind(gettext_lazy("Factures"), "invoice_date"),
    "deposit_invoice": ArchiveKind(gettext_lazy("Factures d'acompte"), "invoice_date"),
    "credit_note": ArchiveKind(gettext_lazy("Avoirs"), "credit_date"),
}


def check_period(kind: str, date_from, date_to):
    errors = {}
    if kind not in ARCHIVE_KINDS:
        errors["kind"] = [_("Type inconnu : choisissez parmi %(kinds)s.") % {"kinds": ", ".join(ARCHIVE_KINDS)}]
    if not isinstance(date_from, date):
        errors["date_from"] = [_("Indiquez la date de début (AAAA-MM-JJ).")]
    if not isinstance(date_to, date):
        errors["date_to"] = [_("Indiquez la date de fin (AAAA-MM-JJ).")]
    if not errors and date_from > date_to:
        errors["date_to"] = [_("La date de fin précède la date de début.")]
    if errors:
        raise InvalidInput(errors)


def _index_row(document, stored: IssuedPdf) -> list:
    """Dates and amounts as French spreadsheets read them, like every CSV we write (csv_writer)."""
    amount_due = document.amount_due if isinstance(document, Invoice) else document.total_incl_tax
    return [
        document.number,
        pdfs.title_of(document),
        pdfs.document_date(document),
        document.customer_name,
        document.customer.code,
        document.currency,
        document.total_excl_tax,
        document.total_vat,
        document.total_incl_tax,
        amount_due,
        stored.filename,
        stored.sha256,
    ]


def write_archive(*, kind: str, date_from: date, date_to: date, put, progress=None) -> int:
    """Hand every issued document of the period to ``put(filename, bytes)`` — its stored PDF
    (made and stored first if it never was) — then the index ``index.csv``. Returns the count."""
    check_period(kind, date_from, date_to)
    documents = ARCHIVE_KINDS[kind].documents(kind, date_from, date_to)
    total = documents.count()
    index = io.StringIO()
    writer = csv_writer(index, delimiter=";", lineterminator="\r\n")  # a customer's name cannot become a formula
    writer.writerow(INDEX_HEADER)
    for done, document in enumerate(documents.iterator(chunk_size=200), start=1):
        stored = pdfs.issued_pdf(document)
        put(stored.filename, bytes(stored.content))
        writer.writerow(_index_row(document, stored))
        if progress and (done % 10 == 0 or done == total):
            progress(
                95 * done / total, _("%(done)s / %(total)s documents") % {"done": decimal_fr(done), "total": decimal_fr(total)}
            )
    put("index.csv", index.getvalue().encode("utf-8-sig"))  # the BOM: Excel then reads UTF-8
    return total


def export_to_folder(*, kind: str, date_from: date, date_to: date, output: Path) -> int:
    output.mkdir(parents=True, exist_ok=True)
    return write_archive(
        kind=kind, date_from=date_from, date_to=date_to, put=lambda name, data: (output / name).write_bytes(data)
    )


def archive_zip(*, kind: str, date_from: date, date_to: date, progress=None) -> tuple[bytes, int]:
    """The archive as a zip (spooled to disk beyond 20 MB, not held in memory while it grows)."""
    with tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            count = write_archive(kind=kind, date_from=date_from, date_to=date_to, put=archive.writestr, progress=progress)
        spool.seek(0)
        return spool.read(), count


def start_archive_job(*, kind: str, date_from: date, date_to: date, user=None) -> Job:
    check_period(kind, date_from, date_to)
    title = _("Archive %(kind)s du %(start)s au %(end)s") % {
        "kind": ARCHIVE_KINDS[kind].label.lower(),
        "start": date_from.strftime("%d/%m/%Y"),
        "end": date_to.strftime("%d/%m/%Y"),
    }
    parameters = {"kind": kind, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    return _start(ARCHIVE_JOB, title, parameters, user, "build_archive")


def archive_work(job: Job, report):
    parameters = job.parameters
    date_from, date_to = date.fromisoformat(parameters["date_from"]), date.fromisoformat(parameters["date_to"])
    content, count = archive_zip(kind=parameters["kind"], date_from=date_from, date_to=date_to, progress=report)
    if not count:
        raise DomainError(_("Aucun document émis sur cette période."))
    return f"archive-{parameters['kind']}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.zip", content


# --- Batch printing -------------------------------------------------------------------------------

BATCH_MODELS = {"quote": Quote, "order": Order, "delivery_note": DeliveryNote, "invoice": Invoice, "credit_note": CreditNote}
BATCH_LIMIT = 500


def start_batch_job(*, kind: str, ids, user=None) -> Job:
    """One PDF of the selected documents of a type, in the order given."""
    if kind not in BATCH_MODELS:
        raise InvalidInput({"kind": [_("Type de document inconnu : %(kind)s.") % {"kind": kind}]})
    try:
        ids = list(dict.fromkeys(int(value) for value in ids))
    except (TypeError, ValueError):
        raise InvalidInput({"ids": [_("Sélection illisible.")]}) from None
    if not ids:
        raise InvalidInput({"ids": [_("Cochez au moins un document.")]})
    if len(ids) > BATCH_LIMIT:
        raise InvalidInput({"ids": [_("Au plus %(limit)s documents à la fois.") % {"limit": decimal_fr(BATCH_LIMIT)}]})
    found = set(BATCH_MODELS[kind].objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise InvalidInput({"ids": [_("Documents introuvables : n° %(ids)s.") % {"ids": ", ".join(missing)}]})
    title = ngettext("Impression de %(count)s document", "Impression de %(count)s documents", len(ids)) % {"count": len(ids)}
    return _start(BATCH_JOB, title, {"kind": kind, "ids": ids}, user, "print_batch")


def batch_pdf(documents, progress=None) -> bytes:
    writer = PdfWriter()
    total = len(documents)
    for done, document in enumerate(documents, start=1):
        writer.append(io.BytesIO(pdfs.pdf_of(document).content))
        if progress:
            progress(
                95 * done / total, _("%(done)s / %(total)s documents") % {"done": decimal_fr(done), "total": decimal_fr(total)}
            )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def batch_work(job: Job, report):
    kind, ids = job.parameters["kind"], job.parameters["ids"]
    found = BATCH_MODELS[kind].objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise DomainError(_("Documents supprimés depuis la demande : n° %(ids)s.") % {"ids": ", ".join(missing)})
    content = batch_pdf([found[pk] for pk in ids], progress=report)
    return f"impression-{kind}-{timezone.localdate():%Y%m%d}-{job.pk}.pdf", content


def _start(kind: str, title: str, parameters: dict, user, task_name: str) -> Job:
    return start_job(kind=kind, title=title, user=user, parameters=parameters, task=f"sales.tasks.{task_name}")

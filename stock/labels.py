"""Barcode label sheets: layouts (A4 sheets and single-label printers), the PDF of the labels of
some products, and the background job that makes it.

One label per unit: designation, reference, price incl. VAT and the EAN-13 barcode drawn by
python-barcode's SVG writer at a module width that scans (a whole number of 300 dpi dots, never
below 3 dots = 0.254 mm) with its quiet zones kept. Products without an EAN-13 are left out and
named in a French message.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from xml.dom import minidom

from barcode import EAN13
from barcode.writer import SVGWriter, pt2mm
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import Product
from catalog.queries import find_by_code
from lmb.errors import DomainError, InvalidInput
from lmb.jobs import create_job
from lmb.models import Job
from lmb.pdf import render_pdf

logger = logging.getLogger(__name__)

JOB_KIND = "labels"
MAX_QUANTITY = 1000  # labels of one product in one job
MAX_LABELS = 2000  # labels in one PDF (≈ 50 s and 0.5 GB of rendering): beyond that, split the work

DOT_300_DPI = 25.4 / 300  # mm
MIN_MODULE_WIDTH = 3 * DOT_300_DPI  # 0.254 mm (77 % of the nominal 0.33 mm): still decodes at 300 dpi
NOMINAL_MODULE_WIDTH = 4 * DOT_300_DPI  # 0.339 mm, the nominal 0.33 mm rounded to whole 300 dpi dots
EAN13_MODULES = 95
QUIET_ZONE_MODULES = 11  # GS1: 11 modules left, 7 right; 11 on both sides keeps it simple
LABEL_PADDING = 1.5  # mm, inside each label (printers do not print to the very edge)

A4 = (210.0, 297.0)


@dataclass(frozen=True)
class LabelLayout:
    """A sheet of labels, in millimetres. ``margin_*`` are the distances from the sheet's edges to the
    first label, ``column_gap``/``row_gap`` the spaces between two labels (pitch minus size).
    A single-label printer is a sheet the size of one label."""

    code: str
    name: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    margin_top: float = 0.0
    margin_left: float = 0.0
    column_gap: float = 0.0
    row_gap: float = 0.0
    barcode_height: float = 12.0  # mm of bars (GS1 allows truncated heights on labels)
    text_size: float = 8.0  # pt, designation
    price_size: float = 11.0  # pt
    designation_lines: int = 2

    def __post_init__(self):
        if self.margin_right < -0.01 or self.margin_bottom < -0.01:
            raise ValueError(f"Layout {self.code}: the labels do not fit on the sheet.")
        if self.label_width - 2 * LABEL_PADDING < self.barcode_width(MIN_MODULE_WIDTH):
            raise ValueError(f"Layout {self.code}: a scannable EAN-13 does not fit on the label.")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def is_single(self) -> bool:
        return self.per_page == 1

    @property
    def margin_right(self) -> float:
        return self.page_width - self.margin_left - self.columns * self.label_width - (self.columns - 1) * self.column_gap

    @property
    def margin_bottom(self) -> float:
        return self.page_height - self.margin_top - self.rows * self.label_height - (self.rows - 1) * self.row_gap

    @staticmethod
    def barcode_width(module_width: float) -> float:
        return (EAN13_MODULES + 2 * QUIET_ZONE_MODULES) * module_width

    @property
    def module_width(self) -> float:
        """The nominal module width when it fits across the label, else the smallest that scans."""
        available = self.label_width - 2 * LABEL_PADDING
        return NOMINAL_MODULE_WIDTH if self.barcode_width(NOMINAL_MODULE_WIDTH) <= available else MIN_MODULE_WIDTH

    @property
    def designation_chars(self) -> int:
        """How many characters of the designation fit on its lines (average glyph ≈ 0.55 em)."""
        glyph = 0.55 * pt2mm(self.text_size)
        return int((self.label_width - 2 * LABEL_PADDING) / glyph) * self.designation_lines

    def css(self) -> dict:
        """The geometry as CSS lengths (never localised: "63.50mm", not "63,50mm")."""

        def mm(value):
            return f"{max(value, 0):.2f}mm"

        return {
            "page_size": f"{mm(self.page_width)} {mm(self.page_height)}",
            "page_margin_top_left": f"{mm(self.margin_top)} 0 0 {mm(self.margin_left)}",
            "columns": f"repeat({self.columns}, {mm(self.label_width)})",
            "rows": f"repeat({self.rows}, {mm(self.label_height)})",
            "column_gap": mm(self.column_gap),
            "row_gap": mm(self.row_gap),
            "padding": mm(LABEL_PADDING),
            "label_width": mm(self.label_width),
            "label_height": mm(self.label_height),
            "text_size": f"{self.text_size:.1f}pt",
            "price_size": f"{self.price_size:.1f}pt",
            "designation_height": f"{self.designation_lines * 1.15 * self.text_size:.1f}pt",
        }


def _sheet(code, name, *, columns, rows, width, height, top, left, column_gap=0.0, row_gap=0.0, **style):
    return LabelLayout(
        code=code,
        name=name,
        page_width=A4[0],
        page_height=A4[1],
        columns=columns,
        rows=rows,
        label_width=width,
        label_height=height,
        margin_top=top,
        margin_left=left,
        column_gap=column_gap,
        row_gap=row_gap,
        **style,
    )


def _roll(code, name, *, width, height, **style):
    return LabelLayout(
        code=code,
        name=name,
        page_width=width,
        page_height=height,
        columns=1,
        rows=1,
        label_width=width,
        label_height=height,
        **style,
    )


# Names are lazy so they follow the user's language; the geometry comes from the makers' templates.
LAYOUTS: dict[str, LabelLayout] = {
    layout.code: layout
    for layout in [
        _sheet(
            "a4-3x8-70x37",
            gettext_lazy("A4 · 24 étiquettes de 70 × 37 mm (3 × 8)"),
            columns=3,
            rows=8,
            width=70.0,
            height=37.0,
            top=0.5,
            left=0.0,
            barcode_height=14.0,
        ),
        _sheet(
            "a4-3x7-63x38",
            gettext_lazy("A4 · 21 étiquettes de 63,5 × 38,1 mm (3 × 7, type Avery L7160)"),
            columns=3,
            rows=7,
            width=63.5,
            height=38.1,
            top=15.15,
            left=7.2,
            column_gap=2.54,
            barcode_height=14.0,
        ),
        _sheet(
            "a4-2x7-99x38",
            gettext_lazy("A4 · 14 étiquettes de 99,1 × 38,1 mm (2 × 7, type Avery L7163)"),
            columns=2,
            rows=7,
            width=99.1,
            height=38.1,
            top=15.15,
            left=4.65,
            column_gap=2.5,
            barcode_height=15.0,
            text_size=9.0,
            price_size=13.0,
        ),
        _sheet(
            "a4-4x10-48x25",
            gettext_lazy("A4 · 40 étiquettes de 48,5 × 25,4 mm (4 × 10)"),
            columns=4,
            rows=10,
            width=48.5,
            height=25.4,
            top=21.5,
            left=8.0,
            barcode_height=9.0,
            text_size=6.5,
            price_size=8.5,
            designation_lines=1,
        ),
        _roll(
            "roll-57x32",
            gettext_lazy("Imprimante d'étiquettes · 57 × 32 mm (une étiquette par page)"),
            width=57.0,
            height=32.0,
            barcode_height=12.0,
            text_size=7.5,
            price_size=10.0,
        ),
        _roll(
            "roll-62x29",
            gettext_lazy("Imprimante d'étiquettes · 62 × 29 mm (une étiquette par page, type Brother DK-11209)"),
            width=62.0,
            height=29.0,
            barcode_height=12.0,
            text_size=7.5,
            price_size=10.0,
            designation_lines=1,
        ),
    ]
}
DEFAULT_LAYOUT = "a4-3x7-63x38"


def layout_choices() -> list[tuple[str, str]]:
    return [(layout.code, layout.name) for layout in LAYOUTS.values()]


def get_layout(code: str) -> LabelLayout:
    try:
        return LAYOUTS[code]
    except (KeyError, TypeError):
        raise InvalidInput({"layout": [_("Format d'étiquettes inconnu : « %(code)s ».") % {"code": code}]})


# --- Content of a label ---------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """``text`` on at most ``limit`` characters, cut after a whole word and ended by "…"."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–(") + "…"


class CompactSVGWriter(SVGWriter):
    """python-barcode's SVG writer, drawing all the bars as one ``<path>`` instead of one ``<rect>``
    each: the same geometry in one element, so a sheet of hundreds of labels renders several times
    faster. Coordinates are SVG user units (CSS px) since the document has no viewBox."""

    PX_PER_MM = 96 / 25.4

    def _init(self, code):
        super()._init(code)
        self._bars = []

    def _create_module(self, xpos, ypos, width, color):
        if color != self.background:
            k = self.PX_PER_MM
            self._bars.append(f"M{xpos * k:.3f} {ypos * k:.3f}h{width * k:.3f}v{self.module_height * k:.3f}h{-width * k:.3f}z")

    def _finish(self):
        if self._bars:
            bars = self._document.createElement("path")
            bars.setAttribute("d", "".join(self._bars))
            bars.setAttribute("fill", self.foreground)
            self._group.appendChild(bars)
        return super()._finish()


def barcode_svg(ean13: str, layout: LabelLayout) -> str:
    """The EAN-13 as an inline ``<svg>`` element (bars, guard bars and digits), at its true size in mm."""
    symbol = EAN13(ean13, writer=CompactSVGWriter(), guardbar=True)
    if symbol.ean != ean13:
        raise ValueError(f"{ean13} is not a valid EAN-13")
    digits_size = 6.0 if layout.barcode_height < 10 else 7.0  # pt
    svg = symbol.render(
        {
            "module_width": layout.module_width,
            "module_height": layout.barcode_height,
            "quiet_zone": QUIET_ZONE_MODULES * layout.module_width,
            "font_size": digits_size,
            "text_distance": pt2mm(digits_size) / 2 + 0.3,
            "margin_top": 0.0,
            "margin_bottom": 0.0,
            "background": "white",
            "foreground": "black",
            "compress": True,  # no pretty-printing whitespace between the bars
            "with_doctype": False,
        }
    )
    return _inline_svg(svg)


def _inline_svg(svg: bytes) -> str:
    """The writer's SVG document made fit for an HTML page: no XML declaration, no repeated ``id``,
    and presentation attributes instead of ``style`` (which the HTML stylesheet parser would read)."""
    root = minidom.parseString(svg).documentElement
    for element in [root, *root.getElementsByTagName("*")]:
        if element.hasAttribute("id"):
            element.removeAttribute("id")
        if element.hasAttribute("style"):
            for declaration in element.getAttribute("style").split(";"):
                name, _colon, value = declaration.partition(":")
                if name.strip() and value.strip():
                    element.setAttribute(name.strip(), value.strip())
            element.removeAttribute("style")
    root.setAttribute("font-family", "DejaVu Sans Mono, monospace")
    return root.toxml()


@dataclass(frozen=True)
class Label:
    designation: str
    reference: str
    price: Decimal
    svg: str


@dataclass
class LabelSheets:
    """What ``render_label_sheets`` made: the PDF, how many labels it holds and what was left out."""

    pdf: bytes
    label_count: int
    page_count: int
    skipped: list[Product] = field(default_factory=list)

    @property
    def warning(self) -> str:
        return missing_ean_message(self.skipped)


def missing_ean_message(products: Iterable[Product]) -> str:
    """French sentence naming the products that get no label because they have no EAN-13 ("" if none)."""
    products = list(products)
    if not products:
        return ""
    names = ", ".join(f"{product.reference} ({product.designation})" for product in products)
    return ngettext(
        "Ce produit n'a pas de code EAN-13 ; aucune étiquette n'est imprimée pour lui : %(names)s.",
        "Ces produits n'ont pas de code EAN-13 ; aucune étiquette n'est imprimée pour eux : %(names)s.",
        len(products),
    ) % {"names": names}


Progress = Callable[..., None]  # progress(percent, message="")


def _throttled(progress: Progress | None) -> Progress:
    """``progress`` called only when the percentage moves (each call may be a database write)."""
    last = [-1]

    def report(percent, message=""):
        percent = int(percent)
        if progress is not None and percent != last[0]:
            last[0] = percent
            progress(percent, message)

    return report


class _PageProgress(logging.Handler):
    """Turns WeasyPrint's "Step 5 - Creating layout - Page N" and "Step 6 - Creating PDF" log records
    (emitted by the rendering thread) into progress reports: layout 5-55 %, drawing 60 %, end 95 %."""

    def __init__(self, report: Progress, page_total: int):
        super().__init__(logging.INFO)
        self.report = report
        self.page_total = page_total
        self.thread = threading.get_ident()

    def emit(self, record):
        if record.thread != self.thread:
            return
        if record.msg.startswith("Step 5 - Creating layout - Page") and record.args:
            page = int(record.args[0])
            self.report(
                5 + 50 * page // self.page_total,
                _("Mise en page : page %(page)s sur %(total)s") % {"page": page, "total": self.page_total},
            )
        elif record.msg.startswith("Step 6"):
            self.report(60, _("Dessin des pages et des codes-barres…"))
        elif record.msg.startswith("Step 7"):
            self.report(95, _("Finalisation du PDF…"))


@contextmanager
def _rendering_progress(report: Progress, page_total: int):
    """While this thread renders, WeasyPrint's step records feed ``report`` instead of the logs."""
    logger = logging.getLogger("weasyprint.progress")
    handler = _PageProgress(report, page_total)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def render_label_sheets(
    items: Iterable[tuple[Product, int]], layout: LabelLayout, *, first_position: int = 1, progress: Progress | None = None
) -> LabelSheets:
    """The PDF of ``quantity`` labels of each product, in the order given, on ``layout``. On a sheet,
    the first ``first_position - 1`` cells are left blank (to reuse a sheet already started).
    ``progress(percent, message)`` is told how far it is."""
    report = _throttled(progress)
    items = [(product, int(quantity)) for product, quantity in items]
    printable = [(product, quantity) for product, quantity in items if product.ean13]
    skipped = [product for product, _quantity in items if not product.ean13]
    labels: list[Label | None] = [None] * (0 if layout.is_single else first_position - 1)
    limit = layout.designation_chars
    for done, (product, quantity) in enumerate(printable, start=1):
        label = Label(
            designation=truncate(product.designation, limit),
            reference=product.reference,
            price=product.sale_price_incl_tax,
            svg=mark_safe(barcode_svg(product.ean13, layout)),  # markup made here from 13 digits
        )
        labels.extend([label] * quantity)
        report(
            5 * done // len(printable),
            _("Codes-barres : %(done)s / %(total)s produits") % {"done": done, "total": len(printable)},
        )
    count = len(labels) - (0 if layout.is_single else first_position - 1)
    if not count:
        return LabelSheets(pdf=b"", label_count=0, page_count=0, skipped=skipped)
    pages = [labels[start : start + layout.per_page] for start in range(0, len(labels), layout.per_page)]
    with _rendering_progress(report, len(pages)):
        pdf = render_pdf("stock/pdf/labels.html", {"layout": layout, "css": layout.css(), "pages": pages})
    report(100, _("PDF prêt."))
    return LabelSheets(pdf=pdf, label_count=count, page_count=len(pages), skipped=skipped)


# --- Codes typed or scanned -----------------------------------------------------------------------

MAX_LINES = 2000


@dataclass
class CodeLine:
    """One line of "code[;quantity]" as typed or scanned, with the product it names or its error."""

    number: int
    code: str
    quantity: int = 1
    product: Product | None = None
    error: str = ""


def read_code_lines(text: str) -> list[CodeLine]:
    """Each non-blank line is an EAN-13 or a reference (what a scanner types, then Enter), optionally
    followed by ``;quantity`` (or a tab, as pasted from a spreadsheet). Every line gets its product
    or an error naming the line."""
    lines: list[CodeLine] = []
    found: dict[str, Product | None] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        code, _separator, quantity_text = raw.replace("\t", ";").partition(";")
        line = CodeLine(number=number, code=code.strip())
        lines.append(line)
        if len(lines) > MAX_LINES:
            line.error = _("Ligne %(line)s : pas plus de %(max)s lignes à la fois.") % {"line": number, "max": MAX_LINES}
            break
        quantity_text = quantity_text.strip()
        if quantity_text:
            try:
                line.quantity = int(quantity_text)
            except ValueError:
                line.error = _("Ligne %(line)s : la quantité « %(quantity)s » n'est pas un nombre entier.") % {
                    "line": number,
                    "quantity": quantity_text,
                }
                continue
            if line.quantity < 1:
                line.error = _("Ligne %(line)s : la quantité doit être au moins 1.") % {"line": number}
                continue
        if not line.code:
            line.error = _("Ligne %(line)s : le code du produit manque.") % {"line": number}
            continue
        key = line.code.upper()
        if key not in found:
            found[key] = find_by_code(line.code)
        line.product = found[key]
        if line.product is None:
            line.error = _("Ligne %(line)s : aucun produit n'a le code ou la référence « %(code)s ».") % {
                "line": number,
                "code": line.code,
            }
    return lines


def items_of(lines: Iterable[CodeLine]) -> list[tuple[Product, int]]:
    """The (product, quantity) pairs of the lines without error, one per product, in order of first appearance."""
    quantities: dict[int, list] = {}
    for line in lines:
        if line.product is not None and not line.error:
            entry = quantities.setdefault(line.product.pk, [line.product, 0])
            entry[1] += line.quantity
    return [(product, quantity) for product, quantity in quantities.values()]


def page_count(label_count: int, layout: LabelLayout, first_position: int = 1) -> int:
    if layout.is_single:
        return label_count
    return -(-(label_count + first_position - 1) // layout.per_page) if label_count else 0


# --- The job --------------------------------------------------------------------------------------


def _merge_items(items) -> list[tuple[Product, int]]:
    """(product, quantity) pairs, one per product (quantities of repeated products added), in order;
    raises InvalidInput naming the ``items`` field on any bad quantity."""
    merged: dict[int, list] = {}
    errors = []
    for product, quantity in items:
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            errors.append(
                _("%(reference)s : la quantité « %(quantity)s » n'est pas un nombre entier.")
                % {"reference": product.reference, "quantity": quantity}
            )
            continue
        if product.pk in merged:
            merged[product.pk][1] += quantity
        else:
            merged[product.pk] = [product, quantity]
    for product, quantity in merged.values():
        if not 1 <= quantity <= MAX_QUANTITY:
            errors.append(
                _("%(reference)s : la quantité doit être comprise entre 1 et %(max)s (demandé : %(quantity)s).")
                % {"reference": product.reference, "max": MAX_QUANTITY, "quantity": quantity}
            )
    if errors:
        raise InvalidInput({"items": errors})
    return [(product, quantity) for product, quantity in merged.values()]


def start_label_job(*, items, layout, user, title="", first_position: int = 1) -> Job:
    """Check the request and queue the PDF of labels: ``items`` are (product, quantity) pairs,
    ``layout`` a layout code. Creates a ``Job`` (kind "labels") whose task starts once the
    transaction commits; returns the job. Products without an EAN-13 are named in the job's
    ``parameters["notice"]`` (shown on the job page); if none has one, nothing is queued."""
    sheet = get_layout(layout)
    items = _merge_items(items)
    if not items:
        raise InvalidInput({"items": [_("Indiquez au moins un produit.")]})
    try:
        first_position = 1 if sheet.is_single else int(first_position or 1)  # a printer's roll has no used sheet
    except (TypeError, ValueError):
        first_position = 0
    if not 1 <= first_position <= sheet.per_page:
        raise InvalidInput(
            {"first_position": [_("La position de départ doit être comprise entre 1 et %(max)s.") % {"max": sheet.per_page}]}
        )
    without_ean = [product for product, _quantity in items if not product.ean13]
    total = sum(quantity for product, quantity in items if product.ean13)
    if not total:
        raise InvalidInput({"items": [missing_ean_message(without_ean)]})
    if total > MAX_LABELS:
        raise InvalidInput(
            {
                "items": [
                    _("%(total)s étiquettes demandées : %(max)s au plus par PDF ; faites-en plusieurs.")
                    % {"total": total, "max": MAX_LABELS}
                ]
            }
        )
    parameters = {
        "layout": sheet.code,
        "first_position": first_position,
        "items": [{"product": product.pk, "quantity": quantity} for product, quantity in items],
        "label_count": total,
    }
    if without_ean:
        parameters["notice"] = missing_ean_message(without_ean)
    title = title or default_title(total, sheet)
    with transaction.atomic():
        # The sheet's title names the job (prefilled by our screens, checked by the form): cut to its column.
        job = create_job(kind=JOB_KIND, title=title[:200], user=user, parameters=parameters)
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def default_title(count: int, layout: LabelLayout) -> str:
    return ngettext("%(count)s étiquette — %(layout)s", "%(count)s étiquettes — %(layout)s", count) % {
        "count": count,
        "layout": layout.name,
    }


def _enqueue(job_id: int):
    from .tasks import render_labels  # the task module imports this one

    try:
        render_labels.delay(job_id)
    except Exception:  # broker unreachable: say so on the job page rather than leave the job pending forever
        logger.exception("Label job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
            status=Job.Status.FAILED,
            message=_("La file des tâches de fond ne répond pas : relancez la demande dans un instant."),
            finished_at=timezone.now(),
        )


def labels_work(job: Job, report: Progress):
    """The work of a "labels" job (for ``lmb.jobs.run_job``): the PDF as (filename, bytes)."""
    parameters = job.parameters
    layout = get_layout(parameters.get("layout"))
    wanted = parameters.get("items") or []
    products = Product.objects.in_bulk([item["product"] for item in wanted])
    missing = [str(item["product"]) for item in wanted if item["product"] not in products]
    if missing:
        raise DomainError(_("Produit(s) supprimé(s) depuis la demande : n° %(ids)s.") % {"ids": ", ".join(missing)})
    items = [(products[item["product"]], item["quantity"]) for item in wanted]
    sheets = render_label_sheets(items, layout, first_position=parameters.get("first_position", 1), progress=report)
    if not sheets.label_count:
        raise DomainError(sheets.warning or _("Aucune étiquette à imprimer."))
    return f"etiquettes-{timezone.localdate():%Y-%m-%d}-{job.pk}.pdf", sheets.pdf

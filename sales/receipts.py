"""Till receipts (tickets de caisse, issue #20): what a shop hands over for a counter sale — an
issued invoice — or for a return — its credit note — on a thermal roll.

One ``Receipt`` is read from the document (``receipt_of``) and printed two ways:
- ``receipt_pdf``: a PDF as wide as the roll (80 or 58 mm) and as long as its content;
- ``receipt_text``: plain text in a fixed number of columns (Font A: 48 on 80 mm, 32 on 58 mm)
  for an ESC/POS printer, which ``to_escpos_bytes`` frames (init, code page CP858, cut).

What a ticket prints (fr-rules §1, §3): the seller's name, address, SIRET (or SIREN) and VAT
number (INV-01); the date and time; the document's number in the invoice or credit-note series
(INV-06, NUM-01); each line's designation, quantity, unit price and amount, with its VAT code
(INV-07), its discount (INV-08) and its eco-participation on a line of its own (ECO-01); the VAT
per rate and the totals net, VAT and gross (INV-09); the tenders and the change; the legal
mentions stored on the document. A reprint is marked « DUPLICATA n° N » (the caller counts
reprints: ``duplicate_number``). A credit note names the invoice it reverses (CN-01).

A voucher sold at the till (``voucher_receipt``) has no document: its ticket prints the voucher's
code, amount and validity and how it was paid, with no VAT (a multi-purpose voucher is taxed when
it pays for goods, VOU-03) — not « TTC », no VAT table.

Texts come from the stored document as they are: a control character stored before the inputs
refused them is dropped (an ESC in a designation must never reach the printer as a command),
and a designation longer than the roll wraps, never breaking a column."""

import hashlib
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML

from lmb import text as lmb_text
from lmb.formats import decimal_fr, money_fr, percent_fr, unit_price_fr
from lmb.services import get_company

from . import vat
from .models import CreditNote, DocumentLine, Invoice, Payment, PaymentMethod, Voucher

ZERO = Decimal("0")

# Roll width (mm) → characters per line in Font A (12 × 24 dots) on a 203 dpi printer.
COLUMNS = {80: 48, 58: 32}
# The narrowest text a receipt is laid out in: below, an amount and its label no longer fit.
MIN_COLUMNS = 24


# --- What a ticket says ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal
    vat_code: str
    #: an eco-participation line printed under the product it goes with
    is_child: bool = False


@dataclass(frozen=True)
class ReceiptVat:
    code: str
    label: str
    base: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Receipt:
    title: str
    number: str
    issued_at: datetime
    seller: list[str]
    lines: list[ReceiptLine]
    vat_rows: list[ReceiptVat]
    total_excl_tax: Decimal
    total_vat: Decimal
    total_incl_tax: Decimal
    eco_participation_total: Decimal
    #: (label, amount): what paid the sale, or how a return was refunded
    tenders: list[tuple[str, Decimal]]
    change: Decimal
    prices_include_tax: bool
    currency: str = "EUR"
    customer_name: str = ""
    #: the invoice a return ticket reverses (CN-01)
    reference: str = ""
    duplicate_number: int | None = None
    mentions: list[str] = field(default_factory=list)
    footer: str = ""
    #: False for a voucher sold: no VAT, no « TTC » (VOU-03)
    taxable: bool = True
    #: a voucher sold: its code and last day of validity, printed large
    voucher_code: str = ""
    voucher_expires_on: date | None = None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_number is not None


def receipt_of(document: Invoice | CreditNote, *, change=None, duplicate_number: int | None = None) -> Receipt:
    """The ticket of an issued invoice (a sale) or credit note (a return). ``change``: the cash
    handed back (``CounterSale.change``; not stored: none when not given). ``duplicate_number``:
    the reprint's number, None for the original. Reads the lines, the company and the tenders:
    four queries."""
    if document.status != "issued":
        raise ValueError("A receipt is printed from an issued invoice or credit note only.")
    if duplicate_number is not None and duplicate_number < 1:
        raise ValueError("A duplicate is numbered from 1.")
    change = Decimal(change or 0)
    lines = list(document.lines.order_by("position", "pk"))
    codes = _vat_codes(document.vat_breakdown)
    is_return = isinstance(document, CreditNote)
    return Receipt(
        title=_("Ticket de retour — avoir") if is_return else _("Ticket — facture"),
        number=_clean(document.number),
        issued_at=timezone.localtime(document.issued_at),
        seller=_seller(get_company()),
        lines=[_line(line, document.prices_include_tax, codes) for line in lines],
        vat_rows=_vat_rows(document.vat_breakdown, lines, codes),
        total_excl_tax=document.total_excl_tax,
        total_vat=document.total_vat,
        total_incl_tax=document.total_incl_tax,
        eco_participation_total=document.eco_participation_total,
        tenders=_refunds(document) if is_return else _tenders(document, change),
        change=ZERO if is_return else change,
        prices_include_tax=document.prices_include_tax,
        currency=document.currency,
        customer_name="" if _is_walk_in(document) else _clean(document.customer_name),
        reference=_original(document) if is_return else "",
        duplicate_number=duplicate_number,
        mentions=[_clean(mention, multiline=True) for mention in document.legal_mentions],
        footer=_("Merci de votre visite"),
    )


def voucher_receipt(
    voucher: Voucher, payment: Payment, *, issued_at: datetime, channel=None, duplicate_number: int | None = None
) -> Receipt:
    """The ticket of a voucher sold at the till: its code, amount and validity, the tender that
    paid it, no VAT (VOU-03: the VAT is due on the goods it will pay for). ``issued_at``: the
    ticket's moment; ``channel``: the register's, to leave the walk-in customer's name out."""
    if duplicate_number is not None and duplicate_number < 1:
        raise ValueError("A duplicate is numbered from 1.")
    code = _clean(voucher.code)
    expires = voucher.expires_on.strftime("%d/%m/%Y")
    walk_in = channel is not None and channel.default_customer_id == voucher.customer_id
    return Receipt(
        title=_("Bon d'achat"),
        number=code,
        issued_at=timezone.localtime(issued_at),
        seller=_seller(get_company()),
        lines=[
            ReceiptLine(
                description=_("Bon d'achat n° %(code)s") % {"code": code},
                quantity=Decimal(1),
                unit_price=voucher.amount,
                discount_percent=ZERO,
                amount=voucher.amount,
                vat_code="",
            )
        ],
        vat_rows=[],
        total_excl_tax=voucher.amount,
        total_vat=ZERO,
        total_incl_tax=voucher.amount,
        eco_participation_total=ZERO,
        tenders=[(_clean(PaymentMethod.label_of(payment.method)), payment.amount)],
        change=ZERO,
        prices_include_tax=True,
        currency=payment.currency,
        customer_name="" if walk_in or voucher.customer is None else _clean(voucher.customer.name),
        duplicate_number=duplicate_number,
        mentions=[
            _("Valable jusqu'au %(day)s, en une ou plusieurs fois, sur tout achat.") % {"day": expires},
            _("Bon d'achat à usages multiples : vendu sans TVA ; la TVA est due sur les achats qu'il réglera."),
        ],
        footer=_("Merci de votre visite"),
        taxable=False,
        voucher_code=code,
        voucher_expires_on=voucher.expires_on,
    )


def _clean(value, *, multiline: bool = False) -> str:
    """A stored text as a ticket prints it: no control character (an ESC or a BEL would be a
    command to an ESC/POS printer), line breaks and tabs as spaces unless ``multiline``, NFC."""
    value = unicodedata.normalize("NFC", str(value or ""))
    value = lmb_text.printable(value)
    if not multiline:
        value = " ".join(value.split())
    return value.replace("\r", "")


def _seller(company) -> list[str]:
    """INV-01 (and INV-02's legal form): name, address, SIRET or SIREN, VAT number, phone."""
    if company is None:
        return []
    name = company.trade_name or company.name
    rows = [name]
    if company.trade_name and company.trade_name != company.name:
        rows.append(company.name + (f" ({company.get_legal_form_display()})" if company.legal_form != "other" else ""))
    rows += [company.address_line1, company.address_line2, f"{company.postal_code} {company.city}"]
    rows.append(f"SIRET {company.siret}" if company.siret else f"SIREN {company.siren}")
    if company.vat_number:
        rows.append(_("TVA intracom. %(number)s") % {"number": company.vat_number})
    if company.phone:
        rows.append(_("Tél. %(phone)s") % {"phone": company.phone})
    return [_clean(row) for row in rows if row and row.strip()]


def _vat_codes(breakdown: list[dict]) -> dict[tuple[str, Decimal], str]:
    """A letter per VAT group (A, B, C…), printed beside each line and in the VAT table."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return {(group["category"], Decimal(group["rate"])): letters[index % 26] for index, group in enumerate(breakdown)}


def _line(line, prices_include_tax: bool, codes) -> ReceiptLine:
    return ReceiptLine(
        description=_clean(line.description),
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        amount=line.gross_amount if prices_include_tax else line.net_amount,
        vat_code=codes.get((line.vat_category, Decimal(line.vat_rate)), ""),
        is_child=line.kind == DocumentLine.Kind.ECO,
    )


def _vat_rows(breakdown: list[dict], lines, codes) -> list[ReceiptVat]:
    """INV-09: per VAT rate, the base, the VAT and the gross, as stored on the document."""
    return [
        ReceiptVat(
            code=codes[(group["category"], Decimal(group["rate"]))],
            label=_clean(group["label"]),
            base=Decimal(group["base"]),
            vat=Decimal(group["vat"]),
            gross=Decimal(group["gross"]),
        )
        for group in vat.labelled_breakdown(breakdown, lines)
    ]


def _tenders(invoice: Invoice, change: Decimal) -> list[tuple[str, Decimal]]:
    """What paid the sale, in the order it was taken; the cash handed over includes the change
    given back (the till keeps only what the sale costs: ``counter.checkout_at_counter``)."""
    tenders = []
    for allocation in invoice.allocations.select_related("payment", "credit_note").order_by("allocated_at", "pk"):
        if allocation.payment_id:
            tenders.append([allocation.payment.method, PaymentMethod.label_of(allocation.payment.method), allocation.amount])
        else:
            label = _("Avoir n° %(number)s") % {"number": allocation.credit_note.number}
            tenders.append(["credit_note", label, allocation.amount])
    if change:
        cash = [tender for tender in tenders if tender[0] == PaymentMethod.CASH]
        if cash:
            cash[-1][2] += change
        else:
            tenders.append([PaymentMethod.CASH, PaymentMethod.label_of(PaymentMethod.CASH), change])
    return [(_clean(label), amount) for _method, label, amount in tenders]


def _refunds(credit_note: CreditNote) -> list[tuple[str, Decimal]]:
    """How a return was settled: money refunded, by method, and vouchers issued with their code."""
    rows = [
        (_("Remboursé — %(method)s") % {"method": PaymentMethod.label_of(payment.method)}, payment.amount)
        for payment in credit_note.refunds.order_by("pk")
    ]
    rows += [
        (_("Bon d'achat n° %(code)s") % {"code": voucher.code}, voucher.amount) for voucher in credit_note.vouchers.order_by("pk")
    ]
    return [(_clean(label), amount) for label, amount in rows]


def _original(credit_note: CreditNote) -> str:
    invoice = credit_note.invoice
    return _("Retour sur la facture n° %(number)s du %(day)s") % {
        "number": _clean(invoice.number),
        "day": invoice.invoice_date.strftime("%d/%m/%Y"),
    }


def _is_walk_in(document) -> bool:
    return document.channel.default_customer_id == document.customer_id


# --- Plain text for ESC/POS printers ---------------------------------------------------------------


def columns_for(width_mm: int) -> int:
    """The characters per line of Font A on an 80 mm (48) or 58 mm (32) roll."""
    if width_mm not in COLUMNS:
        raise ValueError(f"Unknown roll width: {width_mm} mm (80 or 58).")
    return COLUMNS[width_mm]


def _plain(value: str) -> str:
    """French formats group digits with (narrow) no-break spaces: a printer wants a plain one."""
    return value.replace("\u202f", " ").replace("\xa0", " ")


def _money(amount, currency="EUR") -> str:
    return _plain(money_fr(amount, currency))


def _wrap(value: str, columns: int) -> list[str]:
    """``value`` cut into lines of at most ``columns`` characters (a word too long is cut too)."""
    return textwrap.wrap(value, columns, break_long_words=True, break_on_hyphens=False) or [""]


def _row(left: str, right: str, columns: int) -> list[str]:
    """``left`` then ``right`` aligned on the right margin; when both do not fit on one line,
    ``left`` wraps and ``right`` ends the last line, or a line of its own."""
    if len(left) + 1 + len(right) <= columns:
        return [left + " " * (columns - len(left) - len(right)) + right]
    lines = _wrap(left, columns)
    if len(lines[-1]) + 1 + len(right) <= columns:
        last = lines.pop()
        return [*lines, last + " " * (columns - len(last) - len(right)) + right]
    return lines + [part.rjust(columns) for part in _wrap(right, columns)]


def _centered(value: str, columns: int) -> list[str]:
    return [part.center(columns).rstrip() for part in _wrap(value, columns)]


def receipt_text(receipt: Receipt, *, columns: int = 48) -> str:
    """The ticket as lines of at most ``columns`` characters (amounts right-aligned, French
    formats, UTF-8 text; ``to_escpos_bytes`` encodes it for the printer)."""
    if columns < MIN_COLUMNS:
        raise ValueError(f"A receipt needs at least {MIN_COLUMNS} columns.")
    rule = "-" * columns
    out: list[str] = []
    for row in receipt.seller:
        out += _centered(row, columns)
    out.append(rule)
    out += _wrap(f"{receipt.title} n° {receipt.number}", columns)
    out += _wrap(_("Le %(day)s à %(time)s") % _when(receipt), columns)
    if receipt.customer_name:
        out += _wrap(_("Client : %(name)s") % {"name": receipt.customer_name}, columns)
    if receipt.reference:
        out += _wrap(receipt.reference, columns)
    if receipt.is_duplicate:
        out += ["", *_centered(f"*** {duplicate_mark(receipt)} ***", columns), ""]
    out.append(rule)
    if receipt.voucher_code:
        out += _text_voucher(receipt, columns)
        out.append(rule)
    if receipt.taxable:
        out += _wrap(_("Prix TTC") if receipt.prices_include_tax else _("Prix HT"), columns)
    for line in receipt.lines:
        out += _text_line(line, receipt.currency, columns)
    out.append(rule)
    out += _text_totals(receipt, columns)
    if receipt.vat_rows:
        out.append(rule)
        out += _text_vat(receipt, columns)
    if receipt.tenders or receipt.change:
        out.append(rule)
        for label, amount in receipt.tenders:
            out += _row(label, _money(amount, receipt.currency), columns)
        if receipt.change:
            out += _row(_("Rendu monnaie"), _money(receipt.change, receipt.currency), columns)
    if receipt.mentions:
        out.append(rule)
        for mention in receipt.mentions:
            for paragraph in mention.splitlines():
                out += _wrap(paragraph, columns)
    if receipt.is_duplicate:
        out += ["", *_centered(f"*** {duplicate_mark(receipt)} ***", columns)]
    if receipt.footer:
        out += ["", *_centered(receipt.footer, columns)]
    return "\n".join(line.rstrip() for line in out) + "\n"


def duplicate_mark(receipt: Receipt) -> str:
    return _("DUPLICATA n° %(number)s") % {"number": receipt.duplicate_number}


def _when(receipt: Receipt) -> dict:
    return {"day": receipt.issued_at.strftime("%d/%m/%Y"), "time": receipt.issued_at.strftime("%H:%M")}


def _quantity_price(line: ReceiptLine, currency: str) -> str:
    """« 3 x 4,20 € », « - 10 % » when discounted."""
    shown = f"{_plain(decimal_fr(line.quantity))} x {_plain(unit_price_fr(line.unit_price, currency))}"
    if line.discount_percent:
        shown += f" - {_plain(percent_fr(line.discount_percent))}"
    return shown


def _text_line(line: ReceiptLine, currency: str, columns: int) -> list[str]:
    """A product: its designation, then « qty x price  amount code »; an eco-participation line,
    indented under it, on one row."""
    amount = f"{_money(line.amount, currency)} {line.vat_code}".rstrip()
    if line.is_child:
        return _row(f"  {line.description} {_quantity_price(line, currency)}", amount, columns)
    return _wrap(line.description, columns) + _row(f"  {_quantity_price(line, currency)}", amount, columns)


def _text_voucher(receipt: Receipt, columns: int) -> list[str]:
    """A voucher sold: its code, amount and validity, centred, before the line."""
    out = _centered(_("BON D'ACHAT"), columns)
    out += _centered(receipt.voucher_code, columns)
    out += _centered(_money(receipt.total_incl_tax, receipt.currency), columns)
    out += _centered(_("Valable jusqu'au %(day)s") % {"day": receipt.voucher_expires_on.strftime("%d/%m/%Y")}, columns)
    return out


def _text_totals(receipt: Receipt, columns: int) -> list[str]:
    currency = receipt.currency
    if not receipt.taxable:
        return _row(_("TOTAL (sans TVA)"), _money(receipt.total_incl_tax, currency), columns)
    out = _row(_("Total HT"), _money(receipt.total_excl_tax, currency), columns)
    out += _row(_("Total TVA"), _money(receipt.total_vat, currency), columns)
    out += _row(_("TOTAL TTC"), _money(receipt.total_incl_tax, currency), columns)
    if receipt.eco_participation_total:
        out += _row(_("dont éco-participation TTC"), _money(receipt.eco_participation_total, currency), columns)
    return out


def _text_vat(receipt: Receipt, columns: int) -> list[str]:
    """INV-09: per rate, its code and label, then base, VAT and gross on the next row."""
    out = []
    for row in receipt.vat_rows:
        out += _row(f"{row.code} {_('TVA')} {row.label}", "", columns)
        out += _row(
            f"  {_('HT')} {_money(row.base, receipt.currency)}",
            f"{_('TVA')} {_money(row.vat, receipt.currency)}",
            columns,
        )
    return out


# --- The file served -----------------------------------------------------------------------------

#: What a receipt is served as, by the output asked (``?format=``): content type, file extension,
#: and whether the browser shows it (a PDF, a text) or saves it (the printer's bytes).
OUTPUTS = {
    "pdf": ("application/pdf", "pdf", "inline"),
    "txt": ("text/plain; charset=utf-8", "txt", "inline"),
    "escpos": ("application/octet-stream", "bin", "attachment"),
}


@dataclass(frozen=True)
class ReceiptFile:
    content: bytes
    content_type: str
    content_disposition: str


def receipt_file(receipt: Receipt, *, width_mm: int, output: str, name: str) -> ReceiptFile:
    """The receipt as ``output`` asks (one of ``OUTPUTS``): a PDF as wide as the roll, UTF-8 text
    in the roll's columns, or the bytes an ESC/POS printer takes (CP858, cut at the end). The
    back-office pages and the API serve the same file (``name``: the file's name without its
    width and extension)."""
    content_type, extension, disposition = OUTPUTS[output]
    if output == "pdf":
        content = receipt_pdf(receipt, width_mm=width_mm)
    else:
        text = receipt_text(receipt, columns=columns_for(width_mm))
        content = to_escpos_bytes(text) if output == "escpos" else text.encode()
    return ReceiptFile(content, content_type, f'{disposition}; filename="{name}-{width_mm}mm.{extension}"')


# --- ESC/POS framing -----------------------------------------------------------------------------

ESC_INIT = b"\x1b@"  # ESC @: initialise the printer
ESC_CODE_PAGE_CP858 = b"\x1bt\x13"  # ESC t 19: character code table PC858 (Euro)
GS_CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter and cut (partial)


def to_escpos_bytes(value: str) -> bytes:
    """``value`` (``receipt_text``) framed for an ESC/POS printer: ESC @, code page CP858, the
    text encoded in CP858 (a character it cannot hold prints as « ? », a control character is
    dropped: a stray ESC or GS would be a command), then a feed and cut."""
    value = lmb_text.printable(unicodedata.normalize("NFC", value)).replace("\r", "")
    body = value.encode("cp858", errors="replace")
    return ESC_INIT + ESC_CODE_PAGE_CP858 + body + GS_CUT


# --- PDF for the roll ----------------------------------------------------------------------------

# The roll's printable width (mm): the print head is narrower than the paper.
PRINTABLE_MM = {80: 72, 58: 48}
# The first layout's page length (mm): long enough for hundreds of lines, within what PDF readers
# take (Acrobat's limit is 5080 mm). A longer ticket goes on several pages of this length.
LAYOUT_MM = 5000
MM_PER_PX = 25.4 / 96


def receipt_pdf(receipt: Receipt, *, width_mm: int = 80) -> bytes:
    """The ticket as a PDF one page wide as the roll and as long as its content. WeasyPrint has
    no « auto » page length (``size: 80mm auto`` is not CSS Paged Media), so the ticket is laid
    out once on a long page, measured, then laid out again on a page of its own length."""
    columns_for(width_mm)  # refuses an unknown roll
    html = lmb_text.printable(render_to_string("sales/receipt.html", _pdf_context(receipt, width_mm, LAYOUT_MM)))
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    if len(document.pages) == 1:
        length = _content_mm(document.pages[0]) + 1
        html = lmb_text.printable(render_to_string("sales/receipt.html", _pdf_context(receipt, width_mm, length)))
        document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(pdf_identifier=_identifier(receipt, width_mm))


def _content_mm(page) -> float:
    """How far down the page the content goes (mm), margins included. Reads WeasyPrint's layout
    (``Page._page_box``, not a public API: ``test_receipts`` checks the page length it gives)."""
    root = page._page_box.children[0]
    bottom = root.position_y + root.margin_height()
    return round(bottom * MM_PER_PX + page._page_box.margin_bottom * MM_PER_PX, 1)


def _pdf_context(receipt: Receipt, width_mm: int, length_mm: float) -> dict:
    margin = (width_mm - PRINTABLE_MM[width_mm]) / 2
    return {
        "receipt": receipt,
        "width_mm": width_mm,
        "length_mm": f"{length_mm:.1f}",
        "margin_mm": f"{margin:.1f}",
        "narrow": width_mm < 80,
        "vat_in_columns": _vat_fits_in_columns(receipt, columns_for(width_mm)),
        "when": _when(receipt),
        "duplicate_mark": duplicate_mark(receipt) if receipt.is_duplicate else "",
        "created_iso": receipt.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _vat_fits_in_columns(receipt: Receipt, columns: int) -> bool:
    """Whether the VAT table's four columns (rate, net, VAT, gross) fit the roll side by side:
    its characters, as the text receipt counts them, within the roll's columns."""
    widths = [
        len(f"{row.code} {row.label}")
        + sum(len(_money(amount, receipt.currency)) + 1 for amount in (row.base, row.vat, row.gross))
        for row in receipt.vat_rows
    ]
    return max(widths, default=0) <= columns


def _identifier(receipt: Receipt, width_mm: int) -> bytes:
    seed = f"lmb:receipt:{receipt.number}:{width_mm}:{receipt.duplicate_number}"
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest().encode()

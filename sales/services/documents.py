"""What every sales document shares: the customer's details copied on it, its VAT treatment,
its lines (added by product code, typed, shipping, eco-participation), and its totals."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product
from catalog.queries import find_by_code, unit_price_for
from crm import queries as crm_queries
from crm.models import Address
from lmb import bounds, money, rows, run_cache, text, transactions
from lmb.errors import InvalidInput, TransitionNotAllowed, messages_by_field
from lmb.services import get_company, next_reference, validate_and_save

from .. import totals, vat
from ..models import Channel, CreditNote, DocumentEvent, DocumentLine, Invoice, VatCategory

ZERO = Decimal("0")
LineKind = DocumentLine.Kind


def company_or_error():
    """The seller's identity (read once per run within ``lmb.run_cache.kept_in``)."""
    company = run_cache.remembered(("lmb.company",), get_company)
    if company is None:
        raise InvalidInput({"company": [_("Renseignez d'abord l'identité de l'entreprise (Paramètres > Entreprise).")]})
    return company


def address_snapshot(address: Address | None, name: str = "") -> dict:
    if address is None:
        return {}
    return {
        "name": address.recipient or name,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def fill_customer(document, customer, *, delivery_address: Address | None = None, billing_address: Address | None = None):
    """Copy the customer's identity and addresses on the document (INV-03, INV-15); the billing
    address is the customer's default one unless the document has its own (a web order's)."""
    document.customer = customer
    document.customer_name = customer.name
    document.customer_siren = customer.siren
    document.customer_vat_number = customer.vat_number
    document.customer_is_business = customer.is_business
    billing = billing_address or crm_queries.billing_address(customer)
    if delivery_address is None:
        delivery_address = customer.addresses.filter(kind=Address.Kind.DELIVERY, is_default=True).first() or billing
    document.billing_address = address_snapshot(billing, customer.name)
    document.delivery_address = address_snapshot(delivery_address, customer.name)
    document.payment_terms = customer.payment_terms
    document.payment_terms_days = customer.payment_terms_days


def decide_vat(document, *, on_date=None):
    """The document's VAT treatment, from where the goods go (VAT-10: goods handed over at the
    counter are a French sale, wherever the customer lives)."""
    if document.channel.kind == Channel.Kind.COUNTER:
        destination = {"country": "FR"}
    else:
        destination = document.delivery_address or document.billing_address
    treatment, country = vat.decide_treatment(
        company=company_or_error(),
        customer_is_business=document.customer_is_business,
        customer_vat_number=document.customer_vat_number,
        delivery_address=destination,
        on_date=on_date,
    )
    document.vat_treatment = treatment
    document.destination_country = country


def copy_header(source, target):
    """A document made from another (quote → order → invoice) keeps its customer, addresses and
    VAT treatment as they were agreed."""
    for name in (
        "channel",
        "customer",
        "customer_name",
        "customer_siren",
        "customer_vat_number",
        "customer_is_business",
        "billing_address",
        "delivery_address",
        "customer_reference",
        "vat_treatment",
        "destination_country",
        "prices_include_tax",
        "currency",
        "exchange_rate",
        "exchange_rate_date",
        "discount_percent",
        "payment_terms",
        "payment_terms_days",
        "note",
    ):
        setattr(target, name, getattr(source, name))


LINE_TERMS = (
    "kind",
    "product",
    "description",
    "unit",
    "unit_price",
    "discount_percent",
    "vat_rate",
    "vat_category",
    "vat_exemption_code",
)


def line_terms(line) -> dict:
    """What a line carries over to the next document (quote → order → invoice → credit note):
    the same article, price, discount and VAT; quantity, position and links are the caller's."""
    return {name: getattr(line, name) for name in LINE_TERMS}


def history_entry(document, action: str, *, user=None, detail: str = "") -> DocumentEvent:
    """The document's history entry for ``action``, not saved yet. ``detail`` is our own text (a
    number, an amount); a reason typed by a user is checked by its service (``history_reason``)."""
    return DocumentEvent(
        document_type=document._meta.model_name,
        document_id=document.pk,
        action=action,
        detail=detail[:255],  # our own text, cut to the column: never what a user typed (see history_reason)
        user=user,
    )


def history_reason(reason: str) -> str:
    """A reason typed by the user for the history (a refused quote, a cancelled order): it must
    fit the history's column, or the action is refused naming it."""
    return text.require_max_length(
        reason or "", DocumentEvent._meta.get_field("detail").max_length, field="reason", label=_("motif")
    )


def log_event(document, action: str, *, user=None, detail: str = ""):
    # Written by every transition: compiled once.
    rows.insert(history_entry(document, action, user=user, detail=detail))


def require_status(document, *allowed, action: str):
    """Refuse a transition from a status that does not allow it (HTTP 409 with the reason)."""
    if document.status not in allowed:
        raise TransitionNotAllowed(
            _("Impossible de %(action)s : le document %(document)s est « %(status)s ».")
            % {"action": action, "document": document, "status": document.get_status_display()}
        )


def lock(document):
    """The document's row, locked for the transition (two clicks never apply it twice)."""
    return rows.get_row(type(document), document.pk, for_update=True)


def locked_again(document, *related: str):
    """``lock(document)``, keeping the related objects (customer, channel…) the caller had read
    on it: the lock covers the document's row only, they would be read again for nothing."""
    locked = lock(document)
    for name in related:
        field = type(document)._meta.get_field(name)
        if field.is_cached(document) and getattr(document, field.attname) == getattr(locked, field.attname):
            field.set_cached_value(locked, field.get_cached_value(document))
    return locked


def number(document, code: str, prefix: str, on_date) -> str:
    return next_reference(code, prefix=prefix, yearly=True, on_date=on_date)


# --- Lines ---------------------------------------------------------------------------------------


def _is_service(product: Product | None, kind: str) -> bool:
    if kind in (LineKind.SHIPPING, *OUT_OF_SCOPE_KINDS):
        return False  # shipping follows the goods it carries (accessory to the supply)
    return kind == LineKind.TEXT or (product is not None and product.kind == Product.Kind.SERVICE)


def _is_service_line(line) -> bool:
    return _is_service(line.product if line.product_id else None, line.kind)


# Penalties and the recovery indemnity are damages, not a supply: outside the scope of VAT (PAY-05).
OUT_OF_SCOPE_KINDS = (LineKind.PENALTY, LineKind.INDEMNITY)


def _line_vat(document, product: Product | None, kind: str, on_date):
    if kind in OUT_OF_SCOPE_KINDS:
        return vat.OUT_OF_SCOPE
    return vat.line_vat(
        document.vat_treatment,
        product=product,
        vat_rate=product.vat_rate if product else None,
        is_service=_is_service(product, kind),
        customer_is_business=document.customer_is_business,
        country=document.destination_country,
        on_date=on_date,
    )


def _in_document_mode(document, price_excl_tax: Decimal, rate: Decimal) -> Decimal:
    return money.incl_from_excl(price_excl_tax, rate) if document.prices_include_tax else money.unit_price(price_excl_tax)


def _catalogue_price(document, product: Product, quantity, rate: Decimal) -> Decimal:
    """The product's price for this customer and quantity (price lists), in the document's mode.
    A shop price entered tax-included at the same rate is kept exactly."""
    excl = unit_price_for(product, customer_category=document.customer.customer_category, quantity=quantity)
    if (
        document.prices_include_tax
        and product.price_includes_tax
        and rate == product.vat_rate.rate
        and excl == product.sale_price_excl_tax
    ):
        return product.sale_price_incl_tax
    return _in_document_mode(document, excl, rate)


def _next_position(document) -> int:
    return (document.lines.aggregate(last=Max("position"))["last"] or 0) + 1


@transaction.atomic
def add_line(document, **line):
    """Add a line to a draft document (typed, or a scanned product code) and recompute its totals.

    Scan = quantity + 1 (issue #20): on a draft of a counter channel, a product scanned again —
    given by code or object with nothing typed but its quantity — adds that quantity to the
    last line of the same product with the same terms (price, discount, designation, unit, VAT;
    never a child line), and its eco-participation line follows (ECO-04). « 3*CODE » or a
    quantity of 3 adds 3. Only the counter merges: a shop's customer expects one line per
    article on the ticket, while on a quote, order or invoice of another channel the user may
    want the same article twice (two rooms, two delivery dates, a line given a discount later),
    so there a second scan still adds a second line. Returns the line added or increased."""
    document = locked_again(document, "channel", "customer")
    require_draft(document)
    built = new_lines(document, position=0, **line)  # placed below, once known to be a new line
    increased = _scanned_again(document, line, built)
    if increased is not None:
        refresh_totals(document, typed={increased.position: {"quantity"}})
        return increased
    for offset, new in enumerate(built, start=_next_position(document)):
        new.position = offset
    created = _save_new(built)
    refresh_totals(document, typed={created.position: {name for name in LINE_INPUTS if line.get(name) is not None}})
    return created


# What makes a line typed rather than scanned: given, the product gets a line of its own.
TYPED_TERMS = ("description", "unit_price", "discount_percent", "vat_rate")


def merges_scans(document) -> bool:
    """Whether a product scanned again on this draft increases its line (counter sales only,
    see ``add_line``)."""
    return document.channel.kind == Channel.Kind.COUNTER


def _scanned_again(document, line: dict, built: list):
    """The line of ``document`` that the product of ``line`` increases, saved with the scanned
    quantity added (its eco-participation line too); None when a new line is due: not a counter
    draft, something typed besides the quantity, no line of that product on the same terms.
    ``built``: the new lines ``line`` makes (``new_lines``: the product's price and VAT)."""
    if not merges_scans(document) or line.get("kind", LineKind.PRODUCT) != LineKind.PRODUCT:
        return None
    if any(line.get(name) not in (None, "") for name in TYPED_TERMS if name != "discount_percent"):
        return None
    if line.get("discount_percent"):
        return None
    scanned, *eco = built
    if scanned.kind != LineKind.PRODUCT:
        return None
    same_terms = {name: getattr(scanned, name) for name in LINE_TERMS}
    existing = document.lines.filter(parent=None, **same_terms).order_by("-position", "-pk").first()
    if existing is None or not _same_eco(existing, eco):
        return None
    total = existing.quantity + scanned.quantity
    if not bounds.fits(total, *_digits(type(existing), "quantity")):
        refusal = _("La quantité de la ligne « %(line)s » deviendrait trop grande.") % {"line": existing.description}
        raise InvalidInput({"quantity": [refusal]})
    return _change_line(existing, quantity=total)


def _same_eco(existing, eco: list) -> bool:
    """The eco-participation of the line increased is the one the scan brings (same amount), or
    both have none: a line whose contribution changed since is left as it was."""
    children = [(child.kind, child.unit_price) for child in type(existing).objects.filter(parent=existing)]
    return children == [(line.kind, line.unit_price) for line in eco]


def _digits(model, name: str) -> tuple[int, int]:
    field = model._meta.get_field(name)
    return field.max_digits, field.decimal_places


@transaction.atomic
def change_line(line, **changes):
    """Change a draft's line (quantity, price, discount, designation) and recompute its totals."""
    document = lock(line.document)
    require_draft(document)
    typed = {name for name in LINE_INPUTS if name in changes and changes[name] != getattr(line, name)}
    _change_line(line, **changes)
    refresh_totals(document, typed={line.position: typed})
    return line


@transaction.atomic
def remove_line(line):
    document = lock(line.document)
    require_draft(document)
    type(line).objects.filter(parent=line).delete()
    line.delete()
    refresh_totals(document)
    return document


EDITABLE_HEADER = ("discount_percent", "payment_terms", "payment_terms_days", "customer_reference", "note", "valid_until")


@transaction.atomic
def update_draft(document, *, user=None, **changes):
    """Change a draft's terms (document discount, payment terms, customer reference, note, a
    quote's validity) and recompute its totals. Who it is for and how VAT applies do not change:
    that is a new document."""
    document = lock(document)
    require_draft(document)
    unknown = set(changes) - {name for name in EDITABLE_HEADER if hasattr(document, name)}
    if unknown:
        raise InvalidInput({name: [_("Ce champ ne se modifie pas sur un brouillon.")] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(document, name, value)
    validate_and_save(document)
    log_event(document, "updated", user=user)
    return refresh_totals(document)


def append_line(document, **line):
    """A new line on a draft: a product (by object or scanned code), a free text, or shipping.
    A product brings its price (price lists included), designation, unit and VAT; one with an
    eco-participation brings a linked line for it (never discounted, same VAT, ECO-04).
    Totals are not recomputed: the caller does it once after its lines."""
    return _save_new(new_lines(document, position=_next_position(document), **line))


def _save_new(lines: list):
    """Save a line from ``new_lines`` and its eco-participation line, linked to it."""
    created, *eco = lines
    validate_and_save(created)
    for linked in eco:
        linked.parent = created
        linked.save()
    return created


# A reduction line — a web shop's cart rule, « Remise « BIENVENUE10 » » — is a free-text or
# shipping line with a negative quantity (EN 16931 allows a negative BT-129/BT-131, never a
# negative price, BR-27): it lowers its VAT rate's total, on the document and in the books.
# Products never take a negative quantity (returns are credit notes).
REDUCING_KINDS = (LineKind.TEXT, LineKind.SHIPPING)


def new_lines(
    document,
    *,
    position: int,
    product=None,
    code: str = "",
    description: str = "",
    quantity=1,
    unit_price=None,
    discount_percent=ZERO,
    kind: str = LineKind.PRODUCT,
    vat_rate=None,
) -> list:
    """What ``append_line`` adds, not saved yet: the line at ``position``, then its
    eco-participation line (if any) right after it, linked to it once both are saved."""
    if code and product is None:
        product = find_by_code(code)
        if product is None:
            raise InvalidInput({"code": [_("Aucun produit n'a le code « %(code)s ».") % {"code": code}]})
    if kind == LineKind.PRODUCT and product is None:
        kind = LineKind.TEXT
    if kind in (LineKind.TEXT, *OUT_OF_SCOPE_KINDS) and not description:
        raise InvalidInput({"description": [_("Saisissez la désignation de la ligne.")]})
    try:
        quantity = money.quantity(quantity)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"quantity": [str(exc)]}) from exc
    if quantity <= 0 and not (quantity < 0 and kind in REDUCING_KINDS):
        raise InvalidInput({"quantity": [_("La quantité doit être positive.")]})
    on_date = timezone.localdate()
    line_vat = _line_vat(document, product, kind, on_date)
    rate = line_vat.rate if vat_rate is None or line_vat.category != VatCategory.STANDARD else money.round_to(vat_rate, 3)
    if unit_price is None:
        unit_price = _catalogue_price(document, product, quantity, rate) if product is not None else ZERO
    line = line_model(document)(
        document=document,
        position=position,
        kind=kind,
        product=product,
        description=description or (product.designation if product else ""),
        quantity=quantity,
        unit=product.unit if product else "C62",
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_rate=rate,
        vat_category=line_vat.category,
        vat_exemption_code=line_vat.exemption_code,
    )
    if not (kind == LineKind.PRODUCT and product.eco_participation):
        return [line]
    eco = line_model(document)(
        document=document,
        position=position + 1,
        kind=LineKind.ECO,
        product=product,
        description=_("Éco-participation"),
        quantity=quantity,
        unit=line.unit,
        unit_price=_in_document_mode(document, product.eco_participation, rate),
        vat_rate=rate,
        vat_category=line_vat.category,
        vat_exemption_code=line_vat.exemption_code,
    )
    return [line, eco]


def line_model(document):
    """The model of the document's lines (read from the class: the document may not be saved yet)."""
    return type(document).lines.rel.related_model


def insert_lines(document, lines: list) -> list:
    """Save a new document's lines (from ``new_lines``, in their order) in two statements: the
    lines, then the eco-participation lines linked to them. Each line is checked as
    ``validate_and_save`` checks it, less the foreign keys it was handed saved objects for (the
    document, the product; the parent just below), and carries the amounts ``recompute`` will
    find for it. Returns ``lines``, saved."""
    return save_new_lines(line_model(document), check_lines(document, lines))


def check_lines(document, lines: list) -> list:
    """What ``insert_lines`` does before saving: check each line, set its amounts. Returns ``lines``."""
    for line in lines:
        try:
            line.full_clean(exclude=["document", "product", "parent"])  # also turns "5" into Decimal("5")
        except ValidationError as exc:
            raise InvalidInput(messages_by_field(exc)) from exc
        if refused := text.model_text_errors(line):
            raise InvalidInput(refused)
    return set_line_amounts(document, lines)


def save_new_lines(model, lines: list) -> list:
    """Insert checked lines, of one document or of several one after the other, in two statements:
    the lines, then the eco-participation lines, each linked to the line just before it."""
    parents = {index: lines[index - 1] for index, line in enumerate(lines) if line.kind == LineKind.ECO}
    model.objects.bulk_create([line for index, line in enumerate(lines) if index not in parents])
    for index, parent in parents.items():
        lines[index].parent = parent
    if parents:
        model.objects.bulk_create([lines[index] for index in parents])
    return lines


def set_line_amounts(document, lines: list) -> list:
    """Set on lines not saved yet the amounts ``recompute`` will find for them (same VAT moves,
    same arithmetic), so that it has none left to write: it stays the authority, and would
    still store any difference. Returns ``lines``."""
    if not isinstance(document, CreditNote):
        vat.services_follow_exported_goods(document.vat_treatment, lines, is_service=_is_service_line)
    for line, amounts in zip(lines, _totals_of(document, lines).lines, strict=True):
        line.net_amount, line.gross_amount = amounts.net, amounts.gross
    return lines


def _totals_of(document, lines, typed=None) -> totals.DocumentTotals:
    """The document's amounts computed from its lines (``totals.compute``, the one arithmetic),
    refused when a column could not hold one of them (``_check_amounts``)."""
    result = totals.of_lines(lines, prices_include_tax=document.prices_include_tax, discount_percent=document.discount_percent)
    _check_amounts(document, lines, result, typed or {})
    return result


# What a document's totals are called when one is too large for its column.
_TOTAL_NAMES = {
    "lines_total": gettext_lazy("le total des lignes HT"),
    "total_excl_tax": gettext_lazy("le total HT"),
    "total_vat": gettext_lazy("le total de TVA"),
    "total_incl_tax": gettext_lazy("le total TTC"),
}


# What the user types on a line that makes its amount: a refusal names the one at fault.
LINE_INPUTS = {
    "quantity": gettext_lazy("quantité"),
    "unit_price": gettext_lazy("prix unitaire"),
    "discount_percent": gettext_lazy("remise"),
}


def _check_amounts(document, lines, result: totals.DocumentTotals, typed: dict[int, set[str]]):
    """Every amount computed from the lines must fit its column (``lmb.bounds``): a quantity or a
    price too large for what it makes is refused before anything is saved — on SQLite the
    document could never be read again, on PostgreSQL it would be a 500. The refusal names the
    input at fault on the line in question (``_at_fault``); ``typed``: position → the inputs the
    user just typed on that line."""
    model = type(document)
    for line, amounts in zip(lines, result.lines, strict=True):
        column = type(line)._meta.get_field("net_amount")
        for value in (amounts.net, amounts.gross):
            if not bounds.fits(value, column.max_digits, column.decimal_places):
                what = _("le montant de la ligne « %(line)s »") % {"line": line.description}
                _refuse_too_large(_at_fault(typed.get(line.position, set())), what, value, column)
    for name, what in _TOTAL_NAMES.items():
        column = model._meta.get_field(name)
        value = getattr(result, name)
        if not bounds.fits(value, column.max_digits, column.decimal_places):
            just_typed = next((fields for fields in typed.values() if fields), set())
            _refuse_too_large(_at_fault(just_typed), what, value, column)


def _at_fault(typed: set[str]) -> str:
    """The input that made a line's amount too large: the quantity or the unit price the user
    just typed on it; the quantity when both were (or on a new document's lines, where a price
    alone never fills the column: a unit price holds 10 digits, an amount 12). A discount only
    lowers an amount."""
    suspects = typed & {"quantity", "unit_price"}
    return suspects.pop() if len(suspects) == 1 else "quantity"


def _refuse_too_large(field: str, what, value, column):
    message = bounds.too_large_result(LINE_INPUTS[field], what, value, column.max_digits, column.decimal_places)
    raise InvalidInput({field: [message]})


def _change_line(line, **changes):
    """Its eco-participation line follows the quantity."""
    for frozen in ("document", "kind", "product", "parent", "vat_category", "vat_exemption_code"):
        changes.pop(frozen, None)
    for name, value in changes.items():
        setattr(line, name, value)
    if line.quantity is None or money.quantity(line.quantity) <= 0:
        raise InvalidInput({"quantity": [_("La quantité doit être positive.")]})
    validate_and_save(line)
    if "quantity" in changes:
        type(line).objects.filter(parent=line, kind=LineKind.ECO).update(quantity=line.quantity)
    return line


# --- Totals --------------------------------------------------------------------------------------


def ordered_lines(document) -> list:
    """The document's lines in their printed order (read on every issue: compiled once)."""
    related = document.lines
    return rows.rows_where(related.model, related.field.column, document.pk, order_by=("position", "id"))


def recompute(document, *, on_date=None, lines=None, typed=None):
    """Compute and store line amounts, the VAT breakdown, totals and legal mentions. ``lines``:
    the document's lines when the caller already fetched them (``ordered_lines``)."""
    lines = ordered_lines(document) if lines is None else lines
    if not isinstance(document, CreditNote):  # a credit note keeps the categories of the lines it credits
        moved = vat.services_follow_exported_goods(document.vat_treatment, lines, is_service=_is_service_line)
        if moved:
            type(moved[0]).objects.bulk_update(moved, ["vat_category", "vat_exemption_code"])
    result = _totals_of(document, lines, typed)
    changed = []
    for line, amounts in zip(lines, result.lines, strict=True):
        if (line.net_amount, line.gross_amount) != (amounts.net, amounts.gross):
            line.net_amount, line.gross_amount = amounts.net, amounts.gross
            changed.append(line)
    if changed:  # usually none: every edit of a draft already stored its amounts
        type(changed[0]).objects.bulk_update(changed, ["net_amount", "gross_amount"])
    document.lines_total = result.lines_total
    document.allowance_total = result.allowance_total
    document.total_excl_tax = result.total_excl_tax
    document.total_vat = result.total_vat
    document.total_incl_tax = result.total_incl_tax
    document.vat_breakdown = [group.as_dict() for group in result.groups]
    document.eco_participation_total = totals.eco_participation_total(
        [(line.vat_rate, amounts) for line, amounts in zip(lines, result.lines, strict=True) if line.kind == LineKind.ECO],
        prices_include_tax=document.prices_include_tax,
    )
    document.total_vat_eur = (
        money.amount(document.total_vat / document.exchange_rate)
        if document.currency != "EUR" and document.exchange_rate
        else None
    )
    document.legal_mentions = vat.legal_mentions(
        treatment=document.vat_treatment,
        categories={group.category for group in result.groups},
        customer_is_business=document.customer_is_business,
        company=company_or_error(),
        on_date=on_date or timezone.localdate(),
        is_invoice=isinstance(document, Invoice),
    )
    return document


# What ``recompute`` sets on a document.
TOTAL_FIELDS = (
    "lines_total",
    "allowance_total",
    "total_excl_tax",
    "total_vat",
    "total_incl_tax",
    "vat_breakdown",
    "eco_participation_total",
    "total_vat_eur",
    "legal_mentions",
)


def save_totals(document, **save_kwargs):
    document.save(update_fields=TOTAL_FIELDS, **save_kwargs)


@transactions.atomic
def refresh_totals(document, *, lines=None, typed=None):
    """Recompute and store the totals; ``lines``: the document's lines in order, when the caller
    has them; ``typed``: position → the inputs just typed on that line (named if refused)."""
    recompute(document, lines=lines, typed=typed)
    save_totals(document)
    return document


def is_editable(document) -> bool:
    return document.status == "draft"


def require_draft(document):
    if not is_editable(document):
        raise TransitionNotAllowed(
            _("Le document %(document)s n'est plus un brouillon : il ne se modifie plus.") % {"document": document}
        )

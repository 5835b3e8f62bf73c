"""Which VAT applies to a sale (fr-rules §2.1), decided once on the document from the seller, the
customer and the delivery address; then, line by line, the category (EN 16931), the rate and the
exemption reason; and the legal mentions the document must carry.

The texts and rates are data (``LegalMention``, ``catalog.VatRate``), not code.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product, VatRate
from lmb import money, run_cache
from lmb.countries import EU_MEMBER_STATES
from lmb.errors import InvalidInput
from lmb.formats import decimal_fr, percent_fr

from .models import Invoice, LegalMention, VatCategory, VatTreatment

ZERO = Decimal("0")
# Overseas departments (DOM): ISO codes, or FR with these postal code prefixes. Saint-Pierre,
# Saint-Barthélemy, Saint-Martin (975, 977, 978) are outside the EU VAT territory: exports too.
OVERSEAS_COUNTRIES = {"GP", "MQ", "GF", "RE", "YT"}
OVERSEAS_POSTAL_PREFIXES = {"971", "972", "973", "974", "976"}
NON_EU_FRENCH_POSTAL_PREFIXES = {"975", "977", "978", "986", "987", "988"}


@dataclass(frozen=True)
class Destination:
    country: str  # ISO code, FR for metropolitan France and Corsica
    territory: str  # "france", "overseas", "eu", "non_eu"


def destination_of(address: dict) -> Destination:
    country = (address.get("country") or "FR").upper()
    postal_prefix = (address.get("postal_code") or "")[:3]
    if country in OVERSEAS_COUNTRIES or (country == "FR" and postal_prefix in OVERSEAS_POSTAL_PREFIXES):
        return Destination(country, "overseas")
    if country == "FR" and postal_prefix in NON_EU_FRENCH_POSTAL_PREFIXES:
        return Destination(country, "non_eu")
    if country in ("FR", "MC"):  # Monaco is in the French VAT territory
        return Destination("FR", "france")
    if country in EU_MEMBER_STATES:
        return Destination(country, "eu")
    return Destination(country, "non_eu")


def eu_distance_sales(year: int) -> Decimal:
    """Distance sales of goods to EU consumers issued in a year (tax excluded), for the OSS threshold."""
    return eu_distance_sales_of(year)[year]


# The status and treatments are written into the statement, not bound: PostgreSQL then knows,
# even for a prepared statement, that the partial index sales_invoice_eu_sales_idx holds every
# row wanted, and reads those invoices only.
_EU_DISTANCE_SALES_SQL = (
    f"SELECT {{sums}} FROM {Invoice._meta.db_table} "  # noqa: S608
    f"WHERE status = '{Invoice.Status.ISSUED}' AND vat_treatment IN ('{VatTreatment.EU_B2C}', '{VatTreatment.EU_OSS}') "
    "AND invoice_date >= %s AND invoice_date <= %s"
)


def eu_distance_sales_of(*years: int) -> dict[int, Decimal]:
    """``eu_distance_sales`` of each year, read in one statement."""
    sums = ", ".join(["SUM(total_excl_tax) FILTER (WHERE invoice_date >= %s AND invoice_date <= %s)"] * len(years))
    bounds = [bound for year in years for bound in (date(year, 1, 1), date(year, 12, 31))]
    with connection.cursor() as cursor:
        cursor.execute(_EU_DISTANCE_SALES_SQL.format(sums=sums), [*bounds, min(bounds), max(bounds)])
        totals = cursor.fetchone()
    # SQLite adds decimals in floating point: back to the cent.
    return {year: money.amount(str(total)) if total is not None else ZERO for year, total in zip(years, totals, strict=True)}


def oss_applies(company, *, on_date: date, amount: Decimal = ZERO) -> bool:
    """VAT-14/15: destination VAT once registered to the OSS, or once the EU-wide distance sales
    of the previous or the current year (this sale included) exceed the threshold."""
    if company.oss_registered:
        return True
    threshold, year = company.oss_threshold, on_date.year

    def passed(amount: Decimal) -> bool:
        sales = eu_distance_sales_of(year - 1, year)
        return sales[year - 1] > threshold or sales[year] + amount > threshold

    # Issued invoices are never deleted and the sum counts no credit note: once passed by what is
    # issued, the threshold stays passed for the year, and a shop sync stops summing per EU order.
    return run_cache.once_true(("sales.oss_threshold_passed", year, threshold), lambda: passed(ZERO)) or (
        amount > 0 and passed(amount)
    )


def decide_treatment(
    *, company, customer_is_business: bool, customer_vat_number: str, delivery_address: dict, on_date: date | None = None
) -> tuple[str, str]:
    """The document's VAT treatment and destination country."""
    destination = destination_of(delivery_address)
    if company.vat_franchise:
        return VatTreatment.FRANCHISE, destination.country
    if destination.territory == "france":
        return VatTreatment.FRANCE, destination.country
    if destination.territory == "overseas":
        return VatTreatment.OVERSEAS, destination.country
    if destination.territory == "non_eu":
        return VatTreatment.EXPORT, destination.country
    if customer_is_business and customer_vat_number:
        return VatTreatment.EU_B2B, destination.country
    if oss_applies(company, on_date=on_date or timezone.localdate()):
        return VatTreatment.EU_OSS, destination.country
    return VatTreatment.EU_B2C, destination.country


@dataclass(frozen=True)
class LineVat:
    category: str
    rate: Decimal
    exemption_code: str = ""


def destination_rate(country: str, french_category: str, on_date: date) -> Decimal:
    """OSS: the rate of the destination state for the kind of rate the product has in France
    (standard, or the state's reduced rate for a reduced French rate). The table is data
    (catalog.VatRate, one row per member state and rate)."""
    rates = VatRate.objects.filter(territory=country, valid_from__lte=on_date).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on_date)
    )
    wanted = VatRate.Category.STANDARD if french_category == VatRate.Category.STANDARD else VatRate.Category.REDUCED
    rate = rates.filter(category=wanted).order_by("-rate").first() or rates.filter(category=VatRate.Category.STANDARD).first()
    if rate is None:
        raise InvalidInput(
            {
                "vat_rate": [
                    _("Aucun taux de TVA pour %(country)s : chargez les taux de cet État (Paramètres > Taux de TVA).")
                    % {"country": country}
                ]
            }
        )
    return rate.rate


def line_vat(
    treatment: str,
    *,
    product: Product | None,
    vat_rate: VatRate | None,
    is_service: bool,
    customer_is_business: bool,
    country: str,
    on_date: date,
) -> LineVat:
    """The VAT category, rate and exemption reason of one line under the document's treatment."""
    french_rate = vat_rate.rate if vat_rate is not None else Decimal("20")
    if treatment in (VatTreatment.FRANCE, VatTreatment.EU_B2C):
        return LineVat(VatCategory.STANDARD, french_rate)
    if treatment == VatTreatment.FRANCHISE:
        return LineVat(VatCategory.EXEMPT, ZERO, "VATEX-FR-FRANCHISE")
    if treatment == VatTreatment.EU_OSS:
        if is_service:  # services to consumers: French VAT (general rule, dir. 2006/112 art. 45)
            return LineVat(VatCategory.STANDARD, french_rate)
        category = vat_rate.category if vat_rate is not None else VatRate.Category.STANDARD
        return LineVat(VatCategory.STANDARD, destination_rate(country, category, on_date))
    if treatment == VatTreatment.EU_B2B:
        if is_service:  # VAT-13: place of supply is the customer's state, who self-assesses
            return LineVat(VatCategory.REVERSE_CHARGE, ZERO, "VATEX-EU-AE")
        return LineVat(VatCategory.INTRA_EU, ZERO, "VATEX-EU-IC")
    # Export and overseas departments: goods leave the EU VAT territory (VAT-12, VAT-04).
    if is_service:
        if customer_is_business:  # VAT-16: outside the scope of French VAT
            return OUT_OF_SCOPE  # with exported goods, their accessory: services_follow_exported_goods
        return LineVat(VatCategory.STANDARD, french_rate)  # services to consumers: French VAT
    return EXPORTED


EXPORTED = LineVat(VatCategory.EXPORT, ZERO, "VATEX-EU-G")
OUT_OF_SCOPE = LineVat(VatCategory.OUT_OF_SCOPE, ZERO, "VATEX-EU-O")


def services_follow_exported_goods(treatment: str, lines, *, is_service) -> list:
    """Outside the EU (export, overseas), a business's services are out of the scope of French VAT
    (O) and goods are exported exempt (G), but EN 16931 forbids O beside any other category
    (BR-O-11 to 14). A French accountant reads a service sold with exported goods — installation,
    engraving, packing, handling — as their accessory: its price is part of the exempt export's
    (CGI 262 I and 267 I-2°, as for transport). So while the document has exported goods its O
    lines are G; once it has none, they are O again. Sets the lines' category and exemption and
    returns those it changed (to save)."""
    if treatment not in (VatTreatment.EXPORT, VatTreatment.OVERSEAS):
        return []
    with_goods = any(line.vat_category == VatCategory.EXPORT and not is_service(line) for line in lines)
    target = EXPORTED if with_goods else OUT_OF_SCOPE
    changed = [
        line
        for line in lines
        if line.vat_category in (VatCategory.EXPORT, VatCategory.OUT_OF_SCOPE)
        and is_service(line)
        and (line.vat_category, line.vat_exemption_code) != (target.category, target.exemption_code)
    ]
    for line in changed:
        line.vat_category, line.vat_exemption_code = target.category, target.exemption_code
    return changed


# --- In words ------------------------------------------------------------------------------------

# What a shopkeeper reads for a VAT category beside its rate, on screens and PDFs; the EN 16931
# codes (K, G, AE…) stay in the Factur-X XML and the API.
CATEGORY_WORDS = {
    VatCategory.ZERO: gettext_lazy("taux zéro"),
    VatCategory.EXEMPT: gettext_lazy("exonération"),
    VatCategory.REVERSE_CHARGE: gettext_lazy("autoliquidation"),
    VatCategory.INTRA_EU: gettext_lazy("autoliquidation intracommunautaire"),
    VatCategory.EXPORT: gettext_lazy("exportation"),
    VatCategory.OUT_OF_SCOPE: gettext_lazy("hors champ de la TVA"),
}
EXEMPTION_WORDS = {"VATEX-FR-FRANCHISE": gettext_lazy("franchise en base")}


def vat_label(category: str, rate, exemption_code: str = "") -> str:
    """A line's or a breakdown's VAT as read: « 20 % », « 0 % — exportation », « 0 % —
    autoliquidation intracommunautaire »; out of scope has no rate at all (CAL-10)."""
    if category == VatCategory.STANDARD:
        return percent_fr(rate)
    words = EXEMPTION_WORDS.get(exemption_code) or CATEGORY_WORDS.get(category) or category
    if category == VatCategory.OUT_OF_SCOPE:
        return str(words)
    return f"{percent_fr(rate)} — {words}"


def exemption_codes(lines) -> dict[str, str]:
    """The exemption reason (EN 16931 BT-121) of each VAT category, as stored on its lines: a
    breakdown row carries its lines' (the Factur-X XML codes it, the PDF and screens word it)."""
    codes = {}
    for line in lines:
        if line.vat_exemption_code:
            codes.setdefault(line.vat_category, line.vat_exemption_code)
    return codes


def labelled_breakdown(groups: list[dict], lines) -> list[dict]:
    """Each row of a VAT breakdown (INV-09) with its ``label``, read as its lines' VAT column:
    « 0 % — autoliquidation intracommunautaire », « 0 % — franchise en base »."""
    codes = exemption_codes(lines)
    return [{**group, "label": vat_label(group["category"], group["rate"], codes.get(group["category"], ""))} for group in groups]


def treatment_label(treatment: str) -> str:
    """A document's VAT treatment as read (« Export hors UE »); an unknown code as it is."""
    return str(VatTreatment(treatment).label) if treatment in VatTreatment.values else treatment


# The mention each exemption needs (INV-10, INV-11, INV-14), and the payment mentions (INV-12, INV-13).
CATEGORY_MENTIONS = {
    VatCategory.INTRA_EU: "exemption_intra_eu",
    VatCategory.EXPORT: "exemption_export",
    VatCategory.REVERSE_CHARGE: "reverse_charge",
    VatCategory.EXEMPT: "franchise",
    VatCategory.OUT_OF_SCOPE: "out_of_scope",
}


def mention_texts(codes: list[str], on_date: date) -> dict[str, str]:
    """The text in force on ``on_date`` of each mention code (the newest one wins), in one plain
    statement: every document issued reads it."""
    table = LegalMention._meta.db_table
    placeholders = ", ".join(["%s"] * len(codes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT code, text FROM {table} WHERE code IN ({placeholders}) AND valid_from <= %s
                AND (valid_until IS NULL OR valid_until >= %s) ORDER BY code, valid_from""",  # noqa: S608
            [*codes, *[connection.ops.adapt_datefield_value(on_date)] * 2],
        )
        return dict(cursor.fetchall())  # later rows (newer valid_from) overwrite older ones


def legal_mentions(
    *, treatment: str, categories: set[str], customer_is_business: bool, company, on_date: date, is_invoice: bool
) -> list[str]:
    """The legal texts a document of this treatment must print, in order: the VAT mentions on
    every document; the payment mentions (escompte, late penalties, INV-12; the EUR 40 indemnity
    to a business, INV-13) on invoices only — a quote, an order or a credit note asks no payment."""
    codes = [CATEGORY_MENTIONS[category] for category in sorted(categories) if category in CATEGORY_MENTIONS]
    if treatment == VatTreatment.OVERSEAS and "exemption_export" in codes:
        codes[codes.index("exemption_export")] = "exemption_overseas"
    if treatment == VatTreatment.EU_OSS:
        codes.append("oss")
    wanted = (*codes, "late_penalties", "recovery_indemnity")
    in_force = run_cache.remembered(("sales.mention_texts", wanted, on_date), lambda: mention_texts(list(wanted), on_date))
    texts = [in_force.get(code, "") for code in codes]
    if is_invoice:
        texts.append(company.early_payment_terms)
        if company.late_penalty_rate:
            texts.append(in_force.get("late_penalties", "").format(rate=_percent(company.late_penalty_rate)))
        if customer_is_business:  # INV-13: never on a consumer's invoice
            texts.append(in_force.get("recovery_indemnity", ""))
    return [text for text in texts if text]


def _percent(value) -> str:
    return decimal_fr(value)

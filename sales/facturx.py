"""The Factur-X (EN 16931 profile) CII XML of an issued invoice, deposit invoice or credit note.

Every amount is copied from the stored document — lines, VAT breakdown, totals, deposits, amount
due, VAT total in EUR — and never recomputed: the XML says what the PDF says, to the cent (peers'
files drift by a cent exactly where they recompute). Paths and business terms (BT-…) follow
fr-rules §11 and the EN 16931 CII syntax binding.
"""

from decimal import Decimal

from lxml import etree

from lmb.text import xml_text

from . import vat
from .models import CreditNote, Invoice, VatCategory

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931 = "urn:cen.eu:en16931:2017"
TYPE_INVOICE, TYPE_CREDIT_NOTE, TYPE_DEPOSIT = "380", "381", "386"
SEPA_CREDIT_TRANSFER = "58"
# Subject codes of the payment notes (UNTDID 4451), as the French e-invoicing guides use them.
NOTE_SUBJECTS = (("indemnité forfaitaire", "PMT"), ("pénalités", "PMD"), ("escompte", "AAB"))
# Categories whose breakdown carries an exemption reason and a rate of 0 (CAL-10).
EXEMPT_CATEGORIES = {VatCategory.EXEMPT, VatCategory.REVERSE_CHARGE, VatCategory.INTRA_EU, VatCategory.EXPORT}


def _tag(prefix_name: str) -> str:
    prefix, name = prefix_name.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _add(parent, name: str, text=None, **attributes):
    """Every text and attribute of the XML goes through here: what XML cannot carry (a control
    character stored before the input refused them) is dropped, never a file that cannot be built."""
    element = etree.SubElement(parent, _tag(name), {key: xml_text(value) for key, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _amount(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def _plain(value) -> str:
    """A decimal as CII wants it: "20", "5.5", "1.250" → "1.25" (never "2E+1")."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(parent, name: str, day, *, qualified=False):
    holder = _add(parent, name)
    _add(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _address(parent, address: dict, fallback_country: str = "FR"):
    postal = _add(parent, "ram:PostalTradeAddress")
    if address.get("postal_code"):
        _add(postal, "ram:PostcodeCode", address["postal_code"])
    if address.get("line1"):
        _add(postal, "ram:LineOne", address["line1"])
    if address.get("line2"):
        _add(postal, "ram:LineTwo", address["line2"])
    if address.get("city"):
        _add(postal, "ram:CityName", address["city"])
    _add(postal, "ram:CountryID", (address.get("country") or fallback_country).upper())


def _company_address(company) -> dict:
    return {
        "line1": company.address_line1,
        "line2": company.address_line2,
        "postal_code": company.postal_code,
        "city": company.city,
        "country": company.country,
    }


def type_code(document) -> str:
    if isinstance(document, CreditNote):
        return TYPE_CREDIT_NOTE
    return TYPE_DEPOSIT if document.kind == Invoice.Kind.DEPOSIT else TYPE_INVOICE


def _issue_date(document):
    return document.credit_date if isinstance(document, CreditNote) else document.invoice_date


def _has_out_of_scope(lines) -> bool:
    return any(line.vat_category == VatCategory.OUT_OF_SCOPE for line in lines)


def build_xml(document, *, company, lines) -> bytes:
    """The CII XML (bytes, UTF-8) of an issued ``Invoice`` or ``CreditNote``; ``lines`` are its
    lines in order (passed in so the caller fetches them once for the PDF and the XML)."""
    root = etree.Element(_tag("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _add(root, "rsm:ExchangedDocumentContext")
    _add(_add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = _add(root, "rsm:ExchangedDocument")
    _add(header, "ram:ID", document.number)
    _add(header, "ram:TypeCode", type_code(document))
    _date(header, "ram:IssueDateTime", _issue_date(document))
    for text in _notes(document, company):
        note = _add(header, "ram:IncludedNote")
        _add(note, "ram:Content", text)
        subject = next((code for keyword, code in NOTE_SUBJECTS if keyword in text.lower()), None)
        if subject:
            _add(note, "ram:SubjectCode", subject)
    transaction = _add(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(lines, start=1):
        _line(transaction, line, index)
    _agreement(transaction, document, company, out_of_scope=_has_out_of_scope(lines))
    _delivery(transaction, document)
    _settlement(transaction, document, company, lines)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _notes(document, company) -> list[str]:
    """BT-22: the seller's legal identity, the credit note's reason, then the stored legal mentions."""
    identity = [company.name, company.get_legal_form_display() if company.legal_form != "other" else ""]
    if company.share_capital:
        identity.append(f"au capital de {_plain(company.share_capital)} EUR")
    if company.rcs_city:
        identity.append(f"RCS {company.rcs_city} {company.siren}")
    notes = [" ".join(part for part in identity if part)]
    if isinstance(document, CreditNote) and document.reason:
        notes.append(f"Motif de l'avoir : {document.reason}")
    return notes + [text for text in document.legal_mentions if text]


def _line(transaction, line, index: int):
    item = _add(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _add(_add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", index)
    product = _add(item, "ram:SpecifiedTradeProduct")
    if line.product_id and line.product.reference:
        _add(product, "ram:SellerAssignedID", line.product.reference)
    _add(product, "ram:Name", line.description)
    agreement = _add(item, "ram:SpecifiedLineTradeAgreement")
    price = _add(agreement, "ram:NetPriceProductTradePrice")
    _add(price, "ram:ChargeAmount", _plain(_net_unit_price(line)))
    delivery = _add(item, "ram:SpecifiedLineTradeDelivery")
    _add(delivery, "ram:BilledQuantity", _plain(line.quantity), unitCode=line.unit or "C62")
    settlement = _add(item, "ram:SpecifiedLineTradeSettlement")
    tax = _add(settlement, "ram:ApplicableTradeTax")
    _add(tax, "ram:TypeCode", "VAT")
    _add(tax, "ram:CategoryCode", line.vat_category)
    if line.vat_category != VatCategory.OUT_OF_SCOPE:
        _add(tax, "ram:RateApplicablePercent", _plain(line.vat_rate))
    summation = _add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _add(summation, "ram:LineTotalAmount", _amount(line.net_amount))


def _net_unit_price(line) -> Decimal:
    """BT-146, informative: the stored line net (BT-131) per unit, tax excluded, discount applied.
    The line net itself is what every total adds up."""
    if not line.quantity:
        return Decimal(0)
    return (line.net_amount / line.quantity).quantize(Decimal("0.000001"))


def _agreement(transaction, document, company, *, out_of_scope: bool):
    agreement = _add(transaction, "ram:ApplicableHeaderTradeAgreement")
    if document.customer_reference:
        _add(agreement, "ram:BuyerReference", document.customer_reference)
    seller = _add(agreement, "ram:SellerTradeParty")
    _add(seller, "ram:Name", company.name)
    legal = _add(seller, "ram:SpecifiedLegalOrganization")
    _add(legal, "ram:ID", company.siren, schemeID="0002")
    if company.trade_name:
        _add(legal, "ram:TradingBusinessName", company.trade_name)
    _address(seller, _company_address(company))
    if company.email:
        _add(_add(seller, "ram:URIUniversalCommunication"), "ram:URIID", company.email, schemeID="EM")
    if company.vat_number and not out_of_scope:  # BR-O-02: no VAT number with category O
        _add(_add(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", company.vat_number, schemeID="VA")
    buyer = _add(agreement, "ram:BuyerTradeParty")
    _add(buyer, "ram:Name", document.customer_name)
    if document.customer_siren:
        _add(_add(buyer, "ram:SpecifiedLegalOrganization"), "ram:ID", document.customer_siren, schemeID="0002")
    _address(buyer, document.billing_address, document.destination_country)
    if document.customer_vat_number and not out_of_scope:
        _add(_add(buyer, "ram:SpecifiedTaxRegistration"), "ram:ID", document.customer_vat_number, schemeID="VA")
    if document.customer_reference:
        _add(_add(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", document.customer_reference)


def _delivery(transaction, document):
    """BT-70 to BT-80: where the goods went (INV-15b, BR-IC-12) and when (BT-72, BR-IC-11)."""
    delivery = _add(transaction, "ram:ApplicableHeaderTradeDelivery")
    address = document.delivery_address or document.billing_address
    ship_to = _add(delivery, "ram:ShipToTradeParty")
    _add(ship_to, "ram:Name", address.get("name") or document.customer_name)
    _address(ship_to, address, document.destination_country)
    delivered_on = getattr(document, "delivery_date", None)
    if delivered_on:
        event = _add(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", delivered_on)


def _settlement(transaction, document, company, lines):
    settlement = _add(transaction, "ram:ApplicableHeaderTradeSettlement")
    _add(settlement, "ram:PaymentReference", document.number)
    foreign = document.currency != "EUR"
    if foreign:
        _add(settlement, "ram:TaxCurrencyCode", "EUR")  # BT-6 (CUR-01)
    _add(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if company.iban and not isinstance(document, CreditNote):
        means = _add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _add(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _add(_add(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", company.iban)
    exemption_codes = vat.exemption_codes(lines)
    for group in document.vat_breakdown:
        _breakdown(settlement, group, exemption_codes)
    for group in document.vat_breakdown:
        if Decimal(group["allowance"]):
            _allowance(settlement, group, document.discount_percent)
    _payment_terms(settlement, document)
    _totals(settlement, document, foreign)
    for referenced in _referenced_invoices(document):
        reference = _add(settlement, "ram:InvoiceReferencedDocument")
        _add(reference, "ram:IssuerAssignedID", referenced.number)
        _date(reference, "ram:FormattedIssueDateTime", referenced.invoice_date, qualified=True)


def _breakdown(settlement, group: dict, exemption_codes: dict):
    """BG-23, one per (category, rate), copied from the stored breakdown."""
    category = group["category"]
    tax = _add(settlement, "ram:ApplicableTradeTax")
    _add(tax, "ram:CalculatedAmount", _amount(group["vat"]))
    _add(tax, "ram:TypeCode", "VAT")
    _add(tax, "ram:BasisAmount", _amount(group["base"]))
    _add(tax, "ram:CategoryCode", category)
    code = exemption_codes.get(category)
    if code and category in EXEMPT_CATEGORIES | {VatCategory.OUT_OF_SCOPE}:
        _add(tax, "ram:ExemptionReasonCode", code)
    if category != VatCategory.OUT_OF_SCOPE:
        _add(tax, "ram:RateApplicablePercent", _plain(group["rate"]))


def _allowance(settlement, group: dict, percent):
    """BG-20: the document discount's share of one VAT group (BT-92), tax excluded, as stored."""
    allowance = _add(settlement, "ram:SpecifiedTradeAllowanceCharge")
    _add(_add(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
    _add(allowance, "ram:ActualAmount", _amount(group["allowance"]))
    _add(allowance, "ram:ReasonCode", "95")  # UNTDID 5189: discount
    _add(allowance, "ram:Reason", f"Remise de {_plain(percent)} %")
    tax = _add(allowance, "ram:CategoryTradeTax")
    _add(tax, "ram:TypeCode", "VAT")
    _add(tax, "ram:CategoryCode", group["category"])
    if group["category"] != VatCategory.OUT_OF_SCOPE:
        _add(tax, "ram:RateApplicablePercent", _plain(group["rate"]))


def _payment_terms(settlement, document):
    """BT-20 and BT-9 (BR-CO-25): the schedule, or how a credit note is settled."""
    terms = _add(settlement, "ram:SpecifiedTradePaymentTerms")
    if isinstance(document, CreditNote):
        _add(terms, "ram:Description", f"Avoir sur la facture {document.invoice.number} : {document.get_settlement_display()}")
        return
    installments = list(document.installments.all())
    if len(installments) > 1:
        schedule = " ; ".join(f"{item.due_date:%d/%m/%Y} : {_amount(item.amount)} {document.currency}" for item in installments)
        _add(terms, "ram:Description", f"Échéancier : {schedule}")
    else:
        _add(terms, "ram:Description", document.get_payment_terms_display())
    if document.due_date:
        _date(terms, "ram:DueDateDateTime", document.due_date)


def _totals(settlement, document, foreign: bool):
    """BG-22: BT-106 to BT-115, as stored."""
    summation = _add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _add(summation, "ram:LineTotalAmount", _amount(document.lines_total))
    _add(summation, "ram:ChargeTotalAmount", "0.00")
    _add(summation, "ram:AllowanceTotalAmount", _amount(document.allowance_total))
    _add(summation, "ram:TaxBasisTotalAmount", _amount(document.total_excl_tax))
    _add(summation, "ram:TaxTotalAmount", _amount(document.total_vat), currencyID=document.currency)
    if foreign:
        _add(summation, "ram:TaxTotalAmount", _amount(document.total_vat_eur or 0), currencyID="EUR")
    _add(summation, "ram:GrandTotalAmount", _amount(document.total_incl_tax))
    if isinstance(document, CreditNote):
        prepaid, due = Decimal(0), document.total_incl_tax
    else:
        prepaid, due = document.deposits_total, document.amount_due
    _add(summation, "ram:TotalPrepaidAmount", _amount(prepaid))
    _add(summation, "ram:DuePayableAmount", _amount(due))


def _referenced_invoices(document) -> list:
    """BG-3 (BT-25/26): the invoice a credit note corrects (CN-01, BR-55), or every deposit
    invoice a final invoice deducts. BG-3 is 0..n in EN 16931 and in the Factur-X EN16931 XSD
    (``InvoiceReferencedDocument`` maxOccurs="unbounded"); its schematron only asks one BT-25 in
    each (BR-55, FX-SCH-A-000415)."""
    if isinstance(document, CreditNote):
        return [document.invoice]
    return list(document.deducted_deposits.order_by("invoice_date", "pk"))

"""The read model: one fact per sale line, credit notes negative, deposits not counted twice, the
cost at the sale, and a month's net sales equal to the sales accounts of accounting."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.db.models import Q, Sum

from accounting import services as accounting_services
from accounting.models import JournalLine
from lmb import events
from sales import services
from sales.models import Invoice
from stats import services as stats_services
from stats.models import OrderFact, PurchaseFact, SaleFact
from tests.stats.conftest import on, sell


def _monthly_sales_accounts() -> dict:
    """Balance (credit − debit) of the 70x accounts, per month."""
    balances = defaultdict(lambda: Decimal("0.00"))
    for day, debit, credit in JournalLine.objects.filter(account__number__startswith="70").values_list(
        "entry__date", "debit", "credit"
    ):
        balances[(day.year, day.month)] += credit - debit
    return dict(balances)


def _monthly_facts() -> dict:
    balances = defaultdict(lambda: Decimal("0.00"))
    for day, net in SaleFact.objects.values_list("day", "net"):
        balances[(day.year, day.month)] += net
    return dict(balances)


def test_each_months_net_sales_equal_the_sales_accounts_of_accounting(facts):
    report = accounting_services.post_pending()
    assert not report.errors
    accounts = _monthly_sales_accounts()
    assert _monthly_facts() == accounts
    assert accounts[(2026, 1)] > 0  # the invoice that deducted a deposit counts its full sale, once
    assert accounts[(2025, 9)] < 0  # the credit notes' month


def test_a_documents_facts_add_up_to_its_totals(facts):
    for invoice in Invoice.objects.filter(status="issued", kind="invoice", currency="EUR"):
        totals = SaleFact.objects.filter(source="invoice", document_id=invoice.pk).aggregate(
            net=Sum("net"), vat=Sum("vat"), gross=Sum("gross")
        )
        assert (totals["net"], totals["vat"], totals["gross"]) == (
            invoice.total_excl_tax,
            invoice.total_vat,
            invoice.total_incl_tax,
        ), invoice.number


def test_credit_notes_subtract_with_the_cost_of_the_sale(facts, shop):
    returned = SaleFact.objects.exclude(quantity=0).get(source="credit_note", product=shop.lamp)  # not its eco line
    sold = SaleFact.objects.exclude(quantity=0).get(source="invoice", document_id=facts.invoices["fr"].pk, product=shop.lamp)
    assert returned.quantity == Decimal("-1")
    assert sold.quantity == Decimal("3")
    # The lamps left the stock at 18,00 € (their only reception): the cost is the delivery move's.
    assert sold.cost == Decimal("54.00")
    assert returned.cost == Decimal("-18.00")
    assert returned.net < 0 and returned.gross < returned.net


def test_deposit_invoices_are_not_sales(facts):
    deposit = facts.deposit.invoice if hasattr(facts.deposit, "invoice") else None
    deposits = Invoice.objects.filter(kind="deposit").values_list("pk", flat=True)
    assert deposits
    assert not SaleFact.objects.filter(source="invoice", document_id__in=deposits).exists()
    assert deposit is None or deposit.kind == "deposit"


def test_foreign_currency_is_in_euros_at_the_documents_rate(facts):
    chf = facts.invoices["chf"]
    net = SaleFact.objects.filter(source="invoice", document_id=chf.pk).aggregate(net=Sum("net"))["net"]
    assert net == (chf.total_excl_tax / chf.exchange_rate).quantize(Decimal("0.01"))
    assert SaleFact.objects.filter(document_id=chf.pk, source="invoice").first().currency == "CHF"


def test_facts_carry_the_levels(facts, shop):
    german = SaleFact.objects.filter(source="invoice", document_id=facts.invoices["eu_b2b"].pk, product=shop.mug).get()
    assert (german.country, german.billing_country, german.vat_treatment) == ("DE", "DE", "eu_b2b")
    assert german.channel_id == shop.b2b.pk and german.warehouse_id == shop.warehouse.pk
    assert german.category_id == shop.mug.category_id
    assert german.customer_category == "business"


def test_running_twice_never_doubles_and_rebuild_gives_the_same(facts):
    before = sorted(SaleFact.objects.values_list("source", "source_line_id", "net", "cost"))
    report = stats_services.refresh_facts()
    assert (report.sales, report.orders, report.purchases) == (0, 0, 0)
    call_command("rebuild_stats", stdout=StringIO())
    assert sorted(SaleFact.objects.values_list("source", "source_line_id", "net", "cost")) == before


def test_orders_and_purchases_have_their_facts(facts, shop):
    assert OrderFact.objects.exists()
    assert OrderFact.objects.filter(day=date(2025, 12, 30)).aggregate(q=Sum("quantity"))["q"] == Decimal("2")
    purchases = PurchaseFact.objects.filter(source="supplier_invoice").aggregate(net=Sum("net_purchases"))["net"]
    assert purchases == Decimal("155.00") + Decimal("45.00")


def test_the_events_write_the_facts_after_commit(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = sell(shop, shop.bakery, shop.b2b, [{"product": shop.mug, "quantity": 2}], date(2025, 3, 3))
    assert SaleFact.objects.filter(source="invoice", document_id=invoice.pk).count() == 1
    order = invoice.orders.get()
    assert OrderFact.objects.filter(document_id=order.pk).exists()


def test_a_cancelled_order_leaves_the_orders(shop, django_capture_on_commit_callbacks):
    with on(date(2025, 3, 3)), django_capture_on_commit_callbacks(execute=True):
        order = services.confirm_order(
            services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
        )
    assert OrderFact.objects.filter(document_id=order.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_order(order, reason="Erreur")
    assert not OrderFact.objects.filter(document_id=order.pk).exists()
    assert not OrderFact.objects.filter(~Q(document_id=order.pk)).exists()
    assert events  # the subscriptions live in StatsConfig.ready


def test_each_months_net_purchases_equal_the_supplier_invoices_and_the_purchase_accounts(facts):
    """The purchases analysis by month: the recorded supplier invoices' net, and the balance of the
    purchase accounts (6x) of the purchases journal for the month."""
    from purchasing.models import SupplierInvoice
    from stats import queries
    from stats.spec import parse

    accounting_services.post_pending()
    analysis = queries.run(
        parse({"mode": "purchases", "levels": "month", "start": "2025-01-01", "end": "2025-12-31", "measures": "net_purchases"})
    )
    by_month = {(row.key.year, row.key.month): row.values["net_purchases"] for row in analysis.rows}
    invoices = defaultdict(lambda: Decimal("0.00"))
    for day, net in SupplierInvoice.objects.filter(status=SupplierInvoice.Status.RECORDED).values_list(
        "invoice_date", "total_excl_tax"
    ):
        invoices[(day.year, day.month)] += net
    accounts = defaultdict(lambda: Decimal("0.00"))
    for day, debit, credit in JournalLine.objects.filter(account__number__startswith="6").values_list(
        "entry__date", "debit", "credit"
    ):
        accounts[(day.year, day.month)] += debit - credit
    assert by_month == dict(invoices) == dict(accounts) == {(2025, 3): Decimal("155.00"), (2025, 10): Decimal("45.00")}


def test_priced_text_lines_and_cart_rule_reductions_are_sales_as_in_accounting(shop, django_capture_on_commit_callbacks):
    """A free-text line with an amount (« Gravure ») and a web shop's cart rule (a text line at a
    negative quantity) are posted to the sales accounts: the facts count them, by the events and
    by the rebuild alike; a text line without an amount (a comment) gives no fact."""
    lines = [
        {"product": shop.mug, "quantity": 2},
        {"description": "Gravure du prénom", "quantity": 1, "unit_price": Decimal("12.00"), "kind": "text", "vat_rate": 20},
        {"description": "Remise « BIENVENUE10 »", "quantity": -1, "unit_price": Decimal("5.00"), "kind": "text", "vat_rate": 20},
        {"description": "Emballage cadeau offert", "kind": "text"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        invoice = sell(shop, shop.bakery, shop.b2b, lines, date(2025, 3, 3))
    report = accounting_services.post_pending()
    assert report
    facts = SaleFact.objects.filter(document_id=invoice.pk, source="invoice")
    assert facts.count() == 3  # the mug, the engraving, the reduction; not the comment
    assert facts.aggregate(net=Sum("net"))["net"] == invoice.total_excl_tax == _monthly_sales_accounts()[(2025, 3)]
    assert facts.filter(quantity=0).count() == 2  # text lines sell no quantity
    before = sorted(facts.values_list("source_line_id", "net", "vat", "quantity"))
    call_command("rebuild_stats", stdout=StringIO())
    rebuilt = SaleFact.objects.filter(document_id=invoice.pk).values_list("source_line_id", "net", "vat", "quantity")
    assert sorted(rebuilt) == before

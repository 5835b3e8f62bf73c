"""A few rows of every object the API serves, in the states its actions start from, so that
the schema fuzzer's GET, PATCH, DELETE and actions on ids reach real rows (an id it makes up
only reaches the 404). Everything is made through the services, like every edge."""

import datetime
from decimal import Decimal

from django.utils import timezone

from catalog import services as catalog_services
from crm import services as crm_services
from crm.models import Address, TimelineEntry
from dunning import services as dunning_services
from lmb.services import save_company
from purchasing import services as purchasing_services
from sales import services as sales_services
from sales.models import Channel, PaymentMethod
from sales.services import channels as channel_services
from sales.till import services as till_services
from stats import services as stats_services
from stock import services as stock_services
from tests.factories import CategoryFactory, ProductFactory, ThirdPartyFactory, vat_rate, warehouse
from tests.sales.conftest import COMPANY, customer


def seed_every_resource(user):
    """What the fuzzer starts from: a shop with goods in stock, customers and a supplier, and
    documents of every kind in their successive states (draft, sent, confirmed, shipped, issued…)."""
    save_company(**COMPANY)
    main = warehouse()
    annex = stock_services.create_warehouse(code="ANNEX", name="Réserve")
    shelf = stock_services.create_location(warehouse=main, code="A-01", aisle="A", shelf="1")
    tableware = CategoryFactory(name="Arts de la table")
    CategoryFactory(name="Bols", parent=tableware)
    mug = ProductFactory(
        designation="Mug triskell", category=tableware, sale_price=Decimal("8.25"), purchase_price=Decimal("3.10")
    )
    lamp = ProductFactory(
        designation="Lampe Breizh", sale_price=Decimal("49.90"), price_includes_tax=True, eco_participation=Decimal("0.50")
    )
    jam = ProductFactory(designation="Confiture de fraises", sale_price=Decimal("4.20"), vat_rate=vat_rate("FR-5.5"))
    fitting = ProductFactory(designation="Pose et réglage", sale_price=Decimal("60.00"), kind="service", ean13="")
    for product in (mug, lamp, jam):
        stock_services.receive(product=product, warehouse=main, quantity=100, unit_cost=Decimal("2.00"), user=user)
    stock_services.transfer(product=mug, from_warehouse=main, to_warehouse=annex, quantity=5, user=user)
    stock_services.set_stock_setting(product=mug, warehouse=main, location=shelf, min_quantity=5, max_quantity=50)

    seed_price_list(mug)
    bakery = customer("Boulangerie Le Goff", siren="732829320", vat_number="FR44732829320")
    walk_in = customer("Client de passage", business=False)
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    seed_crm(user, bakery, walk_in)
    seed_stock(user, main, mug, jam)
    seed_purchasing(user, supplier, main, mug, jam)
    seed_sales(user, bakery, mug, lamp, jam, fitting)
    seed_dunning(user)
    seed_stats(user)
    seed_till(user, main, walk_in, mug, jam)


def seed_price_list(product):
    price_list = catalog_services.create_price_list(name="Revendeurs", customer_category="business")
    catalog_services.set_price_list_item(price_list=price_list, product=product, min_quantity=10, discount_percent=Decimal("5"))


def seed_crm(user, bakery, walk_in):
    crm_services.add_address(
        bakery, kind=Address.Kind.DELIVERY, line1="3 rue des Halles", postal_code="29000", city="Quimper", country="FR"
    )
    contact = crm_services.add_contact(bakery, first_name="Yann", last_name="Le Goff", email="yann@example.org")
    crm_services.log_interaction(
        third_party=bakery, kind=TimelineEntry.Kind.CALL, subject="Commande de Noël", contact=contact, author=user
    )
    incident = crm_services.log_interaction(
        third_party=walk_in, kind=TimelineEntry.Kind.INCIDENT, subject="Mug ébréché", author=user
    )
    crm_services.change_incident_status(incident, status=TimelineEntry.IncidentStatus.IN_PROGRESS, author=user)
    crm_services.create_task(title="Rappeler Yann", third_party=bakery, assignee=user, due_date=timezone.localdate())
    done = crm_services.create_task(
        title="Envoyer le catalogue", third_party=bakery, assignee=user, due_date=timezone.localdate()
    )
    crm_services.complete_task(done)


def seed_stock(user, main, mug, jam):
    stock_services.exit_stock(product=jam, warehouse=main, quantity=2, reason="breakage", user=user)
    counting = stock_services.open_inventory(warehouse=main, user=user, note="Inventaire tournant")
    stock_services.count(counting, product=mug, quantity=Decimal("98"), add=False)
    # The other lines stay uncounted (their difference is unknown until counted).


def seed_purchasing(user, supplier, main, mug, jam):
    purchasing_services.set_supplier_price(product=mug, supplier=supplier, purchase_price=Decimal("3.10"), is_preferred=True)
    lines = [{"product": mug, "quantity": Decimal("24")}, {"product": jam, "quantity": Decimal("12")}]
    purchasing_services.create_supplier_order(supplier=supplier, warehouse=main, lines=lines, user=user)
    sent = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(supplier=supplier, warehouse=main, lines=lines, user=user), user=user
    )
    received = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(supplier=supplier, warehouse=main, lines=lines, user=user), user=user
    )
    reception = purchasing_services.receive_order(received, lines=[{"product": mug, "quantity": Decimal("24")}], user=user)
    purchasing_services.start_reception(sent, user=user)
    today = timezone.localdate()
    purchasing_services.create_supplier_invoice(
        supplier=supplier,
        number="FQ-2026-001",
        invoice_date=today,
        due_date=today + datetime.timedelta(days=30),
        receptions=[reception],
        user=user,
    )


def seed_sales(user, bakery, mug, lamp, jam, fitting):
    b2b = Channel.objects.get(kind=Channel.Kind.B2B)
    lines = [
        {"product": mug, "quantity": Decimal("10")},
        {"product": lamp, "quantity": Decimal("2")},
        {"product": fitting, "quantity": Decimal("1")},
    ]
    sales_services.create_quote(customer=bakery, channel=b2b, lines=lines, user=user)
    sales_services.send_quote(sales_services.create_quote(customer=bakery, channel=b2b, lines=lines, user=user), user=user)

    sales_services.create_order(customer=bakery, channel=b2b, lines=lines, user=user)
    confirmed = sales_services.confirm_order(sales_services.create_order(customer=bakery, channel=b2b, lines=lines, user=user))
    sales_services.create_delivery_note(confirmed, user=user)

    shipped = sales_services.confirm_order(sales_services.create_order(customer=bakery, channel=b2b, lines=lines, user=user))
    sales_services.ship_delivery_note(sales_services.create_delivery_note(shipped, user=user), user=user)
    sales_services.invoice_order(shipped, user=user)  # a draft invoice

    paid = sales_services.confirm_order(sales_services.create_order(customer=bakery, channel=b2b, lines=lines, user=user))
    sales_services.ship_delivery_note(sales_services.create_delivery_note(paid, user=user), user=user)
    invoice = sales_services.issue_invoice(sales_services.invoice_order(paid, user=user), user=user)
    sales_services.record_payment(customer=bakery, amount=Decimal("50.00"), method=PaymentMethod.TRANSFER, invoices=[invoice])
    sales_services.create_credit_note(
        invoice, reason="Deux mugs ébréchés", lines=[{"invoice_line": invoice.lines.first().pk, "quantity": 2}]
    )
    sales_services.sell_voucher(amount=Decimal("30.00"), method=PaymentMethod.CASH, customer=bakery, user=user)
    deposit_order = sales_services.confirm_order(
        sales_services.create_order(customer=bakery, channel=b2b, lines=[{"product": jam, "quantity": Decimal("6")}], user=user)
    )
    sales_services.receive_deposit(deposit_order, amount=Decimal("10.00"), method=PaymentMethod.CARD, user=user)


def seed_dunning(user):
    """Reminders of the invoices left unpaid, as the daily runs after their due dates make them:
    the first one sent, the second waiting « à valider »."""
    today = timezone.localdate()
    for reminder in dunning_services.run_reminders(on=today + datetime.timedelta(days=40)):
        dunning_services.validate_reminder(reminder, user=user)
    dunning_services.run_reminders(on=today + datetime.timedelta(days=50))


def seed_stats(user):
    """The facts of the seeded documents, and an analysis saved by the fuzzer's user."""
    stats_services.refresh_facts()
    today = timezone.localdate()
    spec = {"levels": "month,product", "start": f"{today.year}-01-01", "end": today.isoformat(), "compare": "last_year"}
    stats_services.save_analysis(owner=user, name="Ventes par mois et article", spec=spec, shared=True)


def seed_till(user, main, walk_in, mug, jam):
    """Till (s5): a register with an open session, a sale ticket (for returns and reprints) and a
    voucher sold, and a second register whose session is closed and its day sealed (a closure to read)."""
    counter = Channel.objects.get(kind=Channel.Kind.COUNTER)
    counter = channel_services.update_channel(counter, user=user, default_customer=walk_in)
    selling = till_services.create_register(code="C1", name="Caisse 1", channel=counter, warehouse=main)
    closed = till_services.create_register(code="C2", name="Caisse 2", channel=counter, warehouse=main)
    session = till_services.open_session(register=selling, user=user, opening_float=Decimal("100.00"))
    lines = [{"product": mug, "quantity": Decimal("2")}, {"product": jam, "quantity": Decimal("1")}]
    cash = [{"method": PaymentMethod.CASH, "amount": Decimal("50.00")}]
    sales_services.sell_at_counter(channel=counter, lines=lines, tenders=cash, user=user, session=session)
    till_services.record_cash_movement(session=session, user=user, kind="deposit", amount=Decimal("20.00"))
    till_services.sell_voucher_at_till(session=session, user=user, amount=Decimal("25.00"), method=PaymentMethod.CARD)
    other = till_services.open_session(register=closed, user=user, opening_float=Decimal("0.00"))
    till_services.close_session(other, user=user, counted_cash={})
    till_services.close_day(register=closed, day=timezone.localdate(), user=user)

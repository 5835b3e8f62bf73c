"""Demo sales: the two years before today, replayed day by day through the services — counter
sales, phone and web orders shipped in one or several deliveries (a few backorders still open),
B2B quotes accepted, refused or still waiting, invoices issued and mostly paid (a few overdue), a
deposit on a big order, credit notes (goods returned to stock, a voucher), EU and Swiss customers.

Invoices are made as the shop makes them (issue #22, INV-18): counter, phone and web orders are
invoiced at shipment by the automatic invoicing; business customers on the B2B channel get one
invoice a month from the grouped run on the month's last day (this month's notes still wait for
it); a customer invoiced on request and a prepaid order shipped in part wait in the « à facturer »
queue, each with its reason.

Two years so the dashboard and the analyses show trends (issue #19): the older year is a little
quieter (the shop grows), December is busy; the storylines (big order, disputes, reminders…)
stay in the last months. Goods running short are received from the supplier at the start of
each month (a stock reception at the product's purchase price), so the shop keeps selling.

Invoices and credit notes must be numbered in the order of their dates (NUM-01): the year is a
calendar of events run in date order. The services date what they do with ``timezone.now()``
(order and quote dates, shipments, numbers' years, payments' defaults, history), so each event
runs under a demo clock set to its day; today's events run on the real clock. On PostgreSQL the
stock moves are dated by the database (``now()``): they carry the date the demo was loaded.
"""

import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Product
from crm import services as crm_services
from crm.models import Address, ThirdParty
from lmb import money
from lmb.formats import money_fr
from lmb.models import InvoicingPolicy
from lmb.services import apply_changes, validate_and_save
from stock import services as stock_services

from . import queries, services, totals, vat
from .invoicing import queries as invoicing_queries
from .invoicing import services as invoicing
from .models import Channel, CreditNote, Invoice, Order, OrderLine, PaymentMethod, Quote, VatTreatment
from .till.demo import TillDays, available_in

ONE_DAY = timedelta(days=1)
DAYS = 730  # the history replayed: two years
RESTOCK_BELOW = 4  # a product available under this at a month's start is received again
CARRIERS = ["Colissimo", "Chronopost", "DPD", "GLS"]
REFUSALS = ["Budget reporté à l'an prochain", "Prix trop élevé", "A choisi un autre fournisseur", "Projet abandonné"]
FURNISHING = ("Maison > Mobilier", "Maison > Luminaires", "Cuisine > Cocottes et poêles")


@contextmanager
def demo_clock(day: date, rank: int):
    """Run the services as if it were ``day``, 9:00 then a few minutes later per event of the day.
    Today (and later) runs on the real clock. A plain swap of ``django.utils.timezone.now``, for
    the duration of one event: ``time_machine`` is a test dependency, not installed in production."""
    if day >= timezone.localdate():
        yield
        return
    moment = timezone.make_aware(datetime.combine(day, time(9)) + timedelta(minutes=min(6 * rank, 600)))
    real_now = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real_now


class Calendar:
    """Events (day, action) run in date order, each under the demo clock of its day. An action
    may schedule others; what would happen after today is not run (it has not happened yet)."""

    def __init__(self, today: date):
        self.today = today
        self.day = None
        self._events = []
        self._sequence = itertools.count()

    def at(self, day: date, action: Callable, *args):
        """Schedule ``action(day, *args)``; never before the day being run (no going back)."""
        day = max(day, self.day or day)
        if day <= self.today:
            heapq.heappush(self._events, (day, next(self._sequence), action, args))

    def run(self):
        per_day = Counter()
        while self._events:
            self.day, _sequence, action, args = heapq.heappop(self._events)
            per_day[self.day] += 1
            with demo_clock(self.day, per_day[self.day]):
                action(self.day, *args)


def _working_day(day: date) -> date:
    """Shipments and payments happen on weekdays."""
    while day.weekday() >= 5:
        day += ONE_DAY
    return day


class SalesYear:
    """The shop's year: who buys, what is in stock, and the storylines."""

    def __init__(self, context):
        self.rng = context["random"]
        self.today = timezone.localdate()
        self.calendar = Calendar(self.today)
        self.seller, self.after_sales = context["users"]["ventes"], context["users"]["sav"]
        self.warehouse = context["warehouse"]
        self.counter, self.phone, self.b2b, self.web = _channels()
        _walk_in_customer(self.counter)
        self._sort_customers(context["customers"])
        self.goods = list(Product.objects.filter(kind=Product.Kind.GOODS, is_active=True).select_related("category", "vat_rate"))
        self.goods.sort(key=lambda product: product.pk)
        self.services = {product.designation: product for product in Product.objects.filter(kind=Product.Kind.SERVICE)}
        self.stories_done = set()
        self.never_paid = 2  # business invoices of two to four months ago left unpaid: overdue, to dun
        self.unpaid_consumer = 1  # a consumer's phone order of the last weeks never paid: overdue, to dun
        self.period_ends = set()  # the grouped runs scheduled
        # The shop's register and its last days (issue #20), selling from the shop's warehouse.
        self.till = TillDays(
            calendar=self.calendar,
            counter_channel=self.counter,
            warehouse=context["shop"],
            seller=self.seller,
            manager=context["users"]["admin"],
            source=self.warehouse,
        )

    def _sort_customers(self, customers):
        """Consumers (mainland, overseas, Swiss), French, EU and Swiss businesses, from their billing country."""
        groups = {key: [] for key in ("consumer", "overseas", "swiss_consumer", "business", "eu_business", "swiss_business")}
        for customer in sorted(customers, key=lambda third_party: third_party.pk):
            address = customer.addresses.filter(kind=Address.Kind.BILLING).first()
            territory = vat.destination_of({"country": address.country, "postal_code": address.postal_code}).territory
            prefix = "swiss_" if address.country == "CH" else ""
            if customer.is_business:
                groups["eu_business" if territory == "eu" else f"{prefix}business"].append(customer)
            else:
                groups["overseas" if territory == "overseas" else f"{prefix}consumer"].append(customer)
        self.customers = groups

    # --- Helpers ---------------------------------------------------------------------------------

    def pick(self, group: str):
        return self.rng.choice(self.customers[group])

    def available(self) -> dict:
        """{product id: on hand − reserved} in the shipping warehouse."""
        return available_in(self.warehouse)

    def basket(self, count: int, quantities, *, families=None, stock=None) -> list[dict]:
        """``count`` distinct products in stock (enough for the quantity drawn), as order lines;
        ``stock``: another warehouse's availability than the shipping one's (the shop's)."""
        stock = self.available() if stock is None else stock
        lines = []
        candidates = [product for product in self.goods if not families or product.category.full_name in families]
        for product in self.rng.sample(candidates, min(len(candidates), count * 6)):
            quantity = self.rng.choice(quantities)
            if stock.get(product.pk, 0) >= quantity:
                lines.append({"product": product, "quantity": quantity})
            if len(lines) == count:
                break
        return lines

    def out_of_stock_line(self) -> dict | None:
        """A product the warehouse lacks: it will wait on the order as a backorder."""
        stock = self.available()
        missing = [product for product in self.goods if stock.get(product.pk, 0) <= 0]
        return {"product": self.rng.choice(missing), "quantity": 1} if missing else None

    def settle_later(self, invoice: Invoice, day: date):
        """Consumers pay when they buy; businesses by transfer or cheque around the due date,
        some late, a few not at all (overdue once the due date has passed)."""
        if invoice.amount_due <= 0:
            return
        if not invoice.customer_is_business:
            method = self.rng.choice([PaymentMethod.CARD, PaymentMethod.CARD, PaymentMethod.PAYPAL, PaymentMethod.CHEQUE])
            if self.unpaid_consumer and invoice.channel.kind == Channel.Kind.PHONE and day > self.today - timedelta(days=75):
                self.unpaid_consumer -= 1
                return  # the cheque promised on the phone never came: overdue, to dun
            self.calendar.at(day, self.pay, invoice.pk, None, method)
            return
        method = self.rng.choice([PaymentMethod.TRANSFER] * 6 + [PaymentMethod.CHEQUE] * 3 + [PaymentMethod.DIRECT_DEBIT])
        roll = self.rng.random()
        if self.never_paid and self.today - timedelta(days=120) < day < self.today - timedelta(days=60):
            self.never_paid -= 1
            return
        if roll < 0.05 and day > self.today - timedelta(days=365):
            return  # never paid: overdue (the older year's debts were all settled in the end)
        if roll < 0.13:  # half now, the rest later
            half = money.amount(invoice.amount_due / 2)
            self.calendar.at(_working_day(invoice.due_date), self.pay, invoice.pk, half, method)
            self.calendar.at(_working_day(invoice.due_date + timedelta(days=40)), self.pay, invoice.pk, None, method)
            return
        delay = self.rng.randint(10, 45) if roll < 0.28 else self.rng.randint(-15, 3)
        self.calendar.at(_working_day(max(day, invoice.due_date + timedelta(days=delay))), self.pay, invoice.pk, None, method)

    def pay(self, day, invoice_id, amount, method):
        """A payment of the invoice (all it still awaits when ``amount`` is None)."""
        invoice = Invoice.objects.get(pk=invoice_id)
        balance = queries.invoice_balance(invoice)
        amount = balance if amount is None else min(amount, balance)
        if amount > 0:
            services.record_payment(
                customer=invoice.customer,
                amount=amount,
                method=method,
                payment_date=day,
                reference=f"Règlement {invoice.number}",
                invoices=[invoice],
                user=self.seller,
            )

    def ship_and_invoice(self, day, order: Order, note, **shipping) -> Invoice | None:
        """Ship the note and do what the automatic invoicing does once a shipment has committed
        (INV-18): an « à l'expédition » order's note is invoiced at once — or, refused, waits in
        the « à facturer » queue with the reason; a monthly customer's note waits for the grouped
        run of the month's last day, scheduled here as Celery beat runs it every evening. In one
        transaction, on the demo's day: the invoicing's own subscriber, which runs at the commit,
        finds nothing left to do."""
        with transaction.atomic():
            services.ship_delivery_note(note, user=self.seller, **shipping)
            invoice = invoicing.invoice_shipment(delivery_note_id=note.pk, user=self.seller)
        if invoice is not None:
            self.settle_later(invoice, day)
            self.after_invoice(day, invoice)
        policy = invoicing_queries.policy_of(order)
        if (
            policy in invoicing_queries.GROUPED_POLICIES
            and (end := invoicing_queries.period_end(policy, day)) not in self.period_ends
        ):
            self.period_ends.add(end)
            self.calendar.at(end, self.grouped_run)  # not run when the period is not over yet
        return invoice

    def grouped_run(self, day):
        """The evening of a month's last day: one invoice per business customer for the month's notes."""
        for invoice in invoicing.run_grouped_invoicing(on=day, user=self.seller).invoices:
            self.settle_later(invoice, day)
            self.after_invoice(day, invoice)

    # --- The days ------------------------------------------------------------------------------

    def open_day(self, day):
        """What a day brings: counter sales (not on Sundays), phone and web orders, quotes; twice
        as much in December. A sample of a shop's days rather than all its tickets: the whole demo
        must load in well under a minute on SQLite (``make demo``, the smoke test)."""
        busy = 2 if day.month == 12 else 1
        if day < self.today - timedelta(days=365) and self.rng.random() < 0.2:
            return  # a year ago the shop was a little quieter
        if day.weekday() < 6:
            for _ in range(self.rng.choice([0, 0, 0, 0, 0, 0, 0, 1, 1]) * busy):
                self.calendar.at(day, self.counter_sale)
        if self.rng.random() < 0.07 * busy:
            self.calendar.at(day, self.phone_order)
        if self.rng.random() < 0.11 * busy:
            self.calendar.at(day, self.web_order)
        if day.weekday() < 5 and self.rng.random() < 0.1:
            self.calendar.at(day, self.b2b_quote)
        if day.weekday() == 0:
            self.calendar.at(day, lambda _day: services.expire_quotes(on_date=_day))
        if day.day == 15 and day.month % 2 == 0:
            self.calendar.at(day, self.workshop)

    def counter_sale(self, day, customer=None, voucher=None):
        """A walk-in customer (sometimes a known one) takes one to three articles of the shop and
        pays by card, cash, both, or with a voucher: rung up at the shop's register."""
        lines = self.basket(self.rng.choice([1, 1, 2, 3]), [1, 1, 1, 2], stock=self.till.available())
        if not lines:
            return
        if customer is None and self.rng.random() < 0.15:
            customer = self.pick("consumer")
        total = _counter_total(lines)
        tenders = _tenders(self.rng, total, voucher)
        self.till.sell_walk_in(day, lines=lines, tenders=tenders, customer=customer)

    def phone_order(self, day, consumer=False):
        """A customer calls: an order shipped in a few days; now and then an article is missing
        (a backorder), the delivery is split, or the order is cancelled. ``consumer``: a consumer
        calls, and the order is shipped (the unpaid consumer's storyline needs one)."""
        business = self.rng.random() < 0.4 and not consumer
        customer = self.pick("business" if business else "consumer")
        lines = self.basket(self.rng.randint(1, 4), [1, 2, 3] if not business else [2, 4, 6])
        if not lines:
            return
        if self.rng.random() < 0.08 and (missing := self.out_of_stock_line()):
            lines.append(missing)
        if any(line["product"].category.full_name in FURNISHING for line in lines) and self.rng.random() < 0.5:
            lines.append({"product": self.services["Livraison à domicile — Rennes métropole"], "quantity": 1})
        order = services.confirm_order(
            services.create_order(customer=customer, channel=self.phone, lines=lines, user=self.seller), user=self.seller
        )
        roll = self.rng.random()
        if roll < 0.04 and not consumer:
            self.calendar.at(day + timedelta(days=1), self.cancel, order.pk)
        else:
            self.calendar.at(_working_day(day + timedelta(days=self.rng.randint(1, 3))), self.ship, order.pk, roll < 0.2)

    def web_order(self, day):
        """An order from the web shop, shipped by a carrier with the shipping fees; mostly
        mainland consumers, some overseas (no French VAT) and Swiss (export)."""
        group = self.rng.choice(["consumer"] * 8 + ["overseas", "swiss_consumer"])
        lines = self.basket(self.rng.choice([1, 1, 2, 2, 3]), [1, 1, 2])
        if not lines:
            return
        if group == "consumer" and sum(line["product"].sale_price_incl_tax * line["quantity"] for line in lines) < 60:
            lines.append({"kind": OrderLine.Kind.SHIPPING, "description": "Frais de port Colissimo", "unit_price": "6.90"})
        order = services.confirm_order(services.create_order(customer=self.pick(group), channel=self.web, lines=lines))
        self.calendar.at(_working_day(day + timedelta(days=self.rng.randint(1, 2))), self.ship, order.pk, False)

    def ship(self, day, order_id, split):
        """Ship what the warehouse has (a split delivery ships the first lines only, the rest two
        or three weeks later), invoice what was shipped (INV-18)."""
        order = Order.objects.get(pk=order_id)
        if order.status not in Order.OPEN_STATUSES:
            return
        stock = self.available()
        goods = [line for line in order.lines.select_related("product").order_by("position") if line.is_goods]
        goods = [line for line in goods if line.backorder_quantity > 0]
        if split and len(goods) > 1:
            goods = goods[: len(goods) // 2]
        quantities = {
            line.pk: min(line.backorder_quantity, max(stock.get(line.product_id, 0) + line.backorder_quantity, 0))
            for line in goods
        }
        quantities = {pk: quantity for pk, quantity in quantities.items() if quantity > 0}
        if quantities:
            note = services.create_delivery_note(order, quantities=quantities, user=self.seller)
            carrier = self.rng.choice(CARRIERS)
            tracking_number = f"{carrier[:2].upper()}{self.rng.randint(10**9, 10**10 - 1)}"
            self.ship_and_invoice(day, order, note, carrier=carrier, tracking_number=tracking_number)
        if split:
            self.calendar.at(_working_day(day + timedelta(days=self.rng.randint(12, 25))), self.ship, order_id, False)
        elif self.rng.random() < 0.3 and Order.objects.filter(pk=order_id, status=Order.Status.PARTIALLY_DELIVERED).exists():
            self.calendar.at(_working_day(day + timedelta(days=20)), self.give_up_backorder, order_id)  # the rest never came

    def after_invoice(self, day, invoice):
        """The storylines that follow an invoice: a return, a voucher, a price reduction."""
        consumer, kind = not invoice.customer_is_business, invoice.channel.kind
        if kind == Channel.Kind.WEB and consumer and invoice.vat_treatment == VatTreatment.FRANCE:
            self.story("return", day, within=300, after=9, action=self.goods_returned, invoice_id=invoice.pk)
        if kind == Channel.Kind.PHONE and consumer:
            self.story("voucher", day, within=200, after=6, action=self.damaged_parcel, invoice_id=invoice.pk)
        if kind == Channel.Kind.B2B:
            self.story("reduction", day, within=150, after=4, action=self.price_reduction, invoice_id=invoice.pk)

    def story(self, name, day, *, within, after, action, invoice_id):
        """Each storyline happens once: on the first occasion of the last ``within`` days."""
        if name not in self.stories_done and day > self.today - timedelta(days=within):
            self.stories_done.add(name)
            self.calendar.at(_working_day(day + timedelta(days=after)), action, invoice_id)

    def give_up_backorder(self, day, order_id):
        order = Order.objects.get(pk=order_id)
        if order.status == Order.Status.PARTIALLY_DELIVERED:
            services.close_backorder(order, user=self.seller)

    def cancel(self, day, order_id):
        services.cancel_order(Order.objects.get(pk=order_id), user=self.seller, reason="Le client a changé d'avis")

    # --- B2B -------------------------------------------------------------------------------------

    def b2b_quote(self, day, customer=None):
        """A professional asks for a quote: accepted (→ order), refused, or left unanswered."""
        group = self.rng.choice(["business"] * 6 + ["eu_business"] * 3 + ["swiss_business"])
        customer = customer or self.pick(group)
        lines = self.basket(self.rng.randint(2, 5), [5, 6, 10, 12])
        if not lines:
            return
        quote = services.send_quote(
            services.create_quote(customer=customer, channel=self.b2b, lines=lines, user=self.seller), user=self.seller
        )
        roll = self.rng.random()
        if day > self.today - timedelta(days=10):
            return  # too recent: the customer has not answered yet
        if roll < 0.55:
            self.calendar.at(_working_day(day + timedelta(days=self.rng.randint(2, 14))), self.quote_accepted, quote.pk)
        elif roll < 0.8:
            self.calendar.at(_working_day(day + timedelta(days=self.rng.randint(3, 20))), self.quote_refused, quote.pk)

    def quote_accepted(self, day, quote_id, deposit_share=None):
        quote = Quote.objects.get(pk=quote_id)
        if quote.status != Quote.Status.SENT:
            return
        order = services.confirm_order(services.accept_quote(quote, user=self.seller), user=self.seller)
        if deposit_share:
            amount = money.amount(order.total_incl_tax * deposit_share)
            services.receive_deposit(
                order,
                amount=amount,
                method=PaymentMethod.TRANSFER,
                payment_date=day,
                reference=f"Acompte de {deposit_share:.0%}",
                user=self.seller,
            )
            self.calendar.at(_working_day(day + timedelta(days=15)), self.ship_big_order, order.pk)
            return
        self.calendar.at(
            _working_day(day + timedelta(days=self.rng.randint(2, 7))), self.ship, order.pk, self.rng.random() < 0.15
        )

    def quote_refused(self, day, quote_id):
        quote = Quote.objects.get(pk=quote_id)
        if quote.status == Quote.Status.SENT:
            services.refuse_quote(quote, user=self.seller, reason=self.rng.choice(REFUSALS))

    def big_order(self, day):
        """A hotel furnishes its rooms: a quote, accepted with a 30 % deposit by transfer, then
        shipped in two deliveries; the first invoice deducts the deposit (DEP-01)."""
        hotels = [customer for customer in self.customers["business"] if customer.name.startswith(("Hôtel", "Restaurant"))]
        customer = self.rng.choice(hotels or self.customers["business"])
        lines = self.basket(4, [6, 8], families=FURNISHING)
        if not lines:
            return
        quote = services.send_quote(
            services.create_quote(
                customer=customer, channel=self.b2b, lines=lines, user=self.seller, note="Aménagement des chambres et de la salle"
            ),
            user=self.seller,
        )
        self.calendar.at(_working_day(day + timedelta(days=5)), self.quote_accepted, quote.pk, Decimal("0.30"))

    def ship_big_order(self, day, order_id):
        """First the largest lines, at least 60 % of the order (more than the deposit), then the rest."""
        order = Order.objects.get(pk=order_id)
        lines = sorted(
            (line for line in order.lines.all() if line.kind == OrderLine.Kind.PRODUCT), key=lambda line: -line.gross_amount
        )
        first, shipped = {}, Decimal(0)
        for line in lines:
            if shipped >= order.total_incl_tax * Decimal("0.6"):
                break
            first[line.pk], shipped = line.quantity, shipped + line.gross_amount
        note = services.create_delivery_note(order, quantities=first, user=self.seller)
        self.ship_and_invoice(day, order, note, carrier="Transports Le Meur")
        self.calendar.at(_working_day(day + timedelta(days=21)), self.ship, order.pk, False)

    def workshop(self, day):
        """A company books a private workshop: a service invoiced directly, without an order."""
        workshops = [product for name, product in self.services.items() if name.startswith(("Atelier", "Dégustation"))]
        product = self.rng.choice(workshops)
        invoice = services.create_direct_invoice(
            customer=self.pick("business"),
            channel=self.b2b,
            lines=[{"product": product, "quantity": self.rng.choice([2, 3, 4])}],
            user=self.seller,
        )
        self.settle_later(services.issue_invoice(invoice, user=self.seller, issue_date=day), day)

    # --- After-sales -----------------------------------------------------------------------------

    def goods_returned(self, day, invoice_id):
        """Withdrawal within 14 days: one article comes back to stock and is refunded on the card."""
        invoice = Invoice.objects.get(pk=invoice_id)
        line = invoice.lines.filter(kind=OrderLine.Kind.PRODUCT, delivery_line__isnull=False).order_by("position").first()
        credit_note = services.create_credit_note(
            invoice,
            reason="Droit de rétractation : article retourné",
            lines=[{"invoice_line": line, "quantity": 1, "return_to_stock": True}],
            settlement=CreditNote.Settlement.REFUND,
            user=self.after_sales,
        )
        services.issue_credit_note(credit_note, user=self.after_sales, issue_date=day, refund_method=PaymentMethod.CARD)

    def damaged_parcel(self, day, invoice_id):
        """A parcel arrived damaged: a 30 % price reduction on the first article, given as a
        voucher the customer later spends at the counter."""
        invoice = Invoice.objects.get(pk=invoice_id)
        line = invoice.lines.filter(kind=OrderLine.Kind.PRODUCT).order_by("position").first()
        credit_note = services.create_credit_note(
            invoice,
            reason="Colis endommagé : geste commercial",
            lines=[
                {
                    "invoice_line": line,
                    "quantity": line.quantity,
                    "unit_price": money.unit_price(line.unit_price * Decimal("0.3")),
                }
            ],
            settlement=CreditNote.Settlement.VOUCHER,
            user=self.after_sales,
        )
        credit_note = services.issue_credit_note(credit_note, user=self.after_sales, issue_date=day)
        voucher = credit_note.vouchers.first()
        if voucher is not None:
            self.calendar.at(day + timedelta(days=12), self.counter_sale, invoice.customer, voucher)

    def price_reduction(self, day, invoice_id):
        """A professional disputes the price of a line: a 10 % reduction credited, which settles
        part of the invoice (kept on account otherwise)."""
        invoice = Invoice.objects.get(pk=invoice_id)
        line = invoice.lines.filter(kind=OrderLine.Kind.PRODUCT).order_by("-net_amount").first()
        credit_note = services.create_credit_note(
            invoice,
            reason="Remise commerciale accordée après livraison",
            lines=[
                {
                    "invoice_line": line,
                    "quantity": line.quantity,
                    "unit_price": money.unit_price(line.unit_price * Decimal("0.1")),
                }
            ],
            user=self.seller,
        )
        services.issue_credit_note(credit_note, user=self.seller, issue_date=day)

    # --- The « à facturer » queue -----------------------------------------------------------------

    def invoiced_on_request(self, day):
        """A business customer asks to be invoiced only on request (its buyer gathers the notes
        itself): its policy becomes « manuelle », and its next order, shipped, waits in the queue."""
        customer = self.pick("business")
        crm_services.update_third_party(customer, invoicing_policy=InvoicingPolicy.MANUAL)
        lines = self.basket(2, [3, 4, 6])
        if lines:
            order = services.confirm_order(
                services.create_order(customer=customer, channel=self.phone, lines=lines, user=self.seller), user=self.seller
            )
            self.calendar.at(_working_day(day + timedelta(days=1)), self.ship, order.pk, False)

    def standing_order(self, day):
        """A business customer's usual order on the B2B channel, shipped today: it waits for the
        grouped invoice of this month's last day."""
        regulars = [customer for customer in self.customers["business"] if not customer.invoicing_policy]
        lines = self.basket(3, [6, 10, 12])
        if regulars and lines:
            order = services.confirm_order(
                services.create_order(customer=self.rng.choice(regulars), channel=self.b2b, lines=lines, user=self.seller),
                user=self.seller,
            )
            self.calendar.at(self.today, self.ship, order.pk, False)

    def prepaid_order_shipped_in_part(self, day):
        """A consumer pays a phone order in full by transfer; the first parcel holds its cheapest
        article only, the rest comes later: each parcel's invoice deducts its own part of the
        deposit (issued at payment), the last one the rest, and nothing is left to pay."""
        lines = self.basket(3, [1, 2])
        if len(lines) < 2:
            return
        order = services.confirm_order(
            services.create_order(customer=self.pick("consumer"), channel=self.phone, lines=lines, user=self.seller),
            user=self.seller,
        )
        services.receive_deposit(
            order,
            amount=order.total_incl_tax,
            method=PaymentMethod.TRANSFER,
            payment_date=day,
            reference="Virement à la commande",
            user=self.seller,
        )
        self.calendar.at(_working_day(day + timedelta(days=2)), self.ship_cheapest_first, order.pk)

    def ship_cheapest_first(self, day, order_id):
        order = Order.objects.get(pk=order_id)
        cheapest = min((line for line in order.lines.all() if line.is_goods), key=lambda line: line.gross_amount)
        note = services.create_delivery_note(order, quantities={cheapest.pk: cheapest.quantity}, user=self.seller)
        self.ship_and_invoice(day, order, note, carrier="Colissimo", tracking_number=f"CO{self.rng.randint(10**9, 10**10 - 1)}")

    def year_end_web_order(self, day):
        """YE-04: a web order paid in full at checkout on 20 December, shipped in January: the
        payment is a deposit (its deposit invoice carries the VAT), deducted by the final invoice."""
        lines = self.basket(2, [1])
        if not lines:
            return
        order = services.confirm_order(services.create_order(customer=self.pick("consumer"), channel=self.web, lines=lines))
        services.receive_deposit(
            order, amount=order.total_incl_tax, method=PaymentMethod.CARD, payment_date=day, reference="Paiement en ligne"
        )
        self.calendar.at(_working_day(date(day.year + 1, 1, 6)), self.ship, order.pk, False)

    # --- The year ------------------------------------------------------------------------------

    def restock(self, day):
        """The month's delivery from the suppliers: each goods product running short in the
        shipping warehouse is received again (a stock reception at its purchase price)."""
        stock = self.available()
        for product in self.goods:
            # Products never stocked here stay missing (the backorders' storyline needs them).
            if product.pk in stock and stock[product.pk] < RESTOCK_BELOW:
                stock_services.receive(
                    product=product,
                    warehouse=self.warehouse,
                    quantity=self.rng.choice([10, 20, 30]),
                    unit_cost=product.purchase_price or money.amount(product.sale_price_excl_tax / 2),
                    reference=f"Réassort {day:%m/%Y}",
                    user=self.seller,
                )
        self.till.refill_shop(day)

    def run(self):
        start = self.today - timedelta(days=DAYS)
        for offset in range(DAYS + 1):
            day = start + timedelta(days=offset)
            self.calendar.at(day, self.open_day)
            if day.day == 1 or offset == 0:  # the first day too: the shop's shelves are filled
                self.calendar.at(day, self.restock)
        self.calendar.at(_working_day(self.today - timedelta(days=170)), self.big_order)
        # The unpaid consumer's phone order (``settle_later``), whatever the draw of the other calls.
        self.calendar.at(_working_day(self.today - timedelta(days=45)), self.phone_order, True)
        self.calendar.at(date(self.today.year - 1, 12, 20), self.year_end_web_order)
        for days_ago in (75, 40):  # an EU and a Swiss professional, whatever the draw
            for group in ("eu_business", "swiss_business"):
                self.calendar.at(_working_day(self.today - timedelta(days=days_ago)), self.b2b_quote, self.pick(group))
        self.calendar.at(_working_day(self.today - timedelta(days=6)), self.b2b_quote)  # still waiting for an answer
        self.calendar.at(_working_day(self.today - timedelta(days=12)), self.invoiced_on_request)
        self.calendar.at(_working_day(self.today - timedelta(days=7)), self.prepaid_order_shipped_in_part)
        for _ in range(2):  # shipped today: this month's grouped invoice will take them
            self.calendar.at(self.today - timedelta(days=4), self.standing_order)
        self.till.schedule()
        self.calendar.run()


# --- Set-up ----------------------------------------------------------------------------------------


def _channels():
    channels = {channel.kind: channel for channel in Channel.objects.order_by("pk")}
    if Channel.Kind.WEB not in channels:
        channels[Channel.Kind.WEB] = validate_and_save(
            Channel(code="WEB", name="Boutique en ligne", kind=Channel.Kind.WEB, prices_include_tax=True)
        )
    return channels[Channel.Kind.COUNTER], channels[Channel.Kind.PHONE], channels[Channel.Kind.B2B], channels[Channel.Kind.WEB]


def _walk_in_customer(counter: Channel) -> ThirdParty:
    """The counter's walk-in customer (client de passage), at the shop's address."""
    if counter.default_customer is None:
        walk_in = crm_services.create_third_party(
            kind=ThirdParty.Kind.INDIVIDUAL,
            last_name="Client de passage",
            payment_terms="on_receipt",
            addresses=[
                {"kind": Address.Kind.BILLING, "line1": "12 quai Duguay-Trouin", "postal_code": "35000", "city": "Rennes"}
            ],
        )
        apply_changes(counter, {"default_customer": walk_in})
    return counter.default_customer


def _counter_total(lines) -> Decimal:
    """What the customer pays at the counter: catalogue prices tax included, eco-participation
    included (the walk-in customer has no price list), computed as the invoice will be."""
    inputs = []
    for line in lines:
        product, rate = line["product"], line["product"].vat_rate.rate
        inputs.append(totals.LineInput(quantity=Decimal(line["quantity"]), unit_price=product.sale_price_incl_tax, vat_rate=rate))
        if product.eco_participation:
            eco = money.incl_from_excl(product.eco_participation, rate)
            inputs.append(totals.LineInput(quantity=Decimal(line["quantity"]), unit_price=eco, vat_rate=rate, discountable=False))
    return totals.compute(inputs, prices_include_tax=True).total_incl_tax


def _tenders(rng, total: Decimal, voucher=None) -> list[dict]:
    if voucher is not None:
        spent = min(voucher.balance, total)
        tenders = [{"method": PaymentMethod.VOUCHER, "amount": spent, "voucher_code": voucher.code}]
        return tenders + ([{"method": PaymentMethod.CARD, "amount": total - spent}] if total > spent else [])
    roll = rng.random()
    if roll < 0.65:
        return [{"method": PaymentMethod.CARD, "amount": total}]
    if roll < 0.92 or total <= 20:
        return [{"method": PaymentMethod.CASH, "amount": total}]
    cash = Decimal(rng.choice([10, 20]))  # a note, the rest by card
    return [{"method": PaymentMethod.CASH, "amount": cash}, {"method": PaymentMethod.CARD, "amount": total - cash}]


# --- The step ------------------------------------------------------------------------------------


def _count(number: int, singular: str, plural: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{number} {singular if number < 2 else plural}"


def _summary() -> str:
    issued = Invoice.objects.filter(status=Invoice.Status.ISSUED)
    by_channel = Counter(issued.filter(kind=Invoice.Kind.INVOICE).values_list("channel__kind", flat=True))
    revenue = issued.filter(kind=Invoice.Kind.INVOICE).aggregate(total=Sum("total_excl_tax"))["total"] or 0
    quotes = Counter(Quote.objects.values_list("status", flat=True))
    orders = Counter(Order.objects.values_list("status", flat=True))
    overdue = queries.with_balance(issued).filter(balance__gt=0, due_date__lt=timezone.localdate()).count()
    parts = [
        f"{issued.count()} factures émises sur {DAYS // 365 * 12} mois ({by_channel['counter']} au comptoir, "
        f"{by_channel['phone']} par "
        f"téléphone, {by_channel['web']} en ligne, {by_channel['b2b']} aux professionnels, "
        f"{issued.filter(kind=Invoice.Kind.DEPOSIT).count()} d'acompte ; {money_fr(revenue)} HT)",
        f"{sum(quotes.values())} devis ({quotes['accepted']} acceptés, {quotes['refused']} refusés, "
        f"{quotes['sent']} en attente, {quotes['expired']} expirés)",
        _count(CreditNote.objects.filter(status=CreditNote.Status.ISSUED).count(), "avoir", "avoirs"),
        _count(orders[Order.Status.PARTIALLY_DELIVERED], "commande en reliquat", "commandes en reliquat"),
        f"{orders[Order.Status.CONFIRMED]} à expédier",
        _count(overdue, "facture en retard de paiement", "factures en retard de paiement"),
        _waiting(),
    ]
    return ", ".join(parts)


def _waiting() -> str:
    """The shipped notes not invoiced yet: those of the month's grouped run, and the queue's."""
    waiting = Counter(invoicing_queries.notes_to_invoice().values_list("policy", flat=True))
    grouped = sum(waiting[policy] for policy in invoicing_queries.GROUPED_POLICIES)
    return (
        f"{_count(grouped, 'livraison', 'livraisons')} en attente de la facturation de fin de mois, "
        f"{_count(sum(waiting.values()) - grouped, 'livraison', 'livraisons')} dans la file « à facturer »"
    )


def seed_sales(context):
    SalesYear(context).run()
    return _summary()

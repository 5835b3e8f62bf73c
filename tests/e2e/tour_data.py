"""A small but lived-in shop for the browser tour, built in seconds by the demo's own builders
(``make demo`` takes a minute): the demo users (one per role), a trimmed demo catalogue, a
sample of the demo customers and all its suppliers, the warehouses, purchases and stock life of
the demo, six weeks of sales replayed by the demo's sales calendar, the books, a PrestaShop shop.

Every list the menu leads to has rows (and the documents have the statuses a user meets:
drafts, sent quotes, backorders, overdue invoices, credit notes, vouchers, lettered entries)."""

import random
from datetime import timedelta
from unittest import mock

from accounting.demo import seed_accounting
from catalog import demo as catalog_demo
from connectors.prestashop import services as prestashop_services
from crm import demo as crm_demo
from crm import services as crm_services
from lmb.demo_users import seed_company_and_users
from purchasing.demo import seed_purchasing
from sales import demo as sales_demo
from stock.demo import seed_stock_life, seed_warehouses

DAYS = 45


def _trimmed_families():
    """Two articles per family of the demo catalogue, in two variants for the first: every VAT
    rate, product kind and unit of the demo, about sixty products."""
    return [
        (*family[:6], family[6][:2], family[7][: 2 if index < 4 else 1], family[8])
        for index, family in enumerate(catalog_demo.FAMILIES)
    ]


def _third_parties(context):
    rng = context["random"]
    # Every fifth demo customer keeps each kind: consumers, businesses, EU, Swiss, overseas.
    customers = [crm_services.create_third_party(**data) for data in list(crm_demo._customers(rng))[::5]]
    suppliers = [crm_services.create_third_party(**data) for data in crm_demo._suppliers(rng)]
    context.update(customers=customers, suppliers=suppliers)
    crm_demo._tasks(rng, customers, context["users"])
    authors = list(context["users"].values())
    for index, customer in enumerate(customers[:12]):
        kind = ["call", "email", "incident", "note"][index % 4]
        entry = crm_services.log_interaction(
            third_party=customer,
            kind=kind,
            subject=rng.choice(crm_demo.SUBJECTS[kind]),
            body="Échange noté par l'équipe du Comptoir.",
            author=authors[index % len(authors)],
            direction="in" if kind in ("call", "email") else "",
        )
        if kind == "incident" and index % 8 == 2:
            crm_services.change_incident_status(entry, status="in_progress", author=authors[0])


def _sales(context):
    """The demo's sales calendar, over the last weeks only, with a few days of each kind: counter
    sales, phone orders (some split, which leaves backorders), web orders, quotes (accepted,
    refused or waiting), a big order with a deposit, a workshop invoiced directly; the demo's
    storylines follow (a return refunded, a voucher, a price reduction), payments, overdue ones."""
    year = sales_demo.SalesYear(context)
    start = year.today - timedelta(days=DAYS)
    days = [sales_demo._working_day(start + timedelta(days=offset)) for offset in range(0, DAYS - 3, 4)]
    events = [year.counter_sale, year.phone_order, year.web_order, year.b2b_quote]
    for index, day in enumerate(days):
        year.calendar.at(day, events[index % len(events)])
    year.calendar.at(days[0], year.big_order)
    year.calendar.at(days[1], year.workshop)
    year.calendar.at(sales_demo._working_day(year.today - timedelta(days=3)), year.b2b_quote)  # not answered yet
    year.calendar.run()


def seed_tour_shop(seed: int = 2026) -> dict:
    """Load the shop; returns the demo context (users by login…)."""
    context = {"random": random.Random(seed)}
    seed_company_and_users(context)
    with mock.patch.object(catalog_demo, "FAMILIES", _trimmed_families()):
        catalog_demo.seed_catalog(context)
    _third_parties(context)
    seed_warehouses(context)
    seed_purchasing(context)
    seed_stock_life(context)
    _sales(context)
    seed_accounting(context)
    # The web shop, as an administrator adds it (nothing is asked of it: no network in tests).
    prestashop_services.add_channel(
        name="boutique", base_url="https://boutique.comptoir-breton.example", api_key="K" * 32, warehouse=context["warehouse"]
    )
    return context

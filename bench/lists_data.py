"""The history of a busy shop for bench/lists.py: ten years of issued invoices, credit notes,
payments, orders, quotes, stock moves and journal entries, written by SQL (generate_series) on
PostgreSQL with the per-row triggers off (immutability, hash chains, balanced entries), then
VACUUM ANALYZE. Products and third parties go through the ORM as before (a few services derive
their prices and codes).

Every figure is a pure function of the row's rank, so two runs give the same database:
- invoice n (1…N): one of the first CUSTOMERS third parties, dated over ~10 years in the order of
  n, numbered FA<year>-<rank in the year>, 1 to 5 lines (3 on average), one VAT rate (20 %, or
  5.5 % for one in seven), totals adding up (VAT on the sum of the nets), amount due = gross;
- credit note j (1…C) credits the first line of invoice j × (N // C), right after it in the
  hash chain (one chain position series for both, as sales.chain keeps it), settled on the
  invoice by an allocation;
- payment k (1…P) settles the k-th invoice whose number is not a multiple of 4 (a tenth of them
  only by half): a quarter of the invoices stay unpaid, some partly paid (« reste dû » is real);
- stock move n goes to product (n − 1) mod PRODUCTS: per product, a reception of 20 then four
  deliveries of 3, in one of two warehouses per cycle of five, so the running stock
  (``product_quantity_after``) and the levels (summed from the ledger) agree;
- journal entry n posts invoice n (VT journal, four lines: 411 debit, 707 and 706 credit, 4457
  credit), numbered in its fiscal year, lettered when the invoice is paid;
- orders (two lines) and quotes (one line) over the same customers and years.

If a change adds a column that the services keep (a denormalised search text, a paid amount…),
fill it here as well: rows written by SQL do not go through the services.
"""

import random
from datetime import date
from decimal import Decimal

START = date(2017, 1, 1)
DAYS = 3620  # ten years, up to the end of November 2026

WORDS = ["Bol", "Tasse", "Théière", "Cocotte", "Poêle", "Couteau", "Nappe", "Lampe", "Chaise", "Galette", "Cidre", "Plaid"]
COLOURS = ["bleu", "rouge", "vert", "noir", "blanc", "jaune", "lin", "chêne", "inox", "grès"]
PREFIXES = ["Maison", "Atelier", "Café", "Cave"]
CITIES = [
    ("35000", "Rennes", "FR"),
    ("29200", "Brest", "FR"),
    ("75011", "Paris", "FR"),
    ("10115", "Berlin", "DE"),
    ("1201", "Genève", "CH"),
    ("97110", "Pointe-à-Pitre", "FR"),
    ("20121", "Milano", "IT"),
]


def populate_catalogue_and_customers(*, products: int, third_parties: int):
    """Products, categories and third parties (with a billing address) through the ORM."""
    from catalog.models import Product, VatRate
    from catalog.services import create_category, derive_prices
    from crm.models import Address, ThirdParty
    from lmb.models import Sequence
    from lmb.validators import ean13_with_check_digit

    rng = random.Random(1)
    rates = list(VatRate.objects.filter(territory="FR"))
    parents = [create_category(name=f"Rayon {i}") for i in range(20)]
    categories = [create_category(name=f"Famille {i}", parent=rng.choice(parents)) for i in range(200)]
    batch = []
    for index in range(products):
        product = Product(
            reference=f"P{index:07d}",
            designation=f"{rng.choice(WORDS)} {rng.choice(COLOURS)} modèle {index}",
            category=rng.choice(categories),
            vat_rate=rng.choice(rates),
            sale_price=Decimal(rng.randint(100, 50000)) / 100,
            price_includes_tax=rng.random() < 0.5,
            ean13=ean13_with_check_digit(f"376{index:09d}") if index % 10 else None,
        )
        derive_prices(product)
        product.category_sort_key = product.category.sort_key  # as catalog.services copies it
        product.purchase_price = (product.sale_price_excl_tax / 2).quantize(Decimal("0.01"))
        batch.append(product)
        if len(batch) == 5000:
            Product.objects.bulk_create(batch)
            batch = []
    Product.objects.bulk_create(batch)

    ThirdParty.objects.bulk_create(
        [
            ThirdParty(
                code=f"T{index:06d}",
                customer_account=f"C{index:06d}",
                kind="company",
                name=f"{rng.choice(PREFIXES)} {rng.choice(COLOURS)} {index}",
                customer_category=rng.choice(["consumer", "business", "reseller"]),
                email=f"client{index}@example.fr",
            )
            for index in range(1, third_parties + 1)
        ],
        batch_size=5000,
    )
    Sequence.objects.update_or_create(code="third_party", period="", defaults={"last_value": third_parties})
    addresses = []
    for third_party in ThirdParty.objects.only("pk").iterator(chunk_size=5000):
        postal_code, city, country = rng.choice(CITIES)
        addresses.append(
            Address(
                third_party=third_party,
                kind="billing",
                is_default=True,
                line1="1 rue du Port",
                postal_code=postal_code,
                city=city,
                country=country,
            )
        )
    Address.objects.bulk_create(addresses, batch_size=5000)


def prepare_reference_rows():
    """Two warehouses and the fiscal years of the ten years (monthly periods)."""
    from accounting.services import create_fiscal_year
    from stock.services import create_warehouse

    create_warehouse(code="MAG", name="Magasin de Rennes", is_default=True)
    create_warehouse(code="ENT", name="Entrepôt de Brest")
    for year in range(START.year, START.year + 11):
        create_fiscal_year(start=date(year, 1, 1), end=date(year, 12, 31))


# --- SQL ---------------------------------------------------------------------------------------

# The customers and products by rank (0…), so that a row's rank picks them with a modulo.
RANKED = """
CREATE TEMP TABLE bench_customer AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id, code, name, customer_account
      FROM crm_thirdparty ORDER BY id LIMIT %(customers)s;
CREATE UNIQUE INDEX ON bench_customer (k);
CREATE TEMP TABLE bench_product AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id, reference, designation, purchase_price
      FROM catalog_product;
CREATE UNIQUE INDEX ON bench_product (k);
"""

# Invoice n: its customer, day, line count, VAT rate and place in the hash chain.
INVOICE_PLAN = """
CREATE TEMP TABLE bench_invoice AS
    SELECT n, (n::bigint * 7919 %% %(customers)s)::int AS k,
           date %(start)s + ((n - 1)::bigint * %(days)s / %(invoices)s)::int AS day,
           1 + n %% 5 AS line_count,
           CASE WHEN n %% 7 = 0 THEN 5.5 ELSE 20 END::numeric AS rate,
           n + (n - 1) / %(step)s AS position
      FROM generate_series(1, %(invoices)s) AS n;
CREATE TEMP TABLE bench_invoice_line AS
    SELECT i.n, l.pos, (i.n::bigint * 31 + l.pos * 17) %% %(products)s AS pk,
           (1 + (i.n + l.pos) %% 4)::numeric AS quantity,
           round(((i.n::bigint * 13 + l.pos * 7) %% 9000 + 100) / 100.0, 2) AS unit_price, i.rate
      FROM bench_invoice i CROSS JOIN LATERAL generate_series(1, i.line_count) AS l(pos);
CREATE TEMP TABLE bench_invoice_total AS
    SELECT n, net, round(net * rate / 100, 2) AS vat
      FROM (SELECT n, rate, sum(quantity * unit_price) AS net FROM bench_invoice_line GROUP BY n, rate) AS s;
CREATE UNIQUE INDEX ON bench_invoice_total (n);
"""


def _document_columns(alias_day: str, customer: str, net: str, vat: str, rate: str) -> tuple[str, str]:
    """The columns every sales document carries (sales.models.Document) and their values."""
    columns = (
        "customer_name, customer_siren, customer_vat_number, customer_is_business, billing_address, delivery_address, "
        "vat_treatment, destination_country, prices_include_tax, currency, discount_percent, payment_terms, "
        "lines_total, allowance_total, total_excl_tax, total_vat, total_incl_tax, eco_participation_total, "
        "vat_breakdown, legal_mentions, note, created_at, channel_id, customer_id"
    )
    values = f"""{customer}.name, '', '', true,
        jsonb_build_object('name', {customer}.name, 'line1', '1 rue du Port', 'postal_code', '35000', 'city', 'Rennes',
                           'country', 'FR'),
        '{{}}'::jsonb, 'france', 'FR', false, 'EUR', 0, 'net_30',
        {net}, 0, {net}, {vat}, {net} + {vat}, 0,
        jsonb_build_array(jsonb_build_object('category', 'S', 'rate', {rate}::text, 'lines_net', {net}::text,
                          'allowance', '0.00', 'base', {net}::text, 'vat', {vat}::text, 'gross', ({net} + {vat})::text)),
        '[]'::jsonb, '', {alias_day} + time '09:30',
        (%(channels)s::bigint[])[1 + {customer}.k %% cardinality(%(channels)s::bigint[])], {customer}.id"""
    return columns, values


def _invoices_sql():
    columns, values = _document_columns("i.day", "c", "t.net", "t.vat", "i.rate")
    return f"""
INSERT INTO sales_invoice (id, {columns}, customer_reference, kind, number, status, invoice_date, delivery_date, due_date,
                           deposits_total, amount_due, issued_at, chain_position, previous_hash, content_hash, periodic)
SELECT i.n, {values},
       CASE WHEN i.n %% 3 = 0 THEN 'CMD-' || lpad((i.n::bigint * 37 %% 1000000)::text, 6, '0') ELSE '' END,
       'invoice',
       'FA' || extract(year FROM i.day) || '-'
            || lpad(row_number() OVER (PARTITION BY extract(year FROM i.day) ORDER BY i.n)::text, 6, '0'),
       'issued', i.day, i.day, i.day + 30, 0, t.net + t.vat, i.day + time '18:00', i.position,
       encode(sha256(convert_to('document ' || (i.position - 1), 'UTF8')), 'hex'),
       encode(sha256(convert_to('document ' || i.position, 'UTF8')), 'hex'), false
  FROM bench_invoice i JOIN bench_invoice_total t USING (n) JOIN bench_customer c ON c.k = i.k
 ORDER BY i.n;
INSERT INTO sales_invoiceline (document_id, position, kind, description, quantity, unit, unit_price, discount_percent,
                               vat_rate, vat_category, vat_exemption_code, net_amount, gross_amount, product_id)
SELECT l.n, l.pos, 'product', p.designation, l.quantity, 'C62', l.unit_price, 0, l.rate, 'S', '',
       l.quantity * l.unit_price, round(l.quantity * l.unit_price * (1 + l.rate / 100), 2), p.id
  FROM bench_invoice_line l JOIN bench_product p ON p.k = l.pk
 ORDER BY l.n, l.pos;
"""


def _credit_notes_sql():
    columns, values = _document_columns("i.day", "c", "cn.net", "cn.vat", "cn.rate")
    return f"""
CREATE TEMP TABLE bench_credit AS
    SELECT j, j * %(step)s AS n, line.id AS line_id, line.net_amount AS net,
           round(line.net_amount * line.vat_rate / 100, 2) AS vat, line.vat_rate AS rate
      FROM generate_series(1, %(credit_notes)s) AS j
      JOIN sales_invoiceline line ON line.document_id = j * %(step)s AND line.position = 1;
INSERT INTO sales_creditnote (id, {columns}, customer_reference, number, status, invoice_id, credit_date, reason,
                              settlement, issued_at, chain_position, previous_hash, content_hash)
SELECT cn.j, {values}, '',
       'AV' || extract(year FROM i.day) || '-'
            || lpad(row_number() OVER (PARTITION BY extract(year FROM i.day) ORDER BY cn.j)::text, 6, '0'),
       'issued', cn.n, i.day, 'Retour de marchandise', 'balance', i.day + time '18:30', i.position + 1,
       encode(sha256(convert_to('document ' || i.position, 'UTF8')), 'hex'),
       encode(sha256(convert_to('document ' || (i.position + 1), 'UTF8')), 'hex')
  FROM bench_credit cn JOIN bench_invoice i ON i.n = cn.n JOIN bench_customer c ON c.k = i.k
 ORDER BY cn.j;
INSERT INTO sales_creditnoteline (document_id, position, kind, description, quantity, unit, unit_price, discount_percent,
                                  vat_rate, vat_category, vat_exemption_code, net_amount, gross_amount, return_to_stock,
                                  product_id, invoice_line_id)
SELECT cn.j, 1, 'product', line.description, line.quantity, line.unit, line.unit_price, 0, line.vat_rate, 'S', '',
       line.net_amount, line.gross_amount, false, line.product_id, line.id
  FROM bench_credit cn JOIN sales_invoiceline line ON line.id = cn.line_id;
INSERT INTO sales_allocation (invoice_id, credit_note_id, amount, allocated_at)
SELECT cn.n, cn.j, cn.net + cn.vat, i.day + time '18:30'
  FROM bench_credit cn JOIN bench_invoice i ON i.n = cn.n;
"""


# Payment k settles invoice k + (k - 1) / 3: every invoice whose number is not a multiple of 4.
PAYMENTS = """
CREATE TEMP TABLE bench_payment AS
    SELECT k, k + (k - 1) / 3 AS n FROM generate_series(1, %(payments)s) AS k;
INSERT INTO sales_payment (id, purpose, method, amount, currency, payment_date, reference, note, created_at, customer_id)
SELECT p.k, 'settlement', (ARRAY['transfer', 'card', 'cheque', 'cash', 'direct_debit'])[1 + p.k %% 5],
       CASE WHEN p.k %% 10 = 0 THEN round(inv.amount_due / 2, 2) ELSE inv.amount_due END, 'EUR',
       inv.invoice_date + p.k %% 40,
       CASE p.k %% 5 WHEN 0 THEN 'VIR ' || inv.number WHEN 2 THEN 'CHQ ' || (1000000 + p.k) ELSE '' END, '',
       inv.invoice_date + p.k %% 40 + time '11:00', inv.customer_id
  FROM bench_payment p JOIN sales_invoice inv ON inv.id = p.n
 ORDER BY p.k;
INSERT INTO sales_allocation (invoice_id, payment_id, amount, allocated_at)
SELECT p.n, p.k, pay.amount, pay.created_at
  FROM bench_payment p JOIN sales_payment pay ON pay.id = p.k;
INSERT INTO sales_openinvoice (invoice_id, balance)
SELECT inv.id, inv.amount_due - COALESCE(paid.total, 0)
  FROM sales_invoice inv
  LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM sales_allocation GROUP BY invoice_id) paid ON paid.invoice_id = inv.id
 WHERE inv.status = 'issued' AND inv.amount_due - COALESCE(paid.total, 0) > 0;
"""


def _orders_sql(table: str, prefix: str, count: str, lines: int, status: str, extra_columns: str, extra_values: str):
    """Orders or quotes: rank o dated over the ten years, ``lines`` lines each, 20 % VAT."""
    columns, values = _document_columns("o.day", "c", "t.net", "t.vat", "o.rate")
    line_extra = ", delivered_quantity, invoiced_quantity" if table == "sales_order" else ""
    line_extra_values = (
        ", CASE WHEN o.open THEN 0 ELSE l.quantity END, CASE WHEN o.open THEN 0 ELSE l.quantity END"
        if table == "sales_order"
        else ""
    )
    return f"""
CREATE TEMP TABLE bench_{table} AS
    SELECT o, (o::bigint * 104729 %% %(customers)s)::int AS k,
           date %(start)s + ((o - 1)::bigint * %(days)s / {count})::int AS day,
           o > {count} * 95 / 100 AS open, 20::numeric AS rate
      FROM generate_series(1, {count}) AS o;
CREATE TEMP TABLE bench_{table}_line AS
    SELECT o.o, l.pos, (o.o::bigint * 29 + l.pos * 11) %% %(products)s AS pk, (1 + (o.o + l.pos) %% 3)::numeric AS quantity,
           round(((o.o::bigint * 17 + l.pos * 5) %% 9000 + 100) / 100.0, 2) AS unit_price
      FROM bench_{table} o CROSS JOIN generate_series(1, {lines}) AS l(pos);
CREATE TEMP TABLE bench_{table}_total AS
    SELECT o, net, round(net * 20 / 100, 2) AS vat
      FROM (SELECT o, sum(quantity * unit_price) AS net FROM bench_{table}_line GROUP BY o) AS s;
INSERT INTO {table} (id, {columns}, customer_reference, number, status{extra_columns})
SELECT o.o, {values},
       CASE WHEN o.o %% 4 = 0 THEN 'WEB-' || lpad((o.o::bigint * 53 %% 1000000)::text, 6, '0') ELSE '' END,
       '{prefix}' || extract(year FROM o.day) || '-'
            || lpad(row_number() OVER (PARTITION BY extract(year FROM o.day) ORDER BY o.o)::text, 6, '0'),
       {status}{extra_values}
  FROM bench_{table} o JOIN bench_{table}_total t USING (o) JOIN bench_customer c ON c.k = o.k
 ORDER BY o.o;
INSERT INTO {table}line (document_id, position, kind, description, quantity, unit, unit_price, discount_percent, vat_rate,
                         vat_category, vat_exemption_code, net_amount, gross_amount, product_id{line_extra})
SELECT l.o, l.pos, 'product', p.designation, l.quantity, 'C62', l.unit_price, 0, 20, 'S', '', l.quantity * l.unit_price,
       round(l.quantity * l.unit_price * 1.2, 2), p.id{line_extra_values}
  FROM bench_{table}_line l JOIN bench_{table} o USING (o) JOIN bench_product p ON p.k = l.pk
 ORDER BY l.o, l.pos;
"""


def _orders_and_quotes_sql():
    orders = _orders_sql(
        "sales_order",
        "CO",
        "%(orders)s",
        2,
        "CASE WHEN o.open THEN 'confirmed' ELSE 'delivered' END",
        ", order_date, warehouse_id, carrier",
        ", o.day, %(warehouse)s, CASE WHEN o.o %% 2 = 0 THEN 'Colissimo' ELSE '' END",
    )
    quotes = _orders_sql(
        "sales_quote",
        "DE",
        "%(quotes)s",
        1,
        "(ARRAY['accepted', 'refused', 'expired', 'sent'])[1 + o.o %% 4]",
        ", quote_date, valid_until",
        ", o.day, o.day + 30",
    )
    return orders + quotes


# Move n: product (n - 1) mod P, its k0-th move: a reception of 20 every fifth move, else a
# delivery of 3; after it, the product holds 20 × receptions − 3 × deliveries.
STOCK_MOVES = """
INSERT INTO stock_stockmove (kind, quantity, unit_cost, value, product_quantity_after, average_cost_after, reason, note,
                             reference, source_type, source_id, created_at, product_id, warehouse_id)
SELECT CASE WHEN m.k0 %% 5 = 0 THEN 'reception' ELSE 'delivery' END,
       CASE WHEN m.k0 %% 5 = 0 THEN 20 ELSE -3 END, p.purchase_price,
       round(CASE WHEN m.k0 %% 5 = 0 THEN 20 ELSE -3 END * p.purchase_price, 2),
       20 * (m.k0 / 5 + 1) - 3 * (m.k0 + 1 - (m.k0 / 5 + 1)), p.purchase_price, '', '',
       CASE WHEN m.k0 %% 5 = 0 THEN 'BR' ELSE 'BL' END || lpad(m.n::text, 7, '0'), '', NULL,
       timestamptz %(start_moment)s + (m.n - 1) * (interval '1 day' * %(days)s / %(moves)s),
       p.id, (%(warehouses)s::bigint[])[1 + (m.k0 / 5 + p.k) %% 2]
  FROM (SELECT n, ((n - 1) %% %(products)s)::int AS pk, (n - 1) / %(products)s AS k0
          FROM generate_series(1, %(moves)s) AS n) AS m
  JOIN bench_product p ON p.k = m.pk
 ORDER BY m.n;
INSERT INTO stock_stocklevel (product_id, warehouse_id, on_hand, reserved)
SELECT product_id, warehouse_id, sum(quantity), 0 FROM stock_stockmove GROUP BY product_id, warehouse_id;
INSERT INTO stock_productvaluation (product_id, quantity, average_cost)
SELECT product_id, sum(quantity), max(average_cost_after) FROM stock_stockmove GROUP BY product_id;
"""

# Entry n posts invoice n: 411 debit the gross; 707 and 706 credit the net; 4457 credit the VAT.
JOURNAL = """
INSERT INTO accounting_journalentry (id, journal_id, number, fiscal_year_id, period_id, date, piece_ref, piece_date, label,
                                     source_type, source_id, posted_at)
SELECT inv.id, (SELECT id FROM accounting_journal WHERE code = 'VT'),
       row_number() OVER (PARTITION BY p.fiscal_year_id ORDER BY inv.id), p.fiscal_year_id, p.id, inv.invoice_date,
       inv.number, inv.invoice_date, 'Facture ' || inv.number || ' ' || inv.customer_name, 'invoice', inv.id,
       inv.issued_at + interval '1 hour'
  FROM sales_invoice inv JOIN accounting_period p ON p.start <= inv.invoice_date AND p."end" >= inv.invoice_date
 WHERE inv.id <= %(entries)s
 ORDER BY inv.id;
INSERT INTO accounting_journalline (entry_id, position, account_id, third_party_id, auxiliary_number, auxiliary_label, label,
                                    debit, credit, currency_amount, currency, lettering_code, lettering_date)
SELECT e.id, l.position, a.id, CASE WHEN l.position = 1 THEN c.id END,
       CASE WHEN l.position = 1 THEN c.customer_account ELSE '' END, CASE WHEN l.position = 1 THEN c.name ELSE '' END,
       e.label,
       CASE WHEN l.position = 1 THEN inv.total_incl_tax ELSE 0 END,
       CASE l.position WHEN 1 THEN 0 WHEN 2 THEN inv.total_excl_tax - round(inv.total_excl_tax / 3, 2)
                       WHEN 3 THEN round(inv.total_excl_tax / 3, 2) ELSE inv.total_vat END,
       NULL, '',
       CASE WHEN l.position = 1 AND inv.id %% 4 <> 0 THEN 'L' || inv.id ELSE '' END,
       CASE WHEN l.position = 1 AND inv.id %% 4 <> 0 THEN e.date + 30 END
  FROM accounting_journalentry e
  JOIN sales_invoice inv ON inv.id = e.source_id
  JOIN crm_thirdparty c ON c.id = inv.customer_id
 CROSS JOIN (VALUES (1, '411000'), (2, '707100'), (3, '706100'), (4, '445711')) AS l(position, account)
  JOIN accounting_account a ON a.number = l.account
 ORDER BY e.id, l.position;
"""

TABLES_WITH_IDS = [
    "sales_invoice",
    "sales_invoiceline",
    "sales_creditnote",
    "sales_creditnoteline",
    "sales_payment",
    "sales_allocation",
    "sales_openinvoice",
    "sales_order",
    "sales_orderline",
    "sales_quote",
    "sales_quoteline",
    "stock_stockmove",
    "stock_stocklevel",
    "accounting_journalentry",
    "accounting_journalline",
]


def populate_history(sizes: dict) -> dict:
    """The documents, payments, moves and entries of ``sizes`` by SQL; returns the seconds of each step."""
    import time

    import psycopg
    from django.db import connection

    from sales.models import Channel
    from stock.models import Warehouse

    invoices = sizes["invoices"]
    params = {
        **sizes,
        "start": START.isoformat(),
        "start_moment": f"{START.isoformat()} 08:00+00",
        "days": DAYS,
        # Credit note j follows invoice j × step; payments and entries stay within the invoices.
        "step": max(1, invoices // max(1, sizes["credit_notes"])),
        "credit_notes": min(sizes["credit_notes"], invoices),
        "payments": min(sizes["payments"], invoices * 3 // 4),
        "entries": min(sizes["entries"], invoices),
        "channels": list(Channel.objects.order_by("pk").values_list("pk", flat=True)),
        "warehouses": list(Warehouse.objects.order_by("-is_default", "pk").values_list("pk", flat=True)),
        "warehouse": Warehouse.objects.get(is_default=True).pk,
    }
    steps = {
        "ranked": RANKED,
        "invoices": INVOICE_PLAN + _invoices_sql(),
        "credit_notes": _credit_notes_sql(),
        "payments": PAYMENTS,
        "orders_quotes": _orders_and_quotes_sql(),
        "stock_moves": STOCK_MOVES,
        "journal": JOURNAL,
    }
    seconds = {}
    connection.ensure_connection()
    # Client-side binding: the scripts hold DDL (CREATE TABLE AS), which takes no server-side parameter.
    with psycopg.ClientCursor(connection.connection) as cursor:
        cursor.execute("SET session_replication_role = replica")  # bulk load: the per-row triggers off
        try:
            for name, sql in steps.items():
                started = time.perf_counter()
                for statement in _statements(sql):
                    cursor.execute(statement, params if "%" in statement else None)
                seconds[name] = round(time.perf_counter() - started, 1)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        for table in TABLES_WITH_IDS:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"  # noqa: S608
            )
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves a table in use: statistics and visibility map
        seconds["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    return seconds


def _statements(sql: str):
    """The statements of a script, one by one (``%%`` stays ``%%`` for the parameters' sake)."""
    return [statement.strip() for statement in sql.split(";\n") if statement.strip()]

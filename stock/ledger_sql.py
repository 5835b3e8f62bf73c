"""The PostgreSQL fast path of ``services._write_move``: one statement that locks the product's
valuation row, computes the cost and the new weighted average cost, updates the level (refusing
to go below zero) and the valuation, and inserts the move.

Why: the row lock of a product serialises its moves, and it is held until the transaction
commits. Done with the ORM, the lock also covers several round trips and the Python between
them; with a single statement it covers one round trip. The ORM version in ``services`` stays
the reference (SQLite runs it) and both give the same moves: the ledger tests run on each.
Rounding: PostgreSQL's round() on numeric goes half away from zero, like ROUND_HALF_UP.

The lock is held until COMMIT. A move that is a whole transaction on its own (a single move
called from a view, the API, a task) therefore runs as the bare statement, in its own implicit
transaction (``alone=True``): the server commits as soon as the statement is done, in the same
round trip. Otherwise the lock would stay held while this process gets its turn on a busy CPU to
read the result and send COMMIT — what made eight writers of one hot product queue.
"""

from django.db import connection
from psycopg.pq import TransactionStatus

WRITE_MOVE = """
WITH valuation AS (
    SELECT quantity, average_cost FROM stock_productvaluation WHERE product_id = %(product)s FOR UPDATE
), costed AS (
    SELECT quantity AS quantity_before, average_cost AS average_before,
           round(COALESCE(%(unit_cost)s::numeric,
                          CASE WHEN %(quantity)s::numeric > 0 AND quantity <= 0 AND average_cost = 0
                               THEN %(fallback_cost)s::numeric ELSE average_cost END), 6) AS unit_cost
      FROM valuation
), computed AS (
    SELECT unit_cost, quantity_before + %(quantity)s::numeric AS quantity_after,
           CASE WHEN %(quantity)s::numeric <= 0 THEN average_before
                WHEN quantity_before <= 0 THEN unit_cost
                ELSE round((quantity_before * average_before + %(quantity)s::numeric * unit_cost)
                           / (quantity_before + %(quantity)s::numeric), 6)
           END AS average_after
      FROM costed
), level AS (
    -- Joined to "computed": without a valuation row, nothing at all is written.
    UPDATE stock_stocklevel
       SET on_hand = on_hand + %(quantity)s::numeric,
           reserved = GREATEST(0, reserved - %(release)s::numeric)
      FROM computed
     WHERE product_id = %(product)s AND warehouse_id = %(warehouse)s
       AND (%(allow_negative)s OR %(quantity)s::numeric >= 0 OR on_hand + %(quantity)s::numeric >= 0)
 RETURNING on_hand
), revalued AS (
    -- Joined to "level": a refused move (not enough stock) changes nothing.
    UPDATE stock_productvaluation AS valuation
       SET quantity = computed.quantity_after, average_cost = computed.average_after
      FROM computed, level
     WHERE valuation.product_id = %(product)s
)
INSERT INTO stock_stockmove (product_id, warehouse_id, location_id, kind, quantity, unit_cost, value,
                             product_quantity_after, average_cost_after, reason, note, reference,
                             source_type, source_id, transfer_pair_id, created_at, created_by_id)
SELECT %(product)s, %(warehouse)s, %(location)s, %(kind)s, %(quantity)s::numeric, computed.unit_cost,
       round(%(quantity)s::numeric * computed.unit_cost, 2), computed.quantity_after, computed.average_after,
       %(reason)s, %(note)s, %(reference)s, %(source_type)s, %(source_id)s, %(transfer_pair)s, now(), %(user)s
  FROM computed, level
RETURNING id, unit_cost, value, product_quantity_after, average_cost_after, created_at
"""

_ENSURE_ROWS = """
INSERT INTO stock_productvaluation (product_id, quantity, average_cost) VALUES (%(product)s, 0, 0) ON CONFLICT DO NOTHING;
INSERT INTO stock_stocklevel (product_id, warehouse_id, on_hand, reserved) VALUES (%(product)s, %(warehouse)s, 0, 0)
ON CONFLICT DO NOTHING
"""


def write_move(parameters: dict, *, alone: bool = False) -> tuple | None:
    """Run the statement; None when the level refused the move (not enough stock). The
    valuation and level rows are created on the first move of a product in a warehouse.

    ``alone``: the caller's transaction holds this statement and nothing else (``atomic`` block
    outermost, nothing run in it yet, nothing to run after). The statement then commits by itself;
    a refused move (or a first one, whose rows were missing) has committed nothing, and what
    follows — making the rows, the second try, the refusal — runs in the caller's transaction as
    usual.

    The statement is prepared once per connection (psycopg's server-side binding): planning it
    costs more than running it, and the lock is held while it runs."""
    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection, in Django's transaction
    with raw.cursor() as cursor:
        if alone and raw.info.transaction_status == TransactionStatus.IDLE:
            raw.autocommit = True  # no round trip: no transaction is open yet
            try:
                cursor.execute(WRITE_MOVE, parameters, prepare=True)
            finally:
                raw.autocommit = False  # Django's atomic block goes on (its COMMIT finds nothing to do)
        else:
            cursor.execute(WRITE_MOVE, parameters, prepare=True)
        row = cursor.fetchone()
        if row is None:
            for statement in _ENSURE_ROWS.split(";"):
                cursor.execute(statement, parameters)
            cursor.execute(WRITE_MOVE, parameters, prepare=True)
            row = cursor.fetchone()
    return row

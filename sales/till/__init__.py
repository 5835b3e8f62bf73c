"""The till (caisse): registers, cash sessions, tickets, cash movements, the tamper-evident event
log, the sealed period closures (Z) and the signed archives that the French anti-fraud law for
cash registers asks of the software (fr-rules §3, POS-01..04: inalterability, security,
conservation, archiving). Certification itself (NF 525 / LNE, POS-03) is out of our reach.

- ``models``: Register, TillSession, Ticket, CashMovement, TillEvent, Closure (registered in the
  ``sales`` app by ``sales.models``; migration ``sales.0018_till_registers_sessions_closures``
  with the PostgreSQL triggers: events, closures and cash movements are insert-only, a ticket
  only lets its reprint counter go up, a closed session is frozen).
- ``services``: every write path; ``selling``: what a sale in a session adds to
  ``sales.services.checkout_at_counter`` — the one write path of a counter sale, always given
  the ``session`` (POS-01: a consumer's payment is never recorded outside one); ``journal``:
  the event log and its details in French; ``chain``: the hash chains of events and closures
  (``manage.py verify_chain`` walks them with the documents'); ``queries``: the session's
  figures and the period totals; ``archive``: the signed ZIP of a closed period
  (``manage.py till_archive``).

Decisions:
- Discount limit: ``Register.max_discount_percent`` (default 10 %), for a line or the whole
  ticket. Beyond it only a user with ``sales.discount_beyond_limit`` (granted to the
  administrator role) can sell, and the journal logs ``discount_over_threshold``.
- Closures are per register (day, month, year). The grand total is perpetual per register and
  kind: the previous closure of the same kind's grand total + this period's total (sales minus
  returns, tax included). A month sums its day closures, a year its months; each needs its
  parts closed first; a closed day takes no more tickets at that register.
- Expected cash = float + cash kept on the session's sales (payments record what is kept, the
  change is not) + cash received for vouchers sold − cash refunded on its returns ± its cash
  movements.
- A voucher sold at the till (``services.sell_voucher_at_till``, around ``payments.sell_voucher``)
  is a ticket of kind ``voucher_sale`` tied to the voucher sale's payment: the session's expected
  cash counts its cash; the Z keeps it apart (``totals["vouchers_sold"]``: count, total, per
  tender) — it is in no VAT, sales, tender or grand total (VOU-03: not turnover, no VAT) and in no
  ticket count; its VAT is due on the sale it later pays for.
- A return goes back into the returning register's warehouse (``issue_credit_note``'s
  ``return_warehouse``), refunded in cash, card or cheque, or turned into a voucher.
- Lock order, to avoid deadlocks: session (or register) row → document chain → closure chain →
  event chain; events are therefore logged last in each transaction.
"""

"""The till (caisse): registers, cash sessions, tickets, cash movements, the tamper-evident event
log and the sealed period closures (Z) the French anti-fraud law for cash registers asks of the
software (fr-rules §3, POS-01..04: inalterability, security, conservation).

A sale at the till is still ``sales.services.checkout_at_counter`` (order → delivery → issued
invoice → payments), given the session: the ticket is recorded in the same transaction."""

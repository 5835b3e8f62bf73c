"""On PostgreSQL, what the model layer refuses, raw SQL cannot do either: a posted entry never
changes nor goes away; of its lines only the lettering columns may change; no entry is added in
a closed period; and every entry balances when its transaction commits (a deferred constraint
trigger, so the lines may be inserted one by one)."""

from django.db import migrations

from lmb.migration_operations import PostgresOnlySQL, immutable_rows

LINES_FROZEN = """
CREATE OR REPLACE FUNCTION accounting_journalline_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Une ligne d''écriture validée ne se supprime pas (id %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.entry_id, NEW.position, NEW.account_id, NEW.third_party_id, NEW.auxiliary_number, NEW.auxiliary_label,
        NEW.label, NEW.debit, NEW.credit, NEW.currency_amount, NEW.currency)
       IS DISTINCT FROM
       (OLD.entry_id, OLD.position, OLD.account_id, OLD.third_party_id, OLD.auxiliary_number, OLD.auxiliary_label,
        OLD.label, OLD.debit, OLD.credit, OLD.currency_amount, OLD.currency) THEN
        RAISE EXCEPTION 'Une ligne d''écriture validée ne change pas, hors lettrage (id %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

CLOSED_PERIOD = """
CREATE OR REPLACE FUNCTION accounting_journalentry_open_period() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p accounting_period%ROWTYPE;
BEGIN
    SELECT * INTO p FROM accounting_period WHERE id = NEW.period_id FOR SHARE;
    IF p.is_closed THEN
        RAISE EXCEPTION 'La période du % est clôturée : aucune écriture n''y est acceptée', p.start
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.date < p.start OR NEW.date > p."end" OR NEW.fiscal_year_id <> p.fiscal_year_id THEN
        RAISE EXCEPTION 'L''écriture du % n''est pas dans sa période', NEW.date
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""

BALANCED = """
CREATE OR REPLACE FUNCTION accounting_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gap numeric;
BEGIN
    SELECT COALESCE(SUM(debit), 0) - COALESCE(SUM(credit), 0) INTO gap
      FROM accounting_journalline WHERE entry_id = NEW.entry_id;
    IF gap <> 0 THEN
        RAISE EXCEPTION 'Écriture % déséquilibrée (écart %)', NEW.entry_id, gap
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$
"""


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial")]

    operations = [
        immutable_rows("accounting_journalentry", "Une écriture validée ne change pas"),
        PostgresOnlySQL(
            sql=[
                LINES_FROZEN,
                "CREATE TRIGGER accounting_journalline_frozen BEFORE UPDATE OR DELETE ON accounting_journalline "
                "FOR EACH ROW EXECUTE FUNCTION accounting_journalline_frozen()",
                CLOSED_PERIOD,
                "CREATE TRIGGER accounting_journalentry_open_period BEFORE INSERT ON accounting_journalentry "
                "FOR EACH ROW EXECUTE FUNCTION accounting_journalentry_open_period()",
                BALANCED,
                "CREATE CONSTRAINT TRIGGER accounting_entry_balanced AFTER INSERT ON accounting_journalline "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION accounting_entry_balanced()",
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS accounting_entry_balanced ON accounting_journalline",
                "DROP FUNCTION IF EXISTS accounting_entry_balanced()",
                "DROP TRIGGER IF EXISTS accounting_journalentry_open_period ON accounting_journalentry",
                "DROP FUNCTION IF EXISTS accounting_journalentry_open_period()",
                "DROP TRIGGER IF EXISTS accounting_journalline_frozen ON accounting_journalline",
                "DROP FUNCTION IF EXISTS accounting_journalline_frozen()",
            ],
        ),
    ]

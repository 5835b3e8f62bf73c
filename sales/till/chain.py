"""The hash chains of the till (POS-02 « sécurisation »): the event log and the closures, each
its own chain built like ``sales.chain`` for documents. A row stores its position (``sequence``,
from a gapless ``lmb`` sequence taken in the inserting transaction, so positions follow the
order of commit), the previous row's hash, and the SHA-256 of its canonical content with that
hash. Changing or deleting a row behind the triggers' back breaks the chain from there:
``verify_events`` / ``verify_closures`` name the first broken link."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db.models import Max

from lmb.services import next_value

from .models import Closure, TillEvent

EVENT_CHAIN = "till_event_chain"
CLOSURE_CHAIN = "till_closure_chain"


def plain(value):
    """JSON-ready, stable: Decimals and dates as strings."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def instant(moment) -> str:
    """A moment as the database gives it back (UTC): one written with another offset (a clock in
    Paris time) hashes the same before and after the round trip."""
    return moment.astimezone(UTC).isoformat()


def event_content(event: TillEvent) -> dict:
    return {
        "kind": event.kind,
        "register": event.register_id,
        "session": event.session_id,
        "user": event.user_id,
        "at": instant(event.at),
        "details": plain(event.details),
    }


def closure_content(closure: Closure) -> dict:
    return {
        "register": closure.register_id,
        "kind": closure.kind,
        "period_start": closure.period_start.isoformat(),
        "period_end": closure.period_end.isoformat(),
        "ticket_count": closure.ticket_count,
        "sales_total": plain(Decimal(closure.sales_total).quantize(Decimal("0.01"))),
        "returns_total": plain(Decimal(closure.returns_total).quantize(Decimal("0.01"))),
        "period_total": plain(Decimal(closure.period_total).quantize(Decimal("0.01"))),
        "grand_total": plain(Decimal(closure.grand_total).quantize(Decimal("0.01"))),
        "totals": plain(closure.totals),
        "closed_by": closure.closed_by_id,
        "closed_at": instant(closure.closed_at),
    }


CONTENT = {TillEvent: event_content, Closure: closure_content}
SEQUENCE = {TillEvent: EVENT_CHAIN, Closure: CLOSURE_CHAIN}


def content_hash(row, previous_hash: str) -> str:
    content = CONTENT[type(row)](row)
    payload = json.dumps({"previous": previous_hash, "content": content}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def seal(row):
    """Give a new row its place in its chain and its hash, then insert it. Inside the caller's
    transaction: the chain's sequence row stays locked until commit (``next_value``)."""
    model = type(row)
    row.sequence = next_value(SEQUENCE[model])
    previous = model.objects.filter(sequence=row.sequence - 1).values_list("content_hash", flat=True).first()
    row.previous_hash = previous or ""
    # JSON as the database gives it back (Decimals and dates as strings): what is verified later
    name = "details" if model is TillEvent else "totals"
    setattr(row, name, json.loads(json.dumps(plain(getattr(row, name)))))
    row.content_hash = content_hash(row, row.previous_hash)
    row.save(force_insert=True)
    return row


@dataclass(frozen=True)
class BrokenLink:
    position: int
    reason: str


def _verify(model, chunk_size: int) -> tuple[int, BrokenLink | None]:
    last = model.objects.aggregate(last=Max("sequence"))["last"] or 0
    previous_hash = ""
    for start in range(1, last + 1, chunk_size):
        rows = {row.sequence: row for row in model.objects.filter(sequence__range=(start, start + chunk_size - 1))}
        for position in range(start, min(start + chunk_size, last + 1)):
            row = rows.get(position)
            if row is None:
                return position - 1, BrokenLink(position, "enregistrement manquant : une ligne a été supprimée")
            if row.previous_hash != previous_hash:
                return position - 1, BrokenLink(position, "le lien vers l'enregistrement précédent ne correspond pas")
            if content_hash(row, previous_hash) != row.content_hash:
                return position - 1, BrokenLink(position, "le contenu a été modifié après l'enregistrement")
            previous_hash = row.content_hash
    return last, None


def verify_events(chunk_size: int = 1000) -> tuple[int, BrokenLink | None]:
    """Walk the event log in order: (events checked, first broken link or None)."""
    return _verify(TillEvent, chunk_size)


def verify_closures(chunk_size: int = 1000) -> tuple[int, BrokenLink | None]:
    """Walk the closures in order: (closures checked, first broken link or None)."""
    return _verify(Closure, chunk_size)

"""Archives of the till (POS-02 « archivage »): a closed period of a register — its closure, the
closures it sums, its tickets and the till's event log of the period — exported as one ZIP file
that can be read back and verified for the tax period (NUM-04), on any machine holding the
project's secret key.

The file holds ``closures.json``, ``tickets.json``, ``events.json`` and ``manifest.json`` (the
register, the period, each file's SHA-256), and ``manifest.sig``: the manifest signed with
``django.core.signing`` (HMAC-SHA256 keyed by SECRET_KEY, salted; SECRET_KEY_FALLBACKS keep old
archives verifiable after a key rotation). ``verify`` checks the signature, every file's
digest, and recomputes each closure's and event's chained hash from the content archived.

Making an archive changes nothing but the journal: an ``archive`` event records the file's
SHA-256, so the archive handed over can be matched with the log."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.errors import InvalidInput

from . import chain, journal
from .models import Closure, Ticket, TillEvent

SALT = "sales.till.archive"
FILES = ("closures.json", "tickets.json", "events.json")
FORMAT = 1


def _json(value) -> bytes:
    return json.dumps(chain.plain(value), sort_keys=True, ensure_ascii=False, indent=1).encode()


def _sealed(row) -> dict:
    """A chained row as archived: its position, links and canonical content (enough to recompute its hash)."""
    content = chain.CONTENT[type(row)](row)
    return {"sequence": row.sequence, "previous_hash": row.previous_hash, "content_hash": row.content_hash, "content": content}


def _ticket(ticket: Ticket) -> dict:
    if ticket.kind == Ticket.Kind.VOUCHER_SALE:
        return _voucher_ticket(ticket)
    document = ticket.document
    return {
        "id": ticket.pk,
        "kind": ticket.kind,
        "session": ticket.session_id,
        "user": ticket.user_id,
        "created_at": ticket.created_at,
        "document": document.number,
        "invoice": ticket.credit_note.invoice.number if ticket.credit_note_id else ticket.invoice.number,
        "document_hash": document.content_hash,
        "chain_position": document.chain_position,
        "total_incl_tax": document.total_incl_tax,
        "vat_breakdown": document.vat_breakdown,
        "tendered": ticket.tendered,
        "change": ticket.change,
    }


def _voucher_ticket(ticket: Ticket) -> dict:
    """A voucher sold: no document, no VAT (VOU-03) — its code, amount, validity and payment."""
    payment, voucher = ticket.payment, ticket.payment.voucher
    return {
        "id": ticket.pk,
        "kind": ticket.kind,
        "session": ticket.session_id,
        "user": ticket.user_id,
        "created_at": ticket.created_at,
        "voucher": voucher.code,
        "amount": voucher.amount,
        "expires_on": voucher.expires_on,
        "payment": {"id": payment.pk, "method": payment.method, "amount": payment.amount},
        "tendered": ticket.tendered,
        "change": ticket.change,
    }


def _period(closure: Closure) -> tuple[datetime, datetime]:
    since = timezone.make_aware(datetime.combine(closure.period_start, time.min))
    return since, timezone.make_aware(datetime.combine(closure.period_end + timedelta(days=1), time.min))


@transaction.atomic
def build(closure: Closure, *, user) -> bytes:
    """The signed archive of a closed period (the ``closure``'s), as the bytes of a ZIP file."""
    if user is None:
        raise InvalidInput({"user": [_("Une opération de caisse est faite par un utilisateur identifié.")]})
    closure = Closure.objects.select_related("register").get(pk=closure.pk)
    register = closure.register
    since, until = _period(closure)
    closures = Closure.objects.filter(
        register=register, period_start__gte=closure.period_start, period_end__lte=closure.period_end
    ).order_by("sequence")
    tickets = (
        Ticket.objects.filter(session__register=register, created_at__gte=since, created_at__lt=until)
        .select_related("invoice", "credit_note__invoice", "payment__voucher")
        .order_by("created_at", "pk")
    )
    events = TillEvent.objects.filter(register=register, at__gte=since, at__lt=until).order_by("sequence")
    contents = {
        "closures.json": _json([_sealed(row) for row in closures]),
        "tickets.json": _json([_ticket(ticket) for ticket in tickets]),
        "events.json": _json([_sealed(row) for row in events]),
    }
    manifest = _json(
        {
            "format": FORMAT,
            "register": {"id": register.pk, "code": register.code, "name": register.name},
            "closure": {"id": closure.pk, "kind": closure.kind, "sequence": closure.sequence, "hash": closure.content_hash},
            "period_start": closure.period_start,
            "period_end": closure.period_end,
            "made_at": timezone.now(),
            "made_by": user.pk,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()},
        }
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest)
        archive.writestr("manifest.sig", signing.Signer(salt=SALT).signature(manifest.decode()))
    data = buffer.getvalue()
    journal.log(
        journal.Kind.ARCHIVE,
        user=user,
        register=register,
        closure=closure.pk,
        period_start=closure.period_start,
        period_end=closure.period_end,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return data


@dataclass
class Verification:
    manifest: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rehash(row: dict) -> str:
    payload = json.dumps({"previous": row["previous_hash"], "content": row["content"]}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def verify(data: bytes) -> Verification:
    """Read an archive back and check it: the manifest's signature, each file's SHA-256, and the
    hash of every closure and event from its archived content. Problems are listed in French."""
    result = Verification()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {name: archive.read(name) for name in (*FILES, "manifest.json", "manifest.sig")}
    except (zipfile.BadZipFile, KeyError) as exc:
        result.problems.append(f"fichier illisible ou incomplet : {exc}")
        return result
    manifest = files["manifest.json"].decode()
    signer = signing.Signer(salt=SALT)
    try:
        signer.unsign(f"{manifest}{signer.sep}{files['manifest.sig'].decode()}")
    except signing.BadSignature:
        result.problems.append("la signature du manifeste ne correspond pas (archive modifiée ou clé différente)")
    result.manifest = json.loads(manifest)
    for name in FILES:
        if hashlib.sha256(files[name]).hexdigest() != result.manifest.get("files", {}).get(name):
            result.problems.append(f"{name} : l'empreinte ne correspond pas au manifeste")
    for name, label in (("closures.json", "clôture"), ("events.json", "événement")):
        for row in json.loads(files[name]):
            if _rehash(row) != row["content_hash"]:
                result.problems.append(f"{label} en position {row['sequence']} : le contenu ne correspond pas à son empreinte")
    return result

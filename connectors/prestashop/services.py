"""Every write path of the PrestaShop connector: shops, webhook events, sync runs, the error
queue and the push outbox (DESIGN §3). Network calls happen outside database transactions."""

import hashlib
import hmac
import json
import logging
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import VatRate
from lmb import queueing, text
from lmb.errors import Conflict, InvalidInput, messages_by_field
from lmb.formats import decimal_fr
from lmb.jobs import start_job
from lmb.services import validate_and_save
from lmb.text import xml_text
from sales.models import CreditNote, DeliveryNote, Invoice, PaymentMethod
from sales.services.channels import create_channel
from stock import services as stock_services
from stock.models import StockLevel

from . import importer, keys
from .client import PAGE_SIZE, BrokenAnswer, Unreachable, WebserviceClient, WebserviceError, shop_url_problem
from .models import OPTIONAL_RIGHTS, Binding, ImportIssue, Push, ShopChannel, SyncRun, WebhookEvent, missing_right_sentence

logger = logging.getLogger(__name__)

WEBHOOK_MAX_AGE = 300  # seconds a signed event stays acceptable (replay window)
SIGNATURE_HEADER = "X-LMB-Signature"
# PrestaShop's default state ids (a fresh 1.7/8 install); the operator adjusts them per shop.
DEFAULT_STATES = {"shipped": "4", "cancelled": "6", "refunded": "7", "invoiced": ""}
DEFAULT_PAID_STATES = ["2", "3", "4", "5", "9", "11"]
DEFAULT_CURRENCIES = {"1": "EUR"}
PUSH_MAX_ATTEMPTS = 5
# tasks.send_push retries an unreachable shop by itself, the n-th time after up to 2^n s, at most this long.
PUSH_RETRY_BACKOFF_MAX = 900


# --- Shops ----------------------------------------------------------------------------------------

STATE_ACTIONS = ("shipped", "invoiced", "cancelled", "refunded")
MAPPINGS = ("states", "paid_states", "payment_methods", "currencies", "carriers", "tax_rules")
CARRIER_LABEL_MAX = 100  # the delivery note's carrier field


def _default_mappings() -> dict:
    return {
        "states": dict(DEFAULT_STATES),
        "paid_states": list(DEFAULT_PAID_STATES),
        "payment_methods": {},
        "currencies": dict(DEFAULT_CURRENCIES),
        "carriers": {},
        "tax_rules": {},
    }


def _is_shop_id(value) -> bool:
    return str(value).isdigit()


def _bad_ids(mapping: dict) -> list[str]:
    return [str(key) for key in mapping if not _is_shop_id(key)]


def _id_errors(field: str, keys: list[str], what: str) -> dict:
    return {
        field: [_("« %(key)s » n'est pas un id %(what)s PrestaShop (un nombre).") % {"key": key, "what": what} for key in keys]
    }


def _payment_method(text: str) -> str:
    """An LMB payment method from what the screen shows (« Chèque ») or its code (cheque)."""
    text = text.strip()
    by_label = {str(label).casefold(): value for value, label in PaymentMethod.choices}
    return text if text in PaymentMethod.values else by_label.get(text.casefold(), text)


def _normalised(mapping, clean_value=lambda value: str(value).strip()) -> tuple[dict, list[str]]:
    """``mapping`` with its keys stripped and its values cleaned, and the keys two entries share
    once stripped (« 5 » and « 5 ») — refused by the caller, never one silently dropped."""
    cleaned, duplicates = {}, []
    for key, value in (mapping or {}).items():
        key = str(key).strip()
        if key in cleaned:
            duplicates.append(key)
        cleaned[key] = clean_value(value)
    return cleaned, duplicates


def _duplicate_errors(field: str, duplicates: list[str]) -> dict:
    message = _("« %(key)s » est associé deux fois : gardez une seule valeur.")
    return {field: [message % {"key": key} for key in duplicates]} if duplicates else {}


def clean_mappings(**mappings) -> dict:
    """The shop's mappings, checked and normalised: every PrestaShop id a number, every LMB value
    one LMB knows. Refused with one message per field at fault (states as ``state_<action>``)."""
    errors, cleaned = {}, {}
    states, duplicates = _normalised(mappings.get("states"), lambda value: str(value or "").strip())
    errors.update(_duplicate_errors("states", duplicates))
    for action, value in states.items():
        if action not in STATE_ACTIONS:
            errors["states"] = [_("Action LMB inconnue : « %(action)s ».") % {"action": action}]
        elif value and not _is_shop_id(value):
            errors[f"state_{action}"] = [_("Un id d'état PrestaShop est un nombre (« %(value)s »).") % {"value": value}]
    cleaned["states"] = {action: states.get(action, "") for action in STATE_ACTIONS}
    paid = [str(value).strip() for value in mappings.get("paid_states") or [] if str(value).strip()]
    if not all(_is_shop_id(value) for value in paid):
        errors["paid_states"] = [_("Les états payés sont des id d'état PrestaShop (des nombres séparés par des virgules).")]
    cleaned["paid_states"] = list(dict.fromkeys(paid))

    methods, duplicates = _normalised(mappings.get("payment_methods"), lambda value: _payment_method(str(value)))
    errors.update(_duplicate_errors("payment_methods", duplicates))
    unknown = [f"{module} = {method}" for module, method in methods.items() if method not in PaymentMethod.values]
    if unknown or not all(methods):
        errors["payment_methods"] = [
            _("Mode de règlement inconnu : %(lines)s. Modes possibles : %(choices)s.")
            % {"lines": ", ".join(unknown) or "—", "choices": ", ".join(str(label) for label in PaymentMethod.labels)}
        ]
    cleaned["payment_methods"] = methods

    currencies, duplicates = _normalised(mappings.get("currencies"), lambda value: str(value).strip().upper())
    if duplicates:
        errors.update(_duplicate_errors("currencies", duplicates))
    elif _bad_ids(currencies):
        errors.update(_id_errors("currencies", _bad_ids(currencies), _("de devise")))
    elif not all(len(code) == 3 and code.isalpha() for code in currencies.values()):
        errors["currencies"] = [_("Une devise LMB est un code ISO de 3 lettres (EUR, USD…).")]
    cleaned["currencies"] = currencies

    carriers, duplicates = _normalised(mappings.get("carriers"))
    if duplicates:
        errors.update(_duplicate_errors("carriers", duplicates))
    elif _bad_ids(carriers):
        errors.update(_id_errors("carriers", _bad_ids(carriers), _("de transporteur")))
    elif not all(0 < len(label) <= CARRIER_LABEL_MAX for label in carriers.values()):
        errors["carriers"] = [
            _("Donnez à chaque transporteur un nom de 1 à %(max)s caractères.") % {"max": decimal_fr(CARRIER_LABEL_MAX)}
        ]
    cleaned["carriers"] = carriers

    tax_rules, duplicates = _normalised(mappings.get("tax_rules"), lambda value: str(value).strip().upper())
    known_codes = {code.upper(): code for code in VatRate.objects.values_list("code", flat=True)}
    missing = [code for code in tax_rules.values() if code not in known_codes]
    if duplicates:
        errors.update(_duplicate_errors("tax_rules", duplicates))
    elif _bad_ids(tax_rules):
        errors.update(_id_errors("tax_rules", _bad_ids(tax_rules), _("de groupe de règles de taxes")))
    elif missing:
        errors["tax_rules"] = [
            _("Taux de TVA inconnu de LMB : %(codes)s (codes dans Catalogue > Taux de TVA, par exemple FR-20).")
            % {"codes": ", ".join(missing)}
        ]
    cleaned["tax_rules"] = {key: known_codes.get(code, code) for key, code in tax_rules.items()}
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _clean_name(name: str, *, channel: ShopChannel | None = None) -> str:
    slug = slugify(name or "")
    if not slug:
        raise InvalidInput({"name": [_("Donnez un nom à la boutique (lettres, chiffres, tirets).")]})
    if ShopChannel.objects.filter(name=slug).exclude(pk=getattr(channel, "pk", None)).exists():
        raise Conflict(_("La boutique %(name)s existe déjà.") % {"name": slug}, field="name")
    return slug


def _clean_base_url(base_url: str) -> str:
    """The shop's root: a pasted ``…/api/`` is the webservice's address, not the shop's. Refused
    when the client could not call it (not http(s), credentials in it, a private address…)."""
    base_url = (base_url or "").strip().rstrip("/")
    base_url = base_url.removesuffix("/api").rstrip("/")
    problem = shop_url_problem(base_url)
    if problem:
        raise InvalidInput({"base_url": [problem]})
    return base_url


def _clean_api_key(api_key: str) -> str:
    api_key = (api_key or "").strip()
    if len(api_key) < 8:
        raise InvalidInput({"api_key": [_("La clé du webservice PrestaShop compte 32 caractères.")]})
    return api_key


@transaction.atomic
def add_channel(
    *,
    name: str,
    base_url: str,
    api_key: str,
    id_shop=None,
    warehouse=None,
    sales_channel=None,
    unknown_products: str | None = None,
    merge_customers_by_email: bool = True,
    **mappings,
) -> tuple[ShopChannel, str]:
    """A new shop, with its own LMB sales channel (unless one is given) and a fresh webhook
    secret. Returns ``(channel, webhook_secret)``: the secret is shown this once, for the module.
    Mappings not given take PrestaShop's defaults (see ``clean_mappings`` for the others)."""
    slug = _clean_name(name)
    api_key = _clean_api_key(api_key)
    cleaned = clean_mappings(**{**_default_mappings(), **{key: value for key, value in mappings.items() if value is not None}})
    channel = ShopChannel(
        name=slug,
        base_url=_clean_base_url(base_url),
        api_key_sealed=keys.seal(api_key),
        api_key_hint=keys.hint(api_key),
        id_shop=id_shop,
        warehouse=warehouse,
        unknown_products=unknown_products or ShopChannel.UnknownProducts.CREATE,
        merge_customers_by_email=merge_customers_by_email,
        **cleaned,
    )
    try:  # checked before the sales channel is created: a bad URL leaves nothing behind
        channel.full_clean(exclude=["sales_channel", "webhook_secret_sealed"])
    except ValidationError as exc:
        raise InvalidInput(messages_by_field(exc)) from exc
    if sales_channel is None:
        sales_channel = create_channel(
            # Our own code and name for the sales channel, made from the shop's (checked above), cut to their columns.
            code=f"PS-{slug}"[:20],
            name=f"PrestaShop {name}"[:100],
            prices_include_tax=True,
            warehouse=warehouse,
        )
    secret = secrets.token_hex(32)
    channel.sales_channel, channel.webhook_secret_sealed = sales_channel, keys.seal(secret)
    return validate_and_save(channel), secret


@transaction.atomic
def update_channel(
    channel: ShopChannel,
    *,
    name: str,
    base_url: str,
    api_key: str = "",
    id_shop=None,
    warehouse=None,
    is_active=True,
    unknown_products: str | None = None,
    merge_customers_by_email: bool | None = None,
    **mappings,
) -> ShopChannel:
    """Change a shop's settings. An empty ``api_key`` keeps the stored key (it is never shown back),
    unless the address changes: the key goes out with every request to the shop, so a new address
    is only taken with the key typed again — else whoever may edit the shop could point it at a
    server of theirs and read the key there. Renaming changes the webhook's address, which the
    shop's module must then be given."""
    channel = ShopChannel.objects.select_for_update().get(pk=channel.pk)
    channel.name = _clean_name(name, channel=channel)
    new_base_url = _clean_base_url(base_url)
    if new_base_url != channel.base_url and not (api_key or "").strip():
        raise InvalidInput(
            {
                "api_key": [
                    _(
                        "L'adresse de la boutique change : retapez la clé du webservice. Elle part avec chaque appel "
                        "à la boutique, elle n'est envoyée à une nouvelle adresse que saisie à nouveau."
                    )
                ]
            }
        )
    channel.base_url = new_base_url
    if (api_key or "").strip():
        api_key = _clean_api_key(api_key)
        channel.api_key_sealed, channel.api_key_hint = keys.seal(api_key), keys.hint(api_key)
    channel.id_shop, channel.warehouse, channel.is_active = id_shop, warehouse, is_active
    channel.unknown_products = unknown_products or channel.unknown_products
    if merge_customers_by_email is not None:  # not given: kept
        channel.merge_customers_by_email = merge_customers_by_email
    current = {name: getattr(channel, name) for name in MAPPINGS}
    for name, value in clean_mappings(**{**current, **mappings}).items():
        setattr(channel, name, value)
    return validate_and_save(channel)


@transaction.atomic
def set_api_key(channel: ShopChannel, *, api_key: str) -> ShopChannel:
    api_key = _clean_api_key(api_key)
    channel.api_key_sealed, channel.api_key_hint = keys.seal(api_key), keys.hint(api_key)
    channel.save(update_fields=["api_key_sealed", "api_key_hint"])
    return channel


# What the connector does with each resource; a key without one of these rights fails there.
# The rights it can do without (OPTIONAL_RIGHTS: messages) are reported apart, with their loss.
NEEDED_RIGHTS = {
    "orders": ("get",),
    "order_details": ("get",),
    "order_cart_rules": ("get",),  # only for orders with discounts: without it those are refused
    "customers": ("get",),
    "addresses": ("get",),
    "countries": ("get",),
    "order_histories": ("post",),
    "order_carriers": ("get", "put"),
    "stock_availables": ("get", "put"),
}


@dataclass
class ConnectionReport:
    """What the shop answered to ``GET /api/``: its name and what the key may do."""

    shop_name: str
    rights: dict  # resource → set of allowed methods
    missing: list  # "resource (method)" the connector needs and the key lacks
    limits: list  # for each optional right lacking: what is lost, in French


def check_connection(channel: ShopChannel, *, client: WebserviceClient | None = None) -> ConnectionReport:
    """Ask the shop's webservice which resources the key may use (no write). Raises the
    WebserviceError (with PrestaShop's error code) when the shop refuses or cannot be reached."""
    root = (client or client_for(channel, attempts=1)).describe()
    api = root.find("api")
    if api is None:
        raise WebserviceError(_("La boutique a répondu, mais pas comme un webservice PrestaShop (pas de <api>)."))
    rights = {
        node.tag: {method for method in ("get", "put", "post", "patch", "delete", "head") if node.get(method) == "true"}
        for node in api
    }
    missing = [
        f"{resource} ({method.upper()})"
        for resource, methods in NEEDED_RIGHTS.items()
        for method in methods
        if method not in rights.get(resource, set())
    ]
    lacking = [right for right in OPTIONAL_RIGHTS if _lacks(rights, right)]
    for right in OPTIONAL_RIGHTS:
        importer.note_right(channel, right, missing=right in lacking)
    return ConnectionReport(
        shop_name=api.get("shopName", ""),
        rights=rights,
        missing=missing,
        limits=[missing_right_sentence(right) for right in lacking],
    )


def _lacks(rights: dict, right: str) -> bool:
    """Whether ``rights`` (GET /api/'s) lack ``right`` ("messages (GET)")."""
    resource, method = right.removesuffix(")").split(" (")
    return method.lower() not in rights.get(resource, set())


def client_for(channel: ShopChannel, **options) -> WebserviceClient:
    """The shop's client; PRESTASHOP_CLIENT (settings) may tune timeout, attempts and backoff."""
    return WebserviceClient.for_channel(channel, **{**getattr(settings, "PRESTASHOP_CLIENT", {}), **options})


# --- Webhook --------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookRefused(Exception):
    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


def receive_webhook(*, channel: ShopChannel, body: bytes, signature: str, now: float | None = None) -> WebhookEvent:
    """Check a posted event (HMAC-SHA256 of the raw body with the shop's secret; its timestamp
    within WEBHOOK_MAX_AGE), store it and queue its processing. A refused event stores nothing.
    Once the event is stored, the shop gets its answer whatever the broker's state: a message the
    broker could not take is sent again when the same body comes back, or by ``sweep_outbox``."""
    if not hmac.compare_digest(sign(channel.webhook_secret, body), signature or ""):
        raise WebhookRefused(_("Signature invalide."), 401)
    try:
        data = json.loads(body)
        stamp = int(data["timestamp"])
        order_id = str(int(data["id_order"]))
        event = str(data.get("event", "order"))
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookRefused(_("Contenu illisible : il faut event, id_order et timestamp."), 400) from exc
    if len(event) > WebhookEvent._meta.get_field("event").max_length:  # refused, never cut to fit
        raise WebhookRefused(text.too_long("event", len(event), WebhookEvent._meta.get_field("event").max_length), 400)
    if abs((now or time.time()) - stamp) > WEBHOOK_MAX_AGE:
        raise WebhookRefused(_("Évènement trop ancien ou daté dans le futur (rejeu refusé)."), 403)
    body_hash = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    replayed = WebhookEvent.objects.filter(channel=channel, body_hash=body_hash).first()
    if replayed is None:
        try:
            with transaction.atomic():
                stored = WebhookEvent.objects.create(
                    channel=channel, event=event, external_id=order_id, body=data, body_hash=body_hash
                )
                _queue_on_commit("process_webhook_event", stored.pk)
            return stored
        except IntegrityError:  # the same body, posted at the same instant, was stored by the other request
            replayed = WebhookEvent.objects.get(channel=channel, body_hash=body_hash)
    if replayed.status == WebhookEvent.Status.RECEIVED:  # not handled yet: its message may be lost
        with transaction.atomic():
            WebhookEvent.objects.filter(pk=replayed.pk).update(queued_at=timezone.now())
            _queue_on_commit("process_webhook_event", replayed.pk)
    return replayed


def process_webhook_event(event: WebhookEvent, *, client: WebserviceClient | None = None) -> importer.Outcome:
    """Read the order the event names from the webservice (the authoritative data) and import it."""
    channel = event.channel
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1, attempted_at=timezone.now())
    try:
        outcome = importer.import_order(channel=channel, client=client or client_for(channel), external_id=event.external_id)
    except WebserviceError as error:
        WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.FAILED, error=str(error))
        importer.record_issue(channel=channel, external_id=event.external_id, payload={"id": event.external_id}, error=str(error))
        raise
    # A skipped order (another shop's) is handled: the event keeps the reason in its error column.
    status = WebhookEvent.Status.FAILED if outcome.status == "failed" else WebhookEvent.Status.PROCESSED
    WebhookEvent.objects.filter(pk=event.pk).update(status=status, error=outcome.error, processed_at=timezone.now())
    return outcome


def _queue_on_commit(task_name: str, *args):
    """Send one of this connector's tasks once the transaction commits. The row it handles is
    committed first; a broker that cannot take the message leaves it pending for ``sweep_outbox``."""
    queueing.send_on_commit(f"connectors.prestashop.tasks.{task_name}", *args)


# --- Sync (poll, "sync now", command) -------------------------------------------------------------


@dataclass
class SyncCounts:
    read: int = 0
    created: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0


FAR_FUTURE = "9999-12-31 23:59:59"


def sync_channel(
    channel: ShopChannel,
    *,
    trigger: str = "poll",
    client: WebserviceClient | None = None,
    full: bool = False,
    report: Callable[[int, str], None] | None = None,
) -> SyncRun:
    """Import every order updated on the shop since the last run (all of them the first time,
    or with ``full``); the cursor moves to the last date_upd read. Each order is imported on its
    own: one refused order goes to the error queue and the run goes on."""
    client = client or client_for(channel)
    run = SyncRun.objects.create(channel=channel, trigger=trigger)
    counts = SyncCounts()
    filters = {} if full or not channel.poll_cursor else {"date_upd": f"[{channel.poll_cursor},{FAR_FUTURE}]"}
    if channel.id_shop:  # the webservice's id_shop parameter does not restrict a list of orders: this does
        filters["id_shop"] = f"[{channel.id_shop}]"
    cursor = channel.poll_cursor
    try:
        total = sum(1 for _ in client.list("orders", filters=filters, display="[id]", page_size=1000)) if report else 0
        memo = {}  # product lookups shared by the run's orders
        known = dict(Binding.objects.filter(channel=channel, kind=Binding.Kind.ORDER).values_list("external_id", "fingerprint"))
        for page in _pages(client.list("orders", filters=filters, sort="[date_upd_ASC,id_ASC]"), PAGE_SIZE):
            counts.read += len(page)
            changed = [
                payload
                for payload in page  # the cheap path of a re-read: no lock, no query for what did not change
                if known.get(importer.text(payload, "id")) != importer.fingerprint(importer.without_secrets(payload))
            ]
            counts.unchanged += len(page) - len(changed)
            for outcome in importer.import_page(channel=channel, client=client, payloads=changed, memo=memo):
                counted = "unchanged" if outcome.status in ("updated", "unchanged") else outcome.status
                setattr(counts, counted, getattr(counts, counted) + 1)
            cursor = max(cursor, *(importer.text(payload, "date_upd") for payload in page))
            if report:
                report(
                    counts.read * 100 // max(total, 1),
                    _("%(read)s commandes lues sur %(total)s") % {"read": decimal_fr(counts.read), "total": decimal_fr(total)},
                )
    except WebserviceError as error:
        _finish(run, counts, SyncRun.Status.FAILED, str(error))
        ShopChannel.objects.filter(pk=channel.pk).update(poll_cursor=cursor)
        raise
    ShopChannel.objects.filter(pk=channel.pk).update(poll_cursor=cursor)
    channel.poll_cursor = cursor
    return _finish(run, counts, SyncRun.Status.DONE, "")


def _pages(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """The records in lists of ``size`` (the last one shorter), as the webservice's pages came."""
    iterator = iter(records)
    while page := list(islice(iterator, size)):
        yield page


def _finish(run: SyncRun, counts: SyncCounts, status: str, error: str) -> SyncRun:
    run.read, run.created, run.unchanged, run.failed = counts.read, counts.created, counts.unchanged, counts.failed
    run.skipped = counts.skipped
    run.status, run.error, run.finished_at = status, error, timezone.now()
    run.save()
    return run


def start_sync_job(channel: ShopChannel, *, user=None):
    """A "sync now" job: the task runs the sync and reports progress on the job."""
    return start_job(
        kind="prestashop_sync",
        title=_("Synchronisation de %(shop)s") % {"shop": channel.name},
        user=user,
        parameters={"channel": channel.pk},
        task="connectors.prestashop.tasks.run_sync_job",
    )


# --- Error queue ----------------------------------------------------------------------------------


def retry_issue(issue: ImportIssue, *, client: WebserviceClient | None = None) -> importer.Outcome:
    """Read the order again from the shop and import it (the queue keeps it if it fails again)."""
    if issue.status == ImportIssue.Status.RESOLVED:
        raise Conflict(_("Cette erreur est déjà résolue."))
    channel = issue.channel
    return importer.import_order(channel=channel, client=client or client_for(channel), external_id=issue.external_id)


@transaction.atomic
def ignore_issue(issue: ImportIssue, *, reason: str) -> ImportIssue:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("Indiquez pourquoi cette commande est ignorée.")]})
    issue = ImportIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != ImportIssue.Status.OPEN:
        raise Conflict(_("Seule une erreur à traiter peut être ignorée."))
    issue.status, issue.ignored_reason = ImportIssue.Status.IGNORED, reason
    text.check_fields(issue, "ignored_reason")  # typed on the screen: refused naming it, never cut
    issue.save(update_fields=["status", "ignored_reason", "last_seen_at"])
    return issue


# --- Pushes back to the shop ----------------------------------------------------------------------


def _bound_orders(order_ids) -> list[tuple[ShopChannel, str, int]]:
    """(channel, shop order id, LMB order id) of the orders imported from an active shop."""
    bindings = Binding.objects.filter(kind=Binding.Kind.ORDER, object_id__in=order_ids, channel__is_active=True).select_related(
        "channel"
    )
    return [(binding.channel, binding.external_id, binding.object_id) for binding in bindings]


def _record_push(channel, kind, key, payload, *, renew=False) -> Push | None:
    """One push per key (idempotent); ``renew`` re-arms a sent one (stock: the newest level)."""
    with transaction.atomic():
        push, created = Push.objects.select_for_update().get_or_create(
            channel=channel, key=key, defaults={"kind": kind, "payload": payload, "queued_at": timezone.now()}
        )
        if not created:
            if not renew or push.status == Push.Status.PENDING:
                return None
            push.status, push.attempts, push.last_error, push.payload = Push.Status.PENDING, 0, "", payload
            push.queued_at = timezone.now()
            push.save(update_fields=["status", "attempts", "last_error", "payload", "queued_at"])
        _queue_on_commit("send_push", push.pk)
    return push


def _push_state(order_ids, action: str):
    for channel, external_id, _pk in _bound_orders(order_ids):
        state = (channel.states or {}).get(action)
        if state:
            _record_push(
                channel,
                Push.Kind.STATE,
                f"state:{external_id}:{action}",
                {"order": external_id, "state": state, "action": action},
            )


def _shop_orders_of_invoice(invoice_id) -> list[int]:
    """Its orders that came from an active shop. Every invoice issued, web or not, asks: one
    plain statement, and most often nothing to push."""
    links = Invoice.orders.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT link.order_id FROM {links} link
                JOIN {Binding._meta.db_table} binding ON binding.object_id = link.order_id AND binding.kind = %s
                JOIN {ShopChannel._meta.db_table} channel ON channel.id = binding.channel_id AND channel.is_active
                WHERE link.invoice_id = %s""",  # noqa: S608
            [Binding.Kind.ORDER, invoice_id],
        )
        return [order_id for (order_id,) in cursor.fetchall()]


def on_delivery_note_shipped(*, delivery_note_id, order_id, **_):
    bound = _bound_orders([order_id])
    if not bound:  # not a shop's order (a counter sale, a phone order): nothing to push, nothing more to read
        return
    note = DeliveryNote.objects.get(pk=delivery_note_id)
    for channel, external_id, _pk in bound:
        if note.tracking_number:
            _record_push(
                channel,
                Push.Kind.TRACKING,
                f"tracking:{delivery_note_id}",
                {
                    "order": external_id,
                    "tracking_number": note.tracking_number,
                    "carrier": note.carrier,
                    "delivery_note": note.number,
                },
            )
    _push_state([order_id], "shipped")


def on_invoice_issued(*, invoice_id, kind, **_):
    """The shop's order is invoiced by its final invoice, not by a deposit invoice. Runs after
    every invoice issued, web or not: one statement."""
    if kind == Invoice.Kind.INVOICE and (order_ids := _shop_orders_of_invoice(invoice_id)):
        _push_state(order_ids, "invoiced")


def on_credit_note_issued(*, credit_note_id, invoice_id, **_):
    if (order_ids := _shop_orders_of_invoice(invoice_id)) and CreditNote.objects.filter(pk=credit_note_id).exists():
        _push_state(order_ids, "refunded")


def on_order_cancelled(*, order_id, **_):
    _push_state([order_id], "cancelled")


def on_stock_moved(*, product_id, warehouse_id, **_):
    """Queue the product's available quantity for every shop selling from that warehouse where
    the product is bound; many moves before the push is sent make one push of the newest level."""
    bindings = list(Binding.objects.filter(kind=Binding.Kind.PRODUCT, object_id=product_id).select_related("channel"))
    if not bindings:  # a product no shop sells (most at a till): one statement per move, no warehouse read
        return
    default = stock_services.default_warehouse()
    for binding in bindings:
        channel = binding.channel
        warehouse = channel.warehouse or channel.sales_channel.warehouse or default
        if channel.is_active and warehouse is not None and warehouse.pk == warehouse_id:
            _record_push(
                channel,
                Push.Kind.STOCK,
                f"stock:{binding.external_id}",
                {"product": product_id, "warehouse": warehouse_id, "shop_product": binding.external_id},
                renew=True,
            )


def send_push(push: Push, *, client: WebserviceClient | None = None) -> Push:
    """Send one push. Idempotent: a push already sent (or given up) is left alone, and a state
    the order already has is not posted again. Each attempt is counted when it starts, so that an
    attempt whose worker died counts too; a failure is kept on the push (and raised for the retry)."""
    push, attempts = _start_push_attempt(push)
    if attempts is None:
        return push
    client = client or client_for(push.channel)
    try:
        {Push.Kind.STATE: _send_state, Push.Kind.TRACKING: _send_tracking, Push.Kind.STOCK: _send_stock}[push.kind](client, push)
    except WebserviceError as error:
        status = Push.Status.FAILED if attempts >= PUSH_MAX_ATTEMPTS or not _retryable(error) else Push.Status.PENDING
        Push.objects.filter(pk=push.pk).update(last_error=str(error), status=status)
        raise
    except Exception as error:  # whatever else: kept with its reason, never pending in silence; the sweeper retries it (bounded)
        status = Push.Status.FAILED if attempts >= PUSH_MAX_ATTEMPTS else Push.Status.PENDING
        Push.objects.filter(pk=push.pk).update(last_error=f"{type(error).__name__}: {error}", status=status)
        raise
    Push.objects.filter(pk=push.pk).update(status=Push.Status.SENT, sent_at=timezone.now(), last_error="")
    push.refresh_from_db()
    return push


@transaction.atomic
def _start_push_attempt(push: Push) -> tuple[Push, int | None]:
    """Count an attempt under the push's row lock and return its number, or None when there is
    nothing to send (sent, given up, or out of attempts). Two deliveries of one push at once (a
    retry and the sweeper's resend) each count — neither overwrites the other's count — and
    never more than PUSH_MAX_ATTEMPTS start."""
    push = Push.objects.select_for_update(of=("self",)).select_related("channel").get(pk=push.pk)
    if push.status != Push.Status.PENDING:
        return push, None
    if push.attempts >= PUSH_MAX_ATTEMPTS:  # the last attempt's worker died: Celery sent it again
        return _give_up_push(push), None
    Push.objects.filter(pk=push.pk).update(attempts=F("attempts") + 1, attempted_at=timezone.now())
    push.refresh_from_db(fields=["attempts", "attempted_at"])
    return push, push.attempts


def _retryable(error: WebserviceError) -> bool:
    """Network errors, 5xx and unreadable answers (BrokenAnswer) may pass; a 4xx will not."""
    return isinstance(error, Unreachable) or error.status is None or error.status >= 500


def retry_push(push: Push) -> Push:
    Push.objects.filter(pk=push.pk).exclude(status=Push.Status.SENT).update(
        status=Push.Status.PENDING, attempts=0, queued_at=timezone.now()
    )
    _queue_on_commit("send_push", push.pk)
    return push


def _give_up_push(push: Push) -> Push:
    Push.objects.filter(pk=push.pk, status=Push.Status.PENDING).update(
        status=Push.Status.FAILED,
        last_error=_(
            "Envoi interrompu %(count)s fois (le processus qui l'exécutait s'est arrêté) : abandonné. « Renvoyer » le relance."
        )
        % {"count": push.attempts},
    )
    push.refresh_from_db()
    return push


# --- The outbox sweeper ---------------------------------------------------------------------------

# A message that should have been taken by now: the broker was down when it was sent, or lost it.
OUTBOX_RESEND_AFTER = timedelta(minutes=5)
# A push that failed is retried by its task within PUSH_RETRY_BACKOFF_MAX: the sweeper waits longer.
PUSH_RETRY_WAIT = timedelta(seconds=PUSH_RETRY_BACKOFF_MAX) + OUTBOX_RESEND_AFTER
EVENT_MAX_ATTEMPTS = 3


def _last_activity(model, *fields) -> Greatest:
    """The latest of the row's timestamps, those never set left out (SQLite's MAX gives NULL)."""
    first, *others = fields
    return Greatest(first, *(Coalesce(field, first) for field in others), output_field=model._meta.get_field(first))


def sweep_outbox(now=None) -> dict:
    """Celery beat: send again what was left undone when the broker was down or a worker died —
    webhook events still « received » and pushes still « pending » whose message should have been
    taken by now (a shipped order's tracking number never posted to the shop). Bounded: an event
    whose handling was started EVENT_MAX_ATTEMPTS times (the poll reads its order anyway), or a
    push started PUSH_MAX_ATTEMPTS times, fails with the reason instead. Duplicates are harmless:
    both tasks leave a handled row alone."""
    now = now or timezone.now()
    counts = {**_sweep_webhook_events(now), **_sweep_pushes(now)}
    if any(counts.values()):
        logger.warning("PrestaShop outbox swept: %s", counts)
    return counts


def _sweep_webhook_events(now) -> dict:
    """Queue again each received event untouched for OUTBOX_RESEND_AFTER; fail one started too often."""
    counts = {"events": 0, "events_failed": 0}
    events = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).annotate(
        last=_last_activity(WebhookEvent, "received_at", "queued_at", "attempted_at")
    )
    for event_id in events.filter(last__lt=now - OUTBOX_RESEND_AFTER).values_list("pk", flat=True):
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update(skip_locked=True).filter(
                pk=event_id, status=WebhookEvent.Status.RECEIVED
            )
            found = event.first()
            if found is None:  # handled meanwhile, or being handled (locked)
                continue
            if found.attempts >= EVENT_MAX_ATTEMPTS:
                event.update(status=WebhookEvent.Status.FAILED, error=_event_given_up(found.attempts))
                counts["events_failed"] += 1
                continue
            event.update(queued_at=now)
            _queue_on_commit("process_webhook_event", event_id)
            counts["events"] += 1
    return counts


def _event_given_up(attempts: int) -> str:
    return _(
        "Traitement interrompu %(count)s fois (le processus qui l'exécutait s'est arrêté) : "
        "la commande sera relue par le relevé périodique de la boutique."
    ) % {"count": attempts}


def _sweep_pushes(now) -> dict:
    """Queue again each pending push whose message should have been taken (never tried: after
    OUTBOX_RESEND_AFTER; tried: after its task's retries, PUSH_RETRY_WAIT); fail one out of attempts."""
    counts = {"pushes": 0, "pushes_failed": 0}
    pushes = Push.objects.filter(status=Push.Status.PENDING).annotate(
        last=_last_activity(Push, "created_at", "queued_at", "attempted_at")
    )
    waited = Q(attempts=0, last__lt=now - OUTBOX_RESEND_AFTER) | Q(attempts__gt=0, last__lt=now - PUSH_RETRY_WAIT)
    for push_id in pushes.filter(waited).values_list("pk", flat=True):
        with transaction.atomic():
            push = Push.objects.select_for_update(skip_locked=True).filter(pk=push_id, status=Push.Status.PENDING).first()
            if push is None:  # sent meanwhile, or being sent (locked)
                continue
            if push.attempts >= PUSH_MAX_ATTEMPTS:
                _give_up_push(push)
                counts["pushes_failed"] += 1
                continue
            Push.objects.filter(pk=push_id).update(queued_at=now)
            _queue_on_commit("send_push", push_id)
            counts["pushes"] += 1
    return counts


def _xml(resource: str, **values) -> ET.Element:
    root = ET.Element("prestashop")
    record = ET.SubElement(root, resource)
    for name, value in values.items():
        ET.SubElement(record, name).text = xml_text(value)
    return root


def _send_state(client: WebserviceClient, push: Push):
    order = client.get("orders", push.payload["order"])
    if importer.text(order, "current_state") == str(push.payload["state"]):
        return  # already there (a retried push whose first POST did land)
    client.post_xml(
        "order_histories",
        _xml("order_history", id_order=push.payload["order"], id_order_state=push.payload["state"]),
        sendemail="1",
    )


def _first_id(client: WebserviceClient, resource: str, filters: dict) -> str:
    for record in client.list(resource, filters=filters, display="[id]", page_size=1):
        return importer.text(record, "id")
    raise WebserviceError(
        _("Aucun enregistrement %(resource)s pour %(filters)s sur la boutique.") % {"resource": resource, "filters": filters}
    )


def _order_carrier_id(client: WebserviceClient, order_id: str) -> str:
    """The order_carriers row of the carrier the order ships with (the shop's tracking URL and
    "in transit" e-mail are that carrier's); an order whose rows name none: its latest row."""
    carrier = importer.text(client.get("orders", order_id), "id_carrier")
    rows = list(client.list("order_carriers", filters={"id_order": f"[{order_id}]"}, display="[id,id_carrier]"))
    if not rows:
        raise WebserviceError(
            _("La commande %(order)s n'a aucun transporteur (order_carriers) sur la boutique.") % {"order": order_id}
        )
    ours = [row for row in rows if importer.text(row, "id_carrier") == carrier] or rows
    return max((importer.text(row, "id") for row in ours), key=int)


def _send_tracking(client: WebserviceClient, push: Push):
    carrier_id = _order_carrier_id(client, push.payload["order"])
    root = client.get_xml("order_carriers", carrier_id)
    record = _record_in(root, "order_carriers", carrier_id)
    node = record.find("tracking_number")
    if node is None:
        node = ET.SubElement(record, "tracking_number")
    tracking_number = xml_text(push.payload["tracking_number"])  # XML cannot carry a control character
    if (node.text or "").strip() == tracking_number:
        return
    node.text = tracking_number
    _strip_links(record)
    client.put_xml("order_carriers", carrier_id, root, sendemail="1")


def _send_stock(client: WebserviceClient, push: Push):
    channel = push.channel
    product_id, _, attribute_id = push.payload["shop_product"].partition(":")
    level = StockLevel.objects.filter(product_id=push.payload["product"], warehouse_id=push.payload["warehouse"]).first()
    quantity = max(int(level.available), 0) if level else 0
    stock_id = _first_id(
        client, "stock_availables", {"id_product": f"[{product_id}]", "id_product_attribute": f"[{attribute_id or 0}]"}
    )
    root = client.get_xml("stock_availables", stock_id)
    record = _record_in(root, "stock_availables", stock_id)
    quantity_node = record.find("quantity")
    if quantity_node is None:
        raise BrokenAnswer(
            _("GET %(resource)s/%(id)s : la boutique a répondu sans le champ quantity.")
            % {"resource": "stock_availables", "id": stock_id}
        )
    quantity_node.text = str(quantity)
    _strip_links(record)
    client.put_xml("stock_availables", stock_id, root)
    Push.objects.filter(pk=push.pk).update(payload={**push.payload, "quantity": quantity, "channel": channel.name})


def _record_in(root: ET.Element, resource: str, record_id: str) -> ET.Element:
    """The record of a GET's XML (``<prestashop><stock_available>…``), or BrokenAnswer: an answer
    without it cannot be edited and PUT back."""
    singular = {"order_carriers": "order_carrier", "stock_availables": "stock_available"}[resource]
    record = root.find(singular)
    if record is None:
        raise BrokenAnswer(
            _("GET %(resource)s/%(id)s : la réponse de la boutique ne contient pas de <%(tag)s>.")
            % {"resource": resource, "id": record_id, "tag": singular}
        )
    return record


def _strip_links(record: ET.Element):
    """A PUT carries values only: the xlink attributes of the GET are dropped, and values are
    written without surrounding whitespace (PrestaShop can break on it)."""
    for node in record.iter():
        node.attrib.pop("{http://www.w3.org/1999/xlink}href", None)
        if node.text is not None and len(node) == 0:
            node.text = node.text.strip()

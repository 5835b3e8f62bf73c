"""PrestaShop shops (channels), what was imported from them (bindings), what they pushed to us
(webhook events), what could not be imported (the error queue), each sync run, and what we owe
them back (the push outbox).

Every external object is bound by (channel, kind, external id) under a unique constraint: the
same PrestaShop order imported twice, concurrently, by webhook and by poll, is one LMB order.
"""

from datetime import datetime

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sales.models import Channel as SalesChannel
from sales.models import PaymentMethod
from stock.models import Warehouse

from . import keys

# What LMB tells the shop, and the PrestaShop state it sets for each (ShopChannel.states).
STATE_ACTION_LABELS = {
    "shipped": _("expédiée"),
    "invoiced": _("facturée"),
    "cancelled": _("annulée"),
    "refunded": _("remboursée"),
}

# Rights the connector can do without, each with what is lost without it ("resource (METHOD)").
# A key lacking one keeps importing: the loss is named by the connection test, on the shop's
# page (ShopChannel.missing_rights, noted when the shop refuses the call) and on each order
# concerned — never silent, never a stop of the orders.
OPTIONAL_RIGHTS = {
    "messages (GET)": _("les messages des commandes ne sont pas lus"),
}


def missing_right_sentence(right: str) -> str:
    """« la clé n'a pas le droit messages (GET) : les messages des commandes ne sont pas lus »."""
    return _("la clé n'a pas le droit %(right)s : %(loss)s") % {"right": right, "loss": OPTIONAL_RIGHTS[right]}


class ShopChannel(models.Model):
    """One PrestaShop shop: where its webservice is, how to read it, and how its states, payment
    modules, currencies, carriers and tax rules map to LMB."""

    name = models.SlugField(_("nom"), max_length=50, unique=True, help_text=_("Sert dans l'adresse du webhook."))
    base_url = models.URLField(_("adresse de la boutique"), help_text=_("Racine de la boutique, sans /api/."))
    api_key_sealed = models.TextField(_("clé du webservice (chiffrée)"), editable=False)
    api_key_hint = models.CharField(_("clé du webservice"), max_length=12, editable=False)
    webhook_secret_sealed = models.TextField(_("secret du webhook (chiffré)"), editable=False)
    id_shop = models.PositiveIntegerField(_("id_shop (multiboutique)"), null=True, blank=True)
    sales_channel = models.ForeignKey(
        SalesChannel, on_delete=models.PROTECT, related_name="+", verbose_name=_("canal de vente LMB")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("dépôt d'expédition")
    )
    # PrestaShop ids differ per shop: the operator maps them (defaults are PrestaShop's own).
    states = models.JSONField(
        _("états PrestaShop"),
        default=dict,
        blank=True,
        help_text=_("Action LMB (expédiée, facturée, annulée, remboursée) → id d'état PrestaShop."),
    )
    paid_states = models.JSONField(_("états payés"), default=list, blank=True)
    payment_methods = models.JSONField(_("modules de paiement"), default=dict, blank=True)
    currencies = models.JSONField(_("devises"), default=dict, blank=True)
    carriers = models.JSONField(
        _("transporteurs"),
        default=dict,
        blank=True,
        help_text=_("id de transporteur PrestaShop → transporteur LMB (libellé de la ligne de port)."),
    )
    tax_rules = models.JSONField(
        _("règles de taxes"),
        default=dict,
        blank=True,
        help_text=_("id de groupe de règles de taxes PrestaShop → code du taux de TVA LMB (FR-20…)."),
    )

    class UnknownProducts(models.TextChoices):
        CREATE = "create", _("Créer le produit (ou la déclinaison) dans LMB")
        REFUSE = "refuse", _("Refuser la commande (file d'erreurs)")

    # An order row whose product or combination LMB does not know (connectors/prestashop/products.py).
    unknown_products = models.CharField(
        _("produits inconnus"),
        max_length=10,
        choices=UnknownProducts.choices,
        default=UnknownProducts.CREATE,
        help_text=_("Une commande vend un produit ou une déclinaison qu'aucun produit LMB ne porte (référence, EAN)."),
    )
    countries = models.JSONField(_("pays (cache)"), default=dict, blank=True, editable=False)
    merge_customers_by_email = models.BooleanField(
        _("un client par e-mail"),
        default=True,
        help_text=_(
            "Les commandes sans compte (invité) d'une même adresse e-mail arrivent comme autant de clients "
            "PrestaShop : les rattacher à un seul client LMB."
        ),
    )
    # The OPTIONAL_RIGHTS the shop refused to the key when last asked (by an import or the
    # connection test): the shop's page warns while one is listed.
    missing_rights = models.JSONField(_("droits manquants de la clé"), default=list, blank=True, editable=False)
    # PrestaShop's date_upd ("AAAA-MM-JJ hh:mm:ss", the shop's local time) of the last order read.
    poll_cursor = models.CharField(_("dernière mise à jour lue"), max_length=19, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("boutique PrestaShop")
        verbose_name_plural = _("boutiques PrestaShop")
        ordering = ["name"]
        # Changing a shop (its address, key, mappings) or testing its connection: administrators
        # (change_shopchannel). Running a sync and retrying pushes only talks to the stored address.
        permissions = [("sync_shopchannel", _("Peut synchroniser une boutique et relancer ses envois"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("prestashop:channel_detail", args=[self.pk])

    @property
    def api_key(self) -> str:
        return keys.unseal(self.api_key_sealed)

    @property
    def webhook_secret(self) -> str:
        return keys.unseal(self.webhook_secret_sealed)

    @property
    def api_key_display(self) -> str:
        return f"…{self.api_key_hint}"

    @property
    def states_display(self) -> list[tuple[str, str]]:
        """(French label of the LMB action, PrestaShop state id or "") in the actions' order."""
        states = self.states or {}
        return [(label, str(states.get(action) or "")) for action, label in STATE_ACTION_LABELS.items()]

    @property
    def payment_methods_display(self) -> list[tuple[str, str]]:
        """(PrestaShop module, French name of the LMB payment method)."""
        labels = dict(PaymentMethod.choices)
        return [(module, str(labels.get(method, method))) for module, method in (self.payment_methods or {}).items()]

    @property
    def missing_rights_display(self) -> list[str]:
        return [missing_right_sentence(right) for right in self.missing_rights or [] if right in OPTIONAL_RIGHTS]

    @property
    def poll_cursor_datetime(self) -> datetime | None:
        """The last date_upd read, as a date and time for display (None before the first sync)."""
        try:
            return datetime.strptime(self.poll_cursor, "%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError):
            return None


class Binding(models.Model):
    """A PrestaShop object bound to the LMB object imported from it."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Client")
        ADDRESS = "address", _("Adresse")
        ORDER = "order", _("Commande")
        PRODUCT = "product", _("Produit (id:déclinaison)")

    channel = models.ForeignKey(ShopChannel, on_delete=models.PROTECT, related_name="bindings")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    external_id = models.CharField(_("id PrestaShop"), max_length=40)
    object_id = models.BigIntegerField(_("id LMB"))
    fingerprint = models.CharField(_("empreinte du contenu importé"), max_length=64, blank=True)
    # A customer's e-mail on the shop, in lower case: the shop's guests of one address are one LMB
    # customer (ShopChannel.merge_customers_by_email), found by it within the shop.
    email = models.CharField(_("e-mail sur la boutique"), max_length=254, blank=True)
    external_updated_at = models.CharField(_("date_upd PrestaShop"), max_length=19, blank=True)
    imported_at = models.DateTimeField(_("importé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("correspondance PrestaShop")
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind", "external_id"], name="prestashop_binding_unique"),
            # One LMB product is one combination of a shop: its stock is pushed there and nowhere else.
            models.UniqueConstraint(
                fields=["channel", "object_id"],
                condition=models.Q(kind="product"),
                name="prestashop_binding_one_combination_per_product",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "object_id"], name="prestashop_binding_object_idx"),
            models.Index(fields=["channel", "email"], condition=~models.Q(email=""), name="prestashop_binding_email_idx"),
        ]

    def __str__(self):
        return f"{self.channel} {self.kind} {self.external_id} → {self.object_id}"


class WebhookEvent(models.Model):
    """A signed event the shop's module posted, kept as received until a task has handled it.
    ``queued_at`` and ``attempted_at`` tell the outbox sweeper whether its message may be lost.
    ``body_hash`` (SHA-256 of the body's canonical JSON) is unique per shop: the same signed body
    posted twice, even at the same instant, is one event. A body carries its timestamp and is
    refused once older than the replay window, so a legitimate new event never has an old one's
    hash. Events stored before the field existed keep it empty (outside the constraint)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Reçu")
        PROCESSED = "processed", _("Traité")
        FAILED = "failed", _("Échec")

    channel = models.ForeignKey(ShopChannel, on_delete=models.PROTECT, related_name="webhook_events")
    event = models.CharField(_("évènement"), max_length=60)
    external_id = models.CharField(_("id de commande"), max_length=40)
    body = models.JSONField(_("contenu"))
    body_hash = models.CharField(_("empreinte du contenu"), max_length=64, blank=True, editable=False)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("erreur"), blank=True)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    queued_at = models.DateTimeField(_("remis en file le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("traitements commencés"), default=0)
    attempted_at = models.DateTimeField(_("dernier traitement commencé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("évènement reçu")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "received_at"], name="prestashop_event_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "body_hash"], condition=~models.Q(body_hash=""), name="prestashop_event_unique_body"
            )
        ]

    def __str__(self):
        return f"{self.event} #{self.external_id}"


class ImportIssue(models.Model):
    """The error queue: an object that could not be imported, with its payload and the reason.
    It stays open until a retry imports it or someone ignores it with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("À traiter")
        RESOLVED = "resolved", _("Résolu")
        IGNORED = "ignored", _("Ignoré")

    channel = models.ForeignKey(ShopChannel, on_delete=models.PROTECT, related_name="issues")
    kind = models.CharField(_("type"), max_length=20, choices=Binding.Kind.choices, default=Binding.Kind.ORDER)
    external_id = models.CharField(_("id PrestaShop"), max_length=40)
    reference = models.CharField(_("référence"), max_length=40, blank=True)
    payload = models.JSONField(_("contenu reçu"), default=dict, blank=True)
    error = models.TextField(_("erreur"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.OPEN)
    attempts = models.PositiveIntegerField(_("tentatives"), default=1)
    ignored_reason = models.CharField(_("motif"), max_length=255, blank=True)
    first_seen_at = models.DateTimeField(_("première erreur"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("dernière erreur"), auto_now=True)

    class Meta:
        verbose_name = _("erreur d'import")
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind", "external_id"], name="prestashop_issue_unique"),
        ]
        indexes = [models.Index(fields=["status", "last_seen_at"], name="prestashop_issue_status_idx")]

    def __str__(self):
        return f"{self.channel} {self.kind} {self.external_id}"


class SyncRun(models.Model):
    """One pass over the shop (poll, "sync now", command): what it read and what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    class Trigger(models.TextChoices):
        POLL = "poll", _("Automatique")
        MANUAL = "manual", _("Synchroniser maintenant")
        COMMAND = "command", _("Commande")

    channel = models.ForeignKey(ShopChannel, on_delete=models.PROTECT, related_name="runs")
    trigger = models.CharField(_("origine"), max_length=20, choices=Trigger.choices)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.RUNNING)
    read = models.PositiveIntegerField(_("lues"), default=0)
    created = models.PositiveIntegerField(_("créées"), default=0)
    unchanged = models.PositiveIntegerField(_("inchangées"), default=0)
    failed = models.PositiveIntegerField(_("en erreur"), default=0)
    skipped = models.PositiveIntegerField(_("d'une autre boutique"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("synchronisation")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.channel} {self.started_at:%d/%m/%Y %H:%M}"


class Push(models.Model):
    """What LMB owes the shop (a state, a tracking number, a stock level): written in the
    transaction of the business event's handler, sent by a task, retried until it is sent.
    ``key`` makes each push idempotent: the same fact is recorded once. ``attempts`` counts the
    sendings started; ``queued_at`` and ``attempted_at`` tell the outbox sweeper whether a pending
    push's message may be lost."""

    class Kind(models.TextChoices):
        STATE = "state", _("État de commande")
        TRACKING = "tracking", _("N° de suivi")
        STOCK = "stock", _("Stock disponible")

    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    channel = models.ForeignKey(ShopChannel, on_delete=models.PROTECT, related_name="pushes")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("clé"), max_length=120)
    payload = models.JSONField(_("contenu"), default=dict)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    queued_at = models.DateTimeField(_("mis en file le"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("dernier envoi commencé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi vers PrestaShop")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="prestashop_push_unique_key")]
        indexes = [models.Index(fields=["status", "created_at"], name="prestashop_push_status_idx")]

    def __str__(self):
        return f"{self.channel} {self.key}"

    @property
    def description(self) -> str:
        """What the push tells the shop, in French (its key is for the machine)."""
        payload = self.payload or {}
        if self.kind == self.Kind.STATE:
            action = STATE_ACTION_LABELS.get(payload.get("action"), payload.get("action", ""))
            return _("Commande %(order)s : état « %(action)s » (id %(state)s)") % {
                "order": payload.get("order", "?"),
                "action": action,
                "state": payload.get("state", "?"),
            }
        if self.kind == self.Kind.TRACKING:
            return _("Commande %(order)s : n° de suivi %(number)s (%(note)s)") % {
                "order": payload.get("order", "?"),
                "number": payload.get("tracking_number", "?"),
                "note": payload.get("delivery_note", ""),
            }
        return _("Produit %(product)s de la boutique : stock disponible") % {"product": payload.get("shop_product", "?")}

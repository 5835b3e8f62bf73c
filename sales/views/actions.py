"""The transitions a user may apply to a document, described once: the button, the permission, the
statuses it is offered in, an optional form, and the service it calls. The detail page shows
only the buttons allowed; the action view applies the same rules (and the service has the last
word: a refusal comes back as a message with its reason)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from catalog.models import Product

from .. import queries, services
from ..forms import CreditNoteForm, DepositForm, IssueCreditNoteForm, PaymentForm, ShipForm
from ..models import CreditNote, DeliveryNote, Invoice, Order, Quote
from ..services.credit_notes import credited_quantities


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    permission: str
    statuses: tuple[str, ...]
    #: (document, user, cleaned_data) → the object to show next (its page), or None for the document
    run: Callable
    form_class: type | None = None
    style: str = "outline-primary"
    #: a question asked before a button without form (irreversible actions)
    confirm: str = ""
    #: beyond the status: is there anything to do?
    available: Callable = lambda document: True
    #: the message once done: a text, or a function of what the run returned
    success: str | Callable = ""
    #: where to go once done when the document is gone (a deleted draft)
    then_url_name: str = ""

    def is_offered(self, document, user) -> bool:
        return document.status in self.statuses and user.has_perm(self.permission) and self.available(document)

    def make_form(self, document, data=None):
        if self.form_class is None:
            return None
        if self.form_class is CreditNoteForm:
            lines = document.lines.select_related("product").order_by("position", "pk")
            return CreditNoteForm(data, invoice_lines=lines, credited=credited_quantities(document))
        if self.form_class is IssueCreditNoteForm and document.settlement != CreditNote.Settlement.REFUND:
            return None
        return self.form_class(data, initial=self.initial(document))

    def success_message(self, result) -> str:
        return self.success(result) if callable(self.success) else self.success

    def initial(self, document):
        if self.name == "ship":  # the carrier chosen with the order (a web shop's), to confirm or change
            return {"carrier": document.carrier}
        if self.name == "pay":
            balance = getattr(document, "balance", None)
            return {"amount": balance if balance is not None else queries.invoice_balance(document)}
        return {}


# --- What is left to do on an order -----------------------------------------------------------


def _draft_delivery(order):
    return order.delivery_notes.filter(status=DeliveryNote.Status.DRAFT).first()


def _draft_invoice(order):
    return order.invoices.filter(status=Invoice.Status.DRAFT, kind=Invoice.Kind.INVOICE).first()


def _has_backorder(order) -> bool:
    return order.lines.filter(product__kind=Product.Kind.GOODS, kind="product", quantity__gt=F("delivered_quantity")).exists()


def _has_something_to_invoice(order) -> bool:
    """Goods shipped and not invoiced, or services and shipping not invoiced yet."""
    for line in order.lines.select_related("product").filter(parent__isnull=True):
        due = line.delivered_quantity if line.is_goods else line.quantity
        if due > line.invoiced_quantity:
            return True
    return False


def can_deliver(order) -> bool:
    return _draft_delivery(order) is None and _has_backorder(order)


def can_invoice(order) -> bool:
    return _draft_invoice(order) is None and _has_something_to_invoice(order)


def can_cancel(order) -> bool:
    return not order.lines.filter(delivered_quantity__gt=0).exists()


# --- Runs --------------------------------------------------------------------------------------


def _deposit(order, user, data):
    return services.receive_deposit(order, user=user, **data)


def _pay(invoice, user, data):
    services.record_payment(customer=invoice.customer, invoices=[invoice], user=user, **data)


def _credit(invoice, user, data):
    return services.create_credit_note(invoice, user=user, **data)


def _has_balance(invoice) -> bool:
    return queries.invoice_balance(invoice) > 0


def _customer_has_credit(invoice) -> bool:
    return _has_balance(invoice) and queries.customer_credit(invoice.customer) > 0


OPEN = Order.OPEN_STATUSES

ACTIONS = {
    "quote": [
        Action(
            "send",
            _("Marquer envoyé"),
            "sales.change_quote",
            (Quote.Status.DRAFT,),
            lambda q, u, d: services.send_quote(q, user=u),
            style="primary",
            success=_("Devis numéroté et envoyé."),
        ),
        Action(
            "accept",
            _("Accepté : créer la commande"),
            "sales.add_order",
            (Quote.Status.SENT,),
            lambda q, u, d: services.accept_quote(q, user=u),
            style="success",
            success=_("Commande créée depuis le devis."),
        ),
        Action(
            "refuse",
            _("Refusé"),
            "sales.change_quote",
            (Quote.Status.SENT,),
            lambda q, u, d: services.refuse_quote(q, user=u),
            style="outline-danger",
        ),
    ],
    "order": [
        Action(
            "confirm",
            _("Confirmer la commande"),
            "sales.change_order",
            (Order.Status.DRAFT,),
            lambda o, u, d: services.confirm_order(o, user=u),
            style="primary",
            success=_("Commande confirmée : les articles sont réservés."),
        ),
        Action(
            "deliver",
            _("Préparer la livraison"),
            "sales.add_deliverynote",
            OPEN,
            lambda o, u, d: services.create_delivery_note(o, user=u),
            style="success",
            available=can_deliver,
        ),
        Action(
            "invoice",
            _("Facturer le livré"),
            "sales.add_invoice",
            (*OPEN, Order.Status.DELIVERED),
            lambda o, u, d: services.invoice_order(o, user=u),
            style="success",
            available=can_invoice,
        ),
        Action(
            "deposit",
            _("Encaisser un acompte"),
            "sales.add_payment",
            OPEN,
            _deposit,
            form_class=DepositForm,
            success=_("Acompte encaissé : la facture d'acompte est émise."),
        ),
        Action(
            "close-backorder",
            _("Solder le reliquat"),
            "sales.change_order",
            (Order.Status.PARTIALLY_DELIVERED,),
            lambda o, u, d: services.close_backorder(o, user=u),
            confirm=_("Le reste ne sera pas livré : solder la commande ?"),
        ),
        Action(
            "cancel",
            _("Annuler la commande"),
            "sales.change_order",
            (Order.Status.DRAFT, Order.Status.CONFIRMED),
            lambda o, u, d: services.cancel_order(o, user=u),
            style="outline-danger",
            available=can_cancel,
            confirm=_("Annuler la commande et libérer ses réservations ?"),
        ),
    ],
    "delivery": [
        Action(
            "ship",
            _("Expédier"),
            "sales.change_deliverynote",
            (DeliveryNote.Status.DRAFT,),
            lambda n, u, d: services.ship_delivery_note(n, user=u, **d),
            form_class=ShipForm,
            style="primary",
            success=_("Bon de livraison expédié : le stock est sorti."),
        ),
        Action(
            "cancel",
            _("Annuler la préparation"),
            "sales.change_deliverynote",
            (DeliveryNote.Status.DRAFT,),
            lambda n, u, d: services.cancel_delivery_note(n, user=u),
            style="outline-danger",
        ),
    ],
    "invoice": [
        Action(
            "issue",
            _("Émettre la facture"),
            "sales.change_invoice",
            (Invoice.Status.DRAFT,),
            lambda i, u, d: services.issue_invoice(i, user=u),
            style="primary",
            confirm=_("Une facture émise ne se modifie plus. Émettre ?"),
            success=_("Facture émise."),
        ),
        Action(
            "pay",
            _("Enregistrer un règlement"),
            "sales.add_payment",
            (Invoice.Status.ISSUED,),
            _pay,
            form_class=PaymentForm,
            style="success",
            available=_has_balance,
            success=_("Règlement enregistré."),
        ),
        Action(
            "use-credit",
            _("Utiliser le crédit du client"),
            "sales.add_allocation",
            (Invoice.Status.ISSUED,),
            lambda i, u, d: services.apply_customer_credit(i) and None,
            available=_customer_has_credit,
        ),
        Action(
            "credit",
            _("Faire un avoir"),
            "sales.add_creditnote",
            (Invoice.Status.ISSUED,),
            _credit,
            form_class=CreditNoteForm,
            style="outline-danger",
        ),
        Action(
            "delete",
            _("Supprimer le brouillon"),
            "sales.change_invoice",
            (Invoice.Status.DRAFT,),
            lambda i, u, d: services.delete_draft_invoice(i),
            style="outline-danger",
            confirm=_("Supprimer ce brouillon ?"),
            then_url_name="sales:invoice_list",
        ),
    ],
    "credit_note": [
        Action(
            "issue",
            _("Émettre l'avoir"),
            "sales.change_creditnote",
            (CreditNote.Status.DRAFT,),
            lambda c, u, d: services.issue_credit_note(c, user=u, **d),
            form_class=IssueCreditNoteForm,
            style="primary",
            confirm=_("Un avoir émis ne se modifie plus. Émettre ?"),
            success=_("Avoir émis."),
        ),
        Action(
            "delete",
            _("Supprimer le brouillon"),
            "sales.change_creditnote",
            (CreditNote.Status.DRAFT,),
            lambda c, u, d: services.delete_draft_credit_note(c),
            style="outline-danger",
            confirm=_("Supprimer ce brouillon ?"),
            then_url_name="sales:credit_note_list",
        ),
    ],
}


def offered(kind: str, document, user) -> list[Action]:
    return [action for action in ACTIONS.get(kind, []) if action.is_offered(document, user)]


def find(kind: str, name: str) -> Action | None:
    return next((action for action in ACTIONS.get(kind, []) if action.name == name), None)

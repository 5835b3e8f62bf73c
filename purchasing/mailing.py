"""Sending a supplier order to the supplier by e-mail with its PDF attached. The sending — the
Celery task, the company's template, the outcome on the supplier's timeline — is
``crm.mailing``'s; this module tells it what a supplier order is (``register`` from
``PurchasingConfig.ready``)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import mailing
from lmb.errors import Conflict
from lmb.formats import money_fr

from . import pdfs
from .models import SupplierOrder


class SupplierOrderMail(mailing.MailableDocument):
    model = SupplierOrder
    kind = "supplier_order"
    template_types = {kind: gettext_lazy("Commande fournisseur")}
    placeholders = ("supplier", "total", "warehouse", "expected_date")

    def third_party(self, document):
        return document.supplier

    def title(self, document) -> str:
        return _("Commande fournisseur")

    def check_sendable(self, document) -> None:
        if not document.number:
            raise Conflict(_("Une commande brouillon ne part pas par e-mail : envoyez-la d'abord pour la numéroter."))
        if document.status == SupplierOrder.Status.CANCELLED:
            raise Conflict(_("La commande %(number)s est annulée : elle ne s'envoie plus.") % {"number": document.number})

    def values(self, document) -> dict[str, str]:
        return {
            "supplier": document.supplier.name,
            "total": money_fr(document.total_excl_tax),
            "warehouse": document.warehouse.name,
            "expected_date": document.expected_date.strftime("%d/%m/%Y") if document.expected_date else _("dès que possible"),
        }

    def attachment(self, document) -> mailing.Attachment:
        filename, content = pdfs.supplier_order_pdf(document)
        return mailing.Attachment(filename, content)


def register() -> None:
    mailing.register(SupplierOrderMail())

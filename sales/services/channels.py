"""Sales channels: the counter, the phone, B2B come with the installation; each web shop a
connector sells through gets its own (its orders and invoices say which shop they came from)."""

from django.db import transaction
from django.utils.translation import gettext as _

from lmb.errors import Conflict
from lmb.services import validate_and_save

from ..models import Channel


@transaction.atomic
def create_channel(
    *, code: str, name: str, kind: str = Channel.Kind.WEB, prices_include_tax: bool = True, warehouse=None
) -> Channel:
    """A new active sales channel; a code already taken is refused."""
    code = code.strip().upper()
    if Channel.objects.filter(code=code).exists():
        raise Conflict(_("Le canal de vente %(code)s existe déjà.") % {"code": code}, field="code")
    return validate_and_save(Channel(code=code, name=name, kind=kind, prices_include_tax=prices_include_tax, warehouse=warehouse))

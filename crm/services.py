"""Write paths for third parties, addresses, contacts, the timeline and tasks.

Every edge (screens, API, imports, connectors) calls these; each runs in one transaction and
refuses bad input with an ``InvalidInput`` naming the field.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import transactions
from lmb.errors import Conflict, InvalidInput, TransitionNotAllowed, messages_by_field
from lmb.services import apply_changes, take_values, validate, validate_and_save

from .models import Address, Contact, CustomerCategory, Task, ThirdParty, TimelineAttachment, TimelineEntry

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Documents people exchange with customers; no HTML, SVG or scripts (they could run in a browser).
ATTACHMENT_EXTENSIONS = {
    "pdf",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "heic",
    "txt",
    "csv",
    "eml",
    "msg",
    "doc",
    "docx",
    "odt",
    "xls",
    "xlsx",
    "ods",
    "ppt",
    "pptx",
    "odp",
    "zip",
}


# --- Third parties ---------------------------------------------------------------------------


def _assign_accounts(third_party: ThirdParty, number: int):
    """Auxiliary accounts for accounting (411/401 sub-accounts), from the third party's number."""
    if third_party.is_customer or third_party.is_prospect:
        third_party.customer_account = third_party.customer_account or f"C{number:06d}"
    if third_party.is_supplier:
        third_party.supplier_account = third_party.supplier_account or f"F{number:06d}"


def _number_of(third_party: ThirdParty) -> int:
    return int(third_party.code.lstrip("T"))


def create_third_party(*, addresses=(), contacts=(), **fields) -> ThirdParty:
    """Create a third party with its code (T000123) and auxiliary accounts (C000123 / F000123),
    and optionally its first addresses and contacts (dicts of their fields)."""
    return create_third_parties([{**fields, "addresses": addresses, "contacts": contacts}])[0]


# The fields numbered from the third party's sequence: unique, checked for a whole batch at once.
_NUMBERED = ("code", "customer_account", "supplier_account")
_ROLES = ("is_customer", "is_prospect", "is_supplier")  # crm_tp_has_a_role, checked by ThirdParty.clean()


@dataclass
class NewThirdParty:
    """A third party checked and ready to be created, with its first addresses and contacts, none
    saved (``prepare_third_parties``): a caller may build on them — a web order's new customer —
    before ``save_third_parties`` writes them in its transaction and numbers them."""

    third_party: ThirdParty
    addresses: list[Address]
    contacts: list[Contact]


def create_third_parties(new: list[dict]) -> list[ThirdParty]:
    """Create third parties (an import's batch, or one: ``create_third_party``), each a dict of
    its fields with ``addresses`` and ``contacts`` (dicts of their fields), as one:

    - a person buys as a consumer, a company as a business, unless ``customer_category`` is given;
    - codes T000123 follow each other, taken at once from the gapless ``third_party`` sequence,
      and give the auxiliary accounts (C000123 customer or prospect, F000123 supplier) unless given;
    - every model check of ``validate_and_save`` runs on each, the uniqueness of the code and the
      accounts in one query for the batch (and between its members);
    - the first address of each kind is the default one unless said otherwise, and a later one
      said default takes its place; a contact said primary takes the place of an earlier one.

    Written with one ``bulk_create`` each for the third parties, their addresses and contacts.
    One invalid member refuses the whole batch (``InvalidInput`` naming the field), before anything
    is written."""
    return save_third_parties(prepare_third_parties(new))


def prepare_third_parties(new: list[dict]) -> list[NewThirdParty]:
    """The first half of ``create_third_parties``: each third party built and checked in memory
    (its addresses and contacts too), not numbered, nothing written."""
    prepared = []
    for item in new:
        third_party = _checked_third_party(item)
        addresses = prepare_addresses(third_party, item.get("addresses", ()))
        contacts = _first_contacts(third_party, item.get("contacts", ()))
        for contact in contacts:
            validate(contact)
        prepared.append(NewThirdParty(third_party, addresses, contacts))
    return prepared


def prepare_addresses(third_party: ThirdParty, given) -> list[Address]:
    """The first addresses of a new third party (dicts of their fields), checked, their defaults
    set as ``add_address`` would set them one by one; nothing written (``save_third_parties`` does)."""
    addresses = _first_addresses(third_party, given)
    for address in addresses:
        validate(address)
    return addresses


@transactions.atomic
def save_third_parties(prepared: list[NewThirdParty]) -> list[ThirdParty]:
    """The second half of ``create_third_parties``: the prepared third parties numbered in their
    order (one take of the sequence), their numbers checked, then written with their addresses
    and contacts."""
    if not prepared:
        return []
    third_parties = [item.third_party for item in prepared]
    numbers = take_values(("third_party", "", len(third_parties)))[0]
    for third_party, number in zip(third_parties, numbers, strict=True):
        third_party.code = f"T{number:06d}"
        _assign_accounts(third_party, number)
    _refuse_taken_numbers(third_parties)
    ThirdParty.objects.bulk_create(third_parties)
    Address.objects.bulk_create([address for item in prepared for address in item.addresses])
    Contact.objects.bulk_create([contact for item in prepared for contact in item.contacts])
    return third_parties


def _checked_third_party(item: dict) -> ThirdParty:
    fields = {name: value for name, value in item.items() if name not in ("addresses", "contacts")}
    if "customer_category" not in fields:  # a person buys as a consumer, a company as a business
        is_person = fields.get("kind") == ThirdParty.Kind.INDIVIDUAL
        fields["customer_category"] = CustomerCategory.CONSUMER if is_person else CustomerCategory.BUSINESS
    third_party = ThirdParty(**fields)
    # The code and accounts, numbered when saved, are checked for the whole batch then; the role
    # constraint by ThirdParty.clean() (« Cochez au moins un rôle »), without a query each.
    validate(third_party, unique_checked_in_bulk=_NUMBERED, constraints_checked_by_clean=_ROLES)
    return third_party


def _refuse_taken_numbers(third_parties: list[ThirdParty]):
    """The code and accounts of new third parties are nobody else's, in the database or the batch
    (an account may be given by the caller), with Django's own message for a unique field."""
    wanted = Q()
    for name in _NUMBERED:
        values = {getattr(third_party, name) for third_party in third_parties} - {None, ""}
        if values:
            wanted |= Q(**{f"{name}__in": values})
    taken = {name: set() for name in _NUMBERED}
    for row in ThirdParty.objects.filter(wanted).values(*_NUMBERED) if wanted else ():
        for name in _NUMBERED:
            taken[name].add(row[name])
    for third_party in third_parties:
        for name in _NUMBERED:
            value = getattr(third_party, name)
            if value in (None, ""):
                continue
            if value in taken[name]:
                error = third_party.unique_error_message(ThirdParty, (name,))
                raise InvalidInput(messages_by_field(ValidationError({name: [error]})))
            taken[name].add(value)


def _first_addresses(third_party: ThirdParty, given) -> list[Address]:
    """The addresses of a new third party, their defaults set as ``add_address`` would one by one."""
    made: list[Address] = []
    for fields in given:
        address = Address(third_party=third_party, **fields)
        same_kind = [other for other in made if other.kind == address.kind]
        if "is_default" not in fields:
            address.is_default = not same_kind
        if address.is_default:
            for other in same_kind:
                other.is_default = False
        made.append(address)
    return made


def _first_contacts(third_party: ThirdParty, given) -> list[Contact]:
    """The contacts of a new third party, one primary at most as ``add_contact`` keeps it."""
    made: list[Contact] = []
    for fields in given:
        contact = Contact(third_party=third_party, **fields)
        if contact.is_primary:
            for other in made:
                other.is_primary = False
        made.append(contact)
    return made


@transaction.atomic
def update_third_party(third_party: ThirdParty, **changes) -> ThirdParty:
    """Change a third party; a new role (e.g. it becomes a supplier) gets its auxiliary account."""
    for name, value in changes.items():
        setattr(third_party, name, value)
    _assign_accounts(third_party, _number_of(third_party))
    return validate_and_save(third_party)


@transaction.atomic
def delete_third_party(third_party: ThirdParty):
    """Delete a third party with no history; one with exchanges or documents is refused
    (deactivate it instead)."""
    try:
        third_party.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("« %(name)s » a un historique (échanges, documents) : désactivez-le plutôt que de le supprimer.")
            % {"name": third_party.name}
        ) from exc


# --- Addresses and contacts --------------------------------------------------------------------


def _keep_single_default(address: Address):
    if address.is_default:
        Address.objects.filter(third_party_id=address.third_party_id, kind=address.kind, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)


@transaction.atomic
def add_address(third_party: ThirdParty, **fields) -> Address:
    if "is_default" not in fields:
        fields["is_default"] = not third_party.addresses.filter(kind=fields.get("kind", Address.Kind.BILLING)).exists()
    address = validate_and_save(Address(third_party=third_party, **fields))
    _keep_single_default(address)
    return address


@transaction.atomic
def update_address(address: Address, **changes) -> Address:
    changes.pop("third_party", None)
    address = apply_changes(address, changes)
    _keep_single_default(address)
    return address


@transaction.atomic
def delete_address(address: Address):
    address.delete()


@transaction.atomic
def add_contact(third_party: ThirdParty, **fields) -> Contact:
    contact = validate_and_save(Contact(third_party=third_party, **fields))
    if contact.is_primary:
        third_party.contacts.exclude(pk=contact.pk).update(is_primary=False)
    return contact


@transaction.atomic
def update_contact(contact: Contact, **changes) -> Contact:
    changes.pop("third_party", None)
    contact = apply_changes(contact, changes)
    if contact.is_primary:
        Contact.objects.filter(third_party_id=contact.third_party_id).exclude(pk=contact.pk).update(is_primary=False)
    return contact


@transaction.atomic
def delete_contact(contact: Contact):
    contact.delete()


# --- Timeline ----------------------------------------------------------------------------------


def _check_attachments(files):
    for uploaded in files:
        extension = uploaded.name.rsplit(".", 1)[-1].lower() if "." in uploaded.name else ""
        if extension not in ATTACHMENT_EXTENSIONS:
            message = _("« %(name)s » : ce type de fichier n'est pas accepté (PDF, images, documents bureautiques, texte, zip).")
            raise InvalidInput({"attachments": [message % {"name": uploaded.name}]})
        if uploaded.size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput({"attachments": [_("« %(name)s » dépasse 10 Mo.") % {"name": uploaded.name}]})


@transaction.atomic
def log_interaction(
    *,
    third_party: ThirdParty,
    subject: str,
    kind: str = TimelineEntry.Kind.CALL,  # the model's default, the one the form and the API schema offer
    author=None,
    body: str = "",
    occurred_at=None,
    contact: Contact | None = None,
    direction: str = "",
    attachments=(),
) -> TimelineEntry:
    """Record an exchange (call, e-mail, letter, meeting, note, incident) on the timeline.
    An incident starts "open"."""
    _check_attachments(attachments)
    entry = TimelineEntry(
        third_party=third_party,
        kind=kind,
        subject=subject,
        body=body,
        author=author,
        occurred_at=occurred_at or timezone.now(),
        contact=contact,
        direction=direction,
        incident_status=TimelineEntry.IncidentStatus.OPEN if kind == TimelineEntry.Kind.INCIDENT else "",
    )
    validate_and_save(entry)
    for uploaded in attachments:
        # Django gives an uploaded file's name 255 characters at most: the column holds it whole.
        TimelineAttachment.objects.create(entry=entry, file=uploaded, original_name=uploaded.name, size=uploaded.size)
    return entry


@transaction.atomic
def update_interaction(entry: TimelineEntry, **changes) -> TimelineEntry:
    """Correct the text of an exchange. Its kind and third party stay; an incident's status
    changes only through ``change_incident_status``."""
    for frozen in ("third_party", "kind", "incident_status", "author"):
        changes.pop(frozen, None)
    return apply_changes(entry, changes)


_INCIDENT_TRANSITIONS = {
    TimelineEntry.IncidentStatus.OPEN: {TimelineEntry.IncidentStatus.IN_PROGRESS, TimelineEntry.IncidentStatus.CLOSED},
    TimelineEntry.IncidentStatus.IN_PROGRESS: {TimelineEntry.IncidentStatus.CLOSED, TimelineEntry.IncidentStatus.OPEN},
    TimelineEntry.IncidentStatus.CLOSED: {TimelineEntry.IncidentStatus.OPEN},
}


@transaction.atomic
def change_incident_status(entry: TimelineEntry, *, status: str, author=None, comment: str = "") -> TimelineEntry:
    """Move an incident open → in progress → closed (or reopen it); the change is noted on the
    timeline with who made it."""
    entry = TimelineEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.kind != TimelineEntry.Kind.INCIDENT:
        raise TransitionNotAllowed(_("Seul un incident a un statut."))
    if status not in _INCIDENT_TRANSITIONS.get(entry.incident_status, set()):
        raise TransitionNotAllowed(
            _("Un incident « %(current)s » ne peut pas passer à « %(new)s ».")
            % {
                "current": entry.get_incident_status_display(),
                "new": TimelineEntry.IncidentStatus(status).label if status in TimelineEntry.IncidentStatus.values else status,
            }
        )
    entry.incident_status = status
    entry.save(update_fields=["incident_status"])
    label = entry.get_incident_status_display()
    log_interaction(
        third_party=entry.third_party,
        kind=TimelineEntry.Kind.NOTE,
        subject=_("Incident « %(subject)s » : %(status)s") % {"subject": entry.subject, "status": label.lower()},
        body=comment,
        author=author,
    )
    return entry


# --- Tasks -------------------------------------------------------------------------------------


@transaction.atomic
def create_task(**fields) -> Task:
    return validate_and_save(Task(**fields))


@transaction.atomic
def update_task(task: Task, **changes) -> Task:
    return apply_changes(task, changes)


@transaction.atomic
def complete_task(task: Task) -> Task:
    if task.done_at is not None:
        raise TransitionNotAllowed(_("Cette tâche est déjà faite."))
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    return task


@transaction.atomic
def reopen_task(task: Task) -> Task:
    if task.done_at is None:
        raise TransitionNotAllowed(_("Cette tâche n'est pas faite."))
    task.done_at = None
    task.save(update_fields=["done_at"])
    return task


@transaction.atomic
def delete_task(task: Task):
    task.delete()

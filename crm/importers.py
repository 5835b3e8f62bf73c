"""Import of third parties from a spreadsheet (one row = one third party and its billing address).

A row with a known code updates that third party; a row without a code creates one.
"""

from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from lmb.imports import (
    BatchCheckedForm,
    CheckedRows,
    ImportColumn,
    Importer,
    RowError,
    form_errors,
    parse_bool,
    parse_choice,
)
from lmb.models import PaymentTerms

from . import services
from .forms import FirstAddressForm, ThirdPartyForm
from .models import Address, CustomerCategory, ThirdParty

COLUMNS = (
    ImportColumn("code", _("Code"), help=_("Vide pour créer ; le code d'un tiers existant pour le mettre à jour.")),
    ImportColumn("kind", _("Type"), help=_("Société ou Particulier (Société par défaut).")),
    ImportColumn("name", _("Nom"), help=_("Raison sociale (obligatoire pour une société).")),
    ImportColumn("first_name", _("Prénom")),
    ImportColumn("last_name", _("Nom de famille"), help=_("Obligatoire pour un particulier.")),
    ImportColumn("is_customer", _("Client"), help=_("oui/non (oui par défaut).")),
    ImportColumn("is_prospect", _("Prospect"), help=_("oui/non.")),
    ImportColumn("is_supplier", _("Fournisseur"), help=_("oui/non.")),
    ImportColumn("customer_category", _("Catégorie"), help=_("Particulier, Entreprise, Administration publique, Revendeur.")),
    ImportColumn("siren", _("SIREN")),
    ImportColumn("siret", _("SIRET")),
    ImportColumn("vat_number", _("N° TVA")),
    ImportColumn("email", _("E-mail")),
    ImportColumn("phone", _("Téléphone")),
    ImportColumn("mobile", _("Mobile")),
    ImportColumn("payment_terms", _("Conditions de paiement"), help=_("À réception, 30 jours, 45 jours fin de mois, 60 jours.")),
    ImportColumn("line1", _("Adresse")),
    ImportColumn("line2", _("Complément")),
    ImportColumn("postal_code", _("Code postal")),
    ImportColumn("city", _("Ville")),
    ImportColumn("country", _("Pays"), help=_("Code ISO à deux lettres (FR par défaut).")),
)
LABELS = {column.name: str(column.label) for column in COLUMNS}


class ThirdPartyImportForm(BatchCheckedForm, ThirdPartyForm):
    """The third-party form without its per-row query: the roles' constraint is checked by the
    model's ``clean()`` in Python; SIRETs by the importer for the whole batch."""

    batch_checked_fields = ("is_customer", "is_prospect", "is_supplier")


ADDRESS_FIELDS = ("line1", "line2", "postal_code", "city", "country")


PARSERS = {
    "kind": lambda text: parse_choice(text, ThirdParty.Kind.choices),
    "customer_category": lambda text: parse_choice(text, CustomerCategory.choices),
    "payment_terms": lambda text: parse_choice(text, PaymentTerms.choices),
    "is_customer": parse_bool,
    "is_prospect": parse_bool,
    "is_supplier": parse_bool,
    "country": lambda text: text.upper(),
}


def _defaults_for_new(data):
    data.setdefault("kind", ThirdParty.Kind.COMPANY)
    data.setdefault("is_customer", True)
    data.setdefault("payment_terms", PaymentTerms.NET_30)
    is_person = data["kind"] == ThirdParty.Kind.INDIVIDUAL
    data.setdefault("customer_category", CustomerCategory.CONSUMER if is_person else CustomerCategory.BUSINESS)
    data["is_active"] = True


class ThirdPartyImporter(Importer):
    kind = "third-parties"
    label = _("Tiers")
    permissions = ("crm.add_thirdparty", "crm.change_thirdparty")
    columns = COLUMNS

    def _read_cells(self, row, values, errors) -> dict:
        """The non-empty cells of the row as form data; booleans and choices decoded."""
        data = {}
        for name, text in values.items():
            if name == "code" or not text:
                continue
            try:
                data[name] = PARSERS[name](text) if name in PARSERS else text
            except ValueError as exc:
                errors.append(RowError(row, LABELS[name], str(exc)))
        return data

    def check(self, rows, state=None):
        """Check a batch of rows: one look-up of the batch's codes and SIRETs; the codes and
        SIRETs seen in earlier rows of the file are kept in ``state``."""
        state = {} if state is None else state
        first_row_of_code = state.setdefault("first_row_of_code", {})
        first_row_of_siret = state.setdefault("first_row_of_siret", {})
        checked = CheckedRows()
        codes = {values.get("code", "").strip().upper() for _row, values in rows} - {""}
        existing = {tp.code: tp for tp in ThirdParty.objects.filter(code__in=codes)}
        candidates = []
        for row, values in rows:
            errors = []
            code = values.get("code", "").strip().upper()
            instance = existing.get(code)
            if code and instance is None:
                errors.append(RowError(row, LABELS["code"], _("Aucun tiers n'a le code « %(code)s ».") % {"code": code}))
            if code and code in first_row_of_code:
                errors.append(
                    RowError(row, LABELS["code"], _("Code déjà présent ligne %(row)s.") % {"row": first_row_of_code[code]})
                )
            first_row_of_code.setdefault(code, row)
            cells = self._read_cells(row, values, errors)
            # An update keeps what the file does not mention; a creation starts from the defaults.
            data = model_to_dict(instance, fields=ThirdPartyForm.Meta.fields) if instance else {}
            data.update({name: value for name, value in cells.items() if name not in ADDRESS_FIELDS})
            if instance is None:
                _defaults_for_new(data)
            form = ThirdPartyImportForm(data, instance=instance)
            address_cells = {name: cells.get(name, "") for name in ADDRESS_FIELDS} | {"country": cells.get("country", "FR")}
            address_cells["postal_code"] = _french_postal_code(address_cells["postal_code"], address_cells["country"])
            address_form = FirstAddressForm(address_cells)
            if not errors:
                errors += [] if form.is_valid() else form_errors(row, form, LABELS)
                errors += [] if address_form.is_valid() else form_errors(row, address_form, LABELS)
            if errors:
                checked.errors += errors
            else:
                candidates.append((row, instance, form, address_form))

        sirets = {form.cleaned_data.get("siret") for _row, _instance, form, _address in candidates} - {None, ""}
        known_sirets = dict(ThirdParty.objects.filter(siret__in=sirets).values_list("siret", "code"))
        for row, instance, form, address_form in candidates:
            errors = _duplicate_siret(row, form.cleaned_data.get("siret"), instance, known_sirets, first_row_of_siret)
            if errors:
                checked.errors += errors
                continue
            # No address cell in the row: an update keeps the current address.
            address = None if address_form.is_empty() else address_form.cleaned_data
            checked.valid.append((row, {"instance": instance, "fields": form.cleaned_data, "address": address}))
        return checked

    def write(self, valid_rows, *, user):
        """The new third parties of the batch are created together (``create_third_parties``);
        the ones the file updates, one by one."""
        new, updated = [], 0
        for _row, data in valid_rows:
            address = data["address"]
            if data["instance"] is None:
                addresses = [{**address, "kind": Address.Kind.BILLING}] if address else []
                new.append({**data["fields"], "addresses": addresses})
            else:
                third_party = services.update_third_party(data["instance"], **data["fields"])
                if address:
                    _replace_billing_address(third_party, address)
                updated += 1
        return len(services.create_third_parties(new)), updated


def _french_postal_code(text: str, country: str) -> str:
    """Excel stores postal codes as numbers: 01000 (Bourg-en-Bresse) arrives as 1000."""
    return text.zfill(5) if country == "FR" and text.isdigit() and len(text) == 4 else text


def _duplicate_siret(row, siret, instance, known_sirets, first_row_of_siret) -> list[RowError]:
    """A second third party with the same establishment (SIRET) is almost always a duplicate."""
    if not siret:
        return []
    errors = []
    owner = known_sirets.get(siret)
    if owner and (instance is None or owner != instance.code):
        message = _("Le tiers %(code)s a déjà ce SIRET : indiquez son code pour le mettre à jour.") % {"code": owner}
        errors.append(RowError(row, LABELS["siret"], message))
    if siret in first_row_of_siret:
        message = _("SIRET déjà présent ligne %(row)s.") % {"row": first_row_of_siret[siret]}
        errors.append(RowError(row, LABELS["siret"], message))
    first_row_of_siret.setdefault(siret, row)
    return errors


def _replace_billing_address(third_party, address: dict):
    current = third_party.addresses.filter(kind=Address.Kind.BILLING, is_default=True).first()
    if current:
        services.update_address(current, **address)
    else:
        services.add_address(third_party, kind=Address.Kind.BILLING, is_default=True, **address)

"""Import of products from a spreadsheet: a row with a known reference updates that product, a
new reference creates one. Categories are given as a path ("Maison > Cuisine") and created when
missing."""

from django.db.models.functions import Upper
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lmb.errors import DomainError
from lmb.formats import decimal_fr
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
from lmb.money import to_decimal

from . import services
from .forms import ProductForm, metropolitan_rates
from .models import Category, Product, Unit

COLUMNS = (
    ImportColumn("reference", gettext_lazy("Référence"), required=True),
    ImportColumn("designation", gettext_lazy("Désignation"), required=True),
    ImportColumn(
        "category", gettext_lazy("Catégorie"), help=gettext_lazy("Chemin complet, ex. « Maison > Cuisine » ; créée si absente.")
    ),
    ImportColumn("kind", gettext_lazy("Nature"), help=gettext_lazy("Bien ou Service (Bien par défaut).")),
    ImportColumn("unit", gettext_lazy("Unité"), help=gettext_lazy("pièce, kg, litre, mètre, heure… (pièce par défaut).")),
    ImportColumn(
        "vat_rate",
        gettext_lazy("TVA"),
        required=True,
        help=gettext_lazy("Taux en % : 20, 10, 5,5 ou 2,1."),
        aliases=("Taux de TVA (%)",),
    ),
    ImportColumn("purchase_price", gettext_lazy("Prix d'achat HT")),
    ImportColumn("sale_price", gettext_lazy("Prix de vente"), required=True, aliases=("Prix de vente HT",)),
    ImportColumn(
        "price_includes_tax", gettext_lazy("Prix TTC"), help=gettext_lazy("oui si le prix de vente est TTC (non par défaut).")
    ),
    ImportColumn("eco_participation", gettext_lazy("Éco-participation HT")),
    ImportColumn("ean13", gettext_lazy("EAN-13")),
    ImportColumn("weight", gettext_lazy("Poids (kg)")),
    ImportColumn("length", gettext_lazy("Longueur (cm)")),
    ImportColumn("width", gettext_lazy("Largeur (cm)")),
    ImportColumn("height", gettext_lazy("Hauteur (cm)")),
    ImportColumn("units_per_pack", gettext_lazy("Unités par colis")),
    ImportColumn("units_per_pallet", gettext_lazy("Unités par palette")),
    ImportColumn("is_active", gettext_lazy("Actif"), help=gettext_lazy("oui/non (oui par défaut).")),
    ImportColumn("description", gettext_lazy("Description")),
)
LABELS = {column.name: str(column.label) for column in COLUMNS}
DECIMAL_COLUMNS = ("purchase_price", "sale_price", "eco_participation", "weight", "length", "width", "height")
NEW_PRODUCT_DEFAULTS = {
    "kind": Product.Kind.GOODS,
    "unit": Unit.PIECE,
    "is_active": True,
    "purchase_price": "0",
    "eco_participation": "0",
}


class ProductImportForm(BatchCheckedForm, ProductForm):
    """The product form, minus its per-row queries: the importer checks references and EANs for
    the whole batch at once and gives the VAT rates and categories it loaded once."""

    batch_checked_fields = ("reference", "vat_rate", "category")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.reference_checked_by_batch = True


class ProductImporter(Importer):
    kind = "products"
    label = gettext_lazy("Produits")
    permissions = ("catalog.add_product", "catalog.change_product")
    columns = COLUMNS

    def check(self, rows, state=None):
        """Check a batch of rows: one look-up of the batch's references and EANs; the catalogue's
        rates and categories once per run, and the rows seen so far, kept in ``state``."""
        state = {} if state is None else state
        if "rates" not in state:
            state["rates"] = {rate.rate: rate for rate in metropolitan_rates()}
            state["categories"] = {c.full_name.lower(): c for c in Category.objects.all()}
            state["known"] = {
                "vat_rate": {rate.pk: rate for rate in state["rates"].values()},
                "category": {category.pk: category for category in state["categories"].values()},
            }
            state["first_row"] = {"reference": {}, "ean13": {}}
        checked = CheckedRows()
        references = {values.get("reference", "").strip().upper() for _row, values in rows} - {""}
        existing = {p.reference.lower(): p for p in Product.objects.annotate(key=Upper("reference")).filter(key__in=references)}

        candidates = []
        for row, values in rows:
            errors = []
            instance = existing.get(values.get("reference", "").strip().lower())
            # An update keeps what the file does not mention; a creation starts from the defaults.
            data = model_to_dict(instance, fields=ProductForm.Meta.fields) if instance else dict(NEW_PRODUCT_DEFAULTS)
            cells, category_path = self._read(row, values, state["rates"], state["categories"], errors)
            data.update(cells)
            if instance is not None:
                data["reference"] = instance.reference  # the cell finds the product ("sa-0288"), it does not rename it
            form = ProductImportForm(data, instance=instance, known=state["known"])
            if not errors and not form.is_valid():
                errors += form_errors(row, form, LABELS)
            if not errors:
                errors += self._prices(row, form.instance)
            if errors:
                checked.errors += errors
            else:
                candidates.append((row, instance, form.cleaned_data, category_path))

        eans = {cleaned.get("ean13") for _row, _instance, cleaned, _path in candidates} - {None, ""}
        owned = Product.objects.filter(ean13__in=eans).values_list("ean13", "pk", "reference")
        owners_of_ean = {ean: (pk, reference) for ean, pk, reference in owned}
        for row, instance, cleaned, category_path in candidates:
            errors = self._duplicates(row, cleaned, instance, owners_of_ean, state["first_row"])
            if errors:
                checked.errors += errors
                continue
            fields = {name: value for name, value in cleaned.items() if name != "generate_ean"}
            checked.valid.append((row, (instance, fields, category_path)))
        return checked

    def _read(self, row, values, rates, categories, errors):
        """The file's non-empty cells as form data: an empty cell keeps what an existing product
        has (a creation takes the defaults). A category path not yet in the catalogue is returned
        apart: it is created when the import is confirmed."""
        data, category_path = {}, ""
        converters = {
            "kind": lambda text: parse_choice(text, Product.Kind.choices),
            "unit": lambda text: parse_choice(text, Unit.choices),
            "price_includes_tax": parse_bool,
            "is_active": parse_bool,
            "vat_rate": lambda text: self._rate(text, rates),
            **{name: lambda text: str(to_decimal(text)) for name in DECIMAL_COLUMNS},
        }
        for name, text in values.items():
            if not text.strip():
                continue
            if name == "category":
                path = " > ".join(services.split_category_path(text))
                category = categories.get(path.lower())
                data["category"] = category.pk if category else ""
                category_path = path if path and category is None else ""
                continue
            try:
                data[name] = converters[name](text) if name in converters else text
            except ValueError as exc:
                errors.append(RowError(row, LABELS[name], str(exc)))
        return data, category_path

    @staticmethod
    def _rate(text, rates):
        value = to_decimal(text.replace("%", ""))
        rate = rates.get(value) or (rates.get(value * 100) if value < 1 else None)  # Excel's 20 % cell is 0.2
        if rate is None:
            known = ", ".join(decimal_fr(rate) for rate in sorted(rates, reverse=True))
            raise ValueError(_("Taux de TVA inconnu : %(text)s (taux possibles : %(known)s).") % {"text": text, "known": known})
        return rate.pk

    @staticmethod
    def _prices(row, product) -> list[RowError]:
        """The prices the import will derive (HT and TTC) must fit their columns: refused in the
        preview, naming the column, rather than failing the whole import at confirmation."""
        try:
            services.derive_prices(product)
        except DomainError as error:
            return [RowError(row, LABELS["sale_price"], message) for messages in error.as_dict().values() for message in messages]
        return []

    @staticmethod
    def _duplicates(row, cleaned, instance, owners_of_ean, first_row):
        errors = []
        reference = cleaned["reference"].lower()
        if reference in first_row["reference"]:
            errors.append(
                RowError(
                    row,
                    LABELS["reference"],
                    _("Référence déjà présente ligne %(row)s.") % {"row": first_row["reference"][reference]},
                )
            )
        first_row["reference"].setdefault(reference, row)
        ean = cleaned.get("ean13")
        if ean:
            owner_pk, owner_reference = owners_of_ean.get(ean, (None, ""))
            if owner_pk and (instance is None or owner_pk != instance.pk):
                message = _("Ce code EAN est déjà celui du produit %(reference)s.") % {"reference": owner_reference}
                errors.append(RowError(row, LABELS["ean13"], message))
            if ean in first_row["ean13"]:
                errors.append(
                    RowError(row, LABELS["ean13"], _("Code EAN déjà présent ligne %(row)s.") % {"row": first_row["ean13"][ean]})
                )
            first_row["ean13"].setdefault(ean, row)
        return errors

    def write(self, valid_rows, *, user):
        return services.import_products([data for _row, data in valid_rows])

"""Screens of barcode label sheets: type or scan codes, choose a layout, get the PDF from a job.

Scanner friendly without any script: the codes go in a textarea, one per line, so a scanner's
"code + Enter" adds a line (a label); ``;quantity`` after a code asks for several. A small htmx
preview beside it shows what each line resolves to while scanning.
"""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalog.models import Product
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.forms import Form, add_domain_error

from . import labels

PERMISSION = "stock.view_stocklevel"


class LabelForm(Form):
    items = forms.CharField(
        label=gettext_lazy("Codes des produits"),
        widget=forms.Textarea(
            attrs={
                "rows": 12,
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "font-monospace",
                "placeholder": "3760123456789\nREF-0042;5",
            }
        ),
        help_text=gettext_lazy(
            "Un code par ligne : EAN-13 ou référence. Chaque scan (code + Entrée) ajoute une étiquette ; "
            "« ;5 » après un code en demande 5."
        ),
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Format d'étiquettes"), choices=labels.layout_choices, initial=labels.DEFAULT_LAYOUT
    )
    first_position = forms.IntegerField(
        label=gettext_lazy("Commencer à l'étiquette n°"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy("Pour finir une planche A4 déjà entamée ; 1 pour une planche neuve."),
    )
    title = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def clean_items(self):
        self.lines = labels.read_code_lines(self.cleaned_data["items"])
        errors = [line.error for line in self.lines if line.error]
        if errors:
            raise forms.ValidationError(errors)
        items = labels.items_of(self.lines)
        if not items:
            raise forms.ValidationError(_("Scannez ou tapez au moins un code."))
        return items


def prefill(spec: str) -> tuple[str, list[str]]:
    """``items=<product id>:<quantity>,…`` (as linked from a reception) as lines of the form, and
    the parts that could not be used (unknown product, bad number), in the order given."""
    parts = [part.strip() for part in (spec or "").split(",") if part.strip()]
    wanted = []
    for part in parts:
        product_id, _colon, quantity = part.partition(":")
        try:
            wanted.append((part, int(product_id), int(quantity or 1)))
        except ValueError:
            wanted.append((part, None, 0))
    products = Product.objects.in_bulk([product_id for _part, product_id, _quantity in wanted if product_id is not None])
    lines, rejected = [], []
    for part, product_id, quantity in wanted:
        product = products.get(product_id)
        if product is None or quantity < 1:
            rejected.append(part)
        else:
            lines.append(f"{product.ean13 or product.reference};{quantity}")
    return "\n".join(lines), rejected


@permission_required(PERMISSION)
def label_create(request):
    rejected = []
    if request.method == "POST":
        form = LabelForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = labels.start_label_job(
                    items=data["items"],
                    layout=data["layout"],
                    user=request.user,
                    title=data["title"],
                    first_position=data["first_position"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect("jobs:detail", job.pk)
    else:
        text, rejected = prefill(request.GET.get("items", ""))
        # The title comes with the links of our own screens (a reception's labels): a prefill, cut to
        # the field's length (the form is what checks what is sent).
        initial = {"items": text, "title": request.GET.get("title", "")[:200]}
        if request.GET.get("layout") in labels.LAYOUTS:
            initial["layout"] = request.GET["layout"]
        form = LabelForm(initial=initial)
    return render(
        request,
        "stock/label_form.html",
        {"form": form, "rejected": rejected},
        status=422 if form.is_bound else 200,
    )


@require_POST
@permission_required(PERMISSION)
def label_preview(request):
    """What the typed lines give, as the user scans (htmx partial; always 200: it is information)."""
    lines = labels.read_code_lines(request.POST.get("items", ""))
    items = labels.items_of(lines)
    layout = labels.LAYOUTS.get(request.POST.get("layout"), labels.LAYOUTS[labels.DEFAULT_LAYOUT])
    try:
        first_position = min(max(int(request.POST.get("first_position") or 1), 1), layout.per_page)
    except ValueError:
        first_position = 1
    count = sum(quantity for product, quantity in items if product.ean13)
    without_ean = [product for product, _quantity in items if not product.ean13]
    return render(
        request,
        "stock/label_preview.html",
        {
            "lines": lines,
            "items": items,
            "errors": [line.error for line in lines if line.error],
            "label_count": count,
            "page_count": labels.page_count(count, layout, 1 if layout.is_single else first_position),
            "layout": layout,
            "missing_ean": labels.missing_ean_message(without_ean),
            "max_quantity": labels.MAX_QUANTITY,
        },
    )

"""Numbers shown to users read the French way (« 1 234,5 »), never as Python prints them
(« 1234.5 »): every number a template prints goes through the project's filters (``number``,
``money``, ``percent``, ``unit_price``), counts in a sentence included."""

import pathlib
import re
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.template.loader import render_to_string

APPS = ["lmb", "sales", "stock", "purchasing", "crm", "accounting", "catalog", "connectors"]
# What a name ends with when it holds a number (« account » is not a count).
NUMERIC = re.compile(r"(^|_)(quantity|count|counter|total|amount|price|balance|on_hand|reserved|available|products|days)$")
RAW_OUTPUT = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
# A name bound (by ``with`` or ``blocktranslate with``) to a number already formatted.
FORMATTED_BINDING = re.compile(r"(\w+)=[\w.|:\"]*\|(?:number|money|percent|unit_price)\b")
# Already French text, made by Python (sales.pdfs: the unit price with its decimals, unit_price_fr).
FORMATTED_IN_PYTHON = {"item.unit_price", "row.unit_price"}


def _raw_numbers(path: pathlib.Path) -> list[str]:
    text = path.read_text()
    formatted = set(FORMATTED_BINDING.findall(text)) | FORMATTED_IN_PYTHON
    return [name for name in RAW_OUTPUT.findall(text) if NUMERIC.search(name.split(".")[-1]) and name not in formatted]


def test_no_template_prints_a_number_without_the_french_format():
    base = pathlib.Path(settings.BASE_DIR)
    raw = {
        str(path.relative_to(base)): names
        for app in APPS
        for path in sorted((base / app / "templates").rglob("*.html"))
        if (names := _raw_numbers(path))
    }
    assert raw == {}


def test_the_scan_sees_a_raw_number(tmp_path):
    template = tmp_path / "page.html"
    template.write_text(
        "{{ line.quantity }} {{ account }}"
        " {% blocktranslate count counter=n %}{{ counter }} ligne{% plural %}…{% endblocktranslate %}"
        " {% blocktranslate with total=lines|length|number %}{{ total }}{% endblocktranslate %}"
    )
    assert _raw_numbers(template) == ["line.quantity", "counter"]


def test_a_label_sheet_preview_reads_its_numbers_the_french_way():
    product = SimpleNamespace(reference="MUG-01", designation="Mug", ean13="2000000000015", sale_price_incl_tax=Decimal("9.90"))
    context = {
        "lines": ["MUG-01"],
        "items": [(product, Decimal("1234.5"))],
        "max_quantity": 5000,
        "label_count": 1234,
        "page_count": 1234,
    }
    html = " ".join(render_to_string("stock/label_preview.html", context).replace("\u202f", " ").replace("\xa0", " ").split())
    assert "1 234,5" in html and "1234" not in html
    assert "1 234 étiquettes · 1 234 pages" in html


def test_a_list_counts_its_results_the_french_way():
    html = render_to_string("lmb/_results_header.html", {"paginator": SimpleNamespace(count=12345)})
    assert "12 345 résultats" in html.replace("\u202f", " ").replace("\xa0", " ")

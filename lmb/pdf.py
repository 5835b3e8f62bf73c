"""PDF rendering with WeasyPrint: a Django template in, PDF bytes out. Templates live in each app
(``<app>/templates/<app>/pdf/…``)."""

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML

from .text import printable


def render_pdf(template_name: str, context: dict, *, pdf_variant: str | None = None, identifier: bytes | None = None) -> bytes:
    return html_to_pdf(render_to_string(template_name, context), pdf_variant=pdf_variant, identifier=identifier)


def html_to_pdf(html: str, *, pdf_variant: str | None = None, identifier: bytes | None = None) -> bytes:
    """``identifier`` fixes the PDF's /ID (with the dates of the HTML's ``dcterms`` meta tags, the
    bytes then depend on the document only: two renders of it are identical)."""
    # base_url lets templates reference files under the project (fonts, images) by relative path.
    # A control character stored before the input refused them has no glyph: it is left out.
    document = HTML(string=printable(html), base_url=str(settings.BASE_DIR))
    return document.write_pdf(pdf_variant=pdf_variant, pdf_identifier=identifier)

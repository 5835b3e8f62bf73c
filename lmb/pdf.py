"""PDF rendering with WeasyPrint: a Django template in, PDF bytes out. Templates live in each app
(``<app>/templates/<app>/pdf/…``)."""

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML


def render_pdf(template_name: str, context: dict, *, pdf_variant: str | None = None) -> bytes:
    html = render_to_string(template_name, context)
    # base_url lets templates reference files under the project (fonts, images) by relative path.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant=pdf_variant)

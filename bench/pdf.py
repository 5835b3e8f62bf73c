"""Invoice PDFs: our whole path (HTML from the stored invoice, WeasyPrint's PDF/A-3b, the CII XML,
the Factur-X embedding) against a bare WeasyPrint render of the same HTML, in the same run.

Prints JSON with:
- ms per one-page invoice (PDF + Factur-X) and ms of the bare render of its HTML, and the ratio;
- the same for a 20-page invoice;
- documents per minute for a batch of 500 issued invoices made and stored by one worker
  process (``sales.pdfs.issued_pdf``, what the archive job and the first download do).
Aim (issue #8): ratio ≤ 1.3.

Run: ``.venv/bin/python bench/pdf.py [--batch 500] [--repeat 7]`` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated, and dropped at the end).
"""

import argparse
import io
import json
import statistics
import time

from harness import drop_database, recreate_database, setup
from issue_invoices import CUSTOMER, shop

ONE_PAGE_LINES = 6
TWENTY_PAGE_LINES = 640  # about 32 lines a page after the first


def issued_invoice(line_count: int):
    from catalog.models import Product
    from crm.models import ThirdParty
    from sales import services
    from sales.models import Channel

    products = list(Product.objects.filter(reference__startswith="B").order_by("reference"))
    lines = [{"product": products[index % len(products)], "quantity": 1 + index % 4} for index in range(line_count)]
    draft = services.create_direct_invoice(
        customer=ThirdParty.objects.get(name=CUSTOMER), channel=Channel.objects.get(kind=Channel.Kind.B2B), lines=lines
    )
    return services.issue_invoice(draft)


def _elapsed_ms(work) -> float:
    began = time.perf_counter()
    work()
    return (time.perf_counter() - began) * 1000


def compare(invoice, repeat: int) -> dict:
    """Our path and the bare render of the same HTML, alternated so both see the same machine."""
    from django.conf import settings
    from pypdf import PdfReader
    from weasyprint import HTML

    from sales import pdfs

    html = pdfs.document_html(invoice)
    pages = len(PdfReader(io.BytesIO(pdfs.render_issued(invoice).content)).pages)
    ours, bare = [], []
    for _ in range(repeat):  # one of each in turn: a busy neighbour slows both alike
        ours.append(_elapsed_ms(lambda: pdfs.render_issued(invoice)))
        bare.append(_elapsed_ms(lambda: HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()))
    ours_ms, bare_ms = round(statistics.median(ours), 1), round(statistics.median(bare), 1)
    return {"pages": pages, "ms": ours_ms, "bare_weasyprint_ms": bare_ms, "ratio": round(ours_ms / bare_ms, 3)}


def batch(count: int) -> dict:
    from sales import pdfs
    from sales.models import Invoice

    invoices = [issued_invoice(ONE_PAGE_LINES) for _ in range(count)]
    began = time.perf_counter()
    for invoice in invoices:
        pdfs.issued_pdf(Invoice.objects.get(pk=invoice.pk))
    elapsed = time.perf_counter() - began
    return {"documents": count, "seconds": round(elapsed, 1), "documents_per_minute": round(count * 60 / elapsed, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=500, help="invoices made and stored one after the other")
    parser.add_argument("--repeat", type=int, default=7, help="renders timed per comparison (median kept)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    arguments = parser.parse_args()
    recreate_database()
    try:
        setup()
        import logging

        logging.getLogger("factur-x").setLevel(logging.WARNING)  # one line per embedding otherwise
        shop()
        one_page = compare(issued_invoice(ONE_PAGE_LINES), arguments.repeat)
        twenty_pages = compare(issued_invoice(TWENTY_PAGE_LINES), max(3, arguments.repeat // 2))
        result = {
            "one_page_invoice": one_page,
            "twenty_page_invoice": twenty_pages,
            "batch": batch(arguments.batch),
            "aim": "ratio <= 1.3",
        }
        print(json.dumps(result, indent=2))
    finally:
        if not arguments.keep:
            drop_database()


if __name__ == "__main__":
    main()

"""List pages at scale: 100,000 products and 50,000 third parties on PostgreSQL.

Prints JSON with, for each scenario (the back-office lists and the API lists, plain, searched,
filtered, sorted, deep pages), the p50/p95 response time in milliseconds and the number of SQL
queries. Run: ``.venv/bin/python bench/lists.py`` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated).
"""

import json
import os
import random
import statistics
import time
from decimal import Decimal

from harness import recreate_database

PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", 100_000))
THIRD_PARTIES = int(os.environ.get("BENCH_THIRD_PARTIES", 50_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 30))
WORDS = ["Bol", "Tasse", "Théière", "Cocotte", "Poêle", "Couteau", "Nappe", "Lampe", "Chaise", "Galette", "Cidre", "Plaid"]
COLOURS = ["bleu", "rouge", "vert", "noir", "blanc", "jaune", "lin", "chêne", "inox", "grès"]
CITIES = [
    ("35000", "Rennes", "FR"),
    ("29200", "Brest", "FR"),
    ("75011", "Paris", "FR"),
    ("10115", "Berlin", "DE"),
    ("1201", "Genève", "CH"),
    ("97110", "Pointe-à-Pitre", "FR"),
    ("20121", "Milano", "IT"),
]


def populate():
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from catalog.models import Category, Product, VatRate
    from catalog.services import create_category, derive_prices
    from crm.models import Address, ThirdParty
    from lmb.models import Sequence
    from lmb.validators import ean13_with_check_digit

    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    rates = list(VatRate.objects.filter(territory="FR"))
    parents = [create_category(name=f"Rayon {i}") for i in range(20)]
    categories = [create_category(name=f"Famille {i}", parent=rng.choice(parents)) for i in range(200)]
    batch = []
    for index in range(PRODUCTS):
        product = Product(
            reference=f"P{index:07d}",
            designation=f"{rng.choice(WORDS)} {rng.choice(COLOURS)} modèle {index}",
            category=rng.choice(categories),
            vat_rate=rng.choice(rates),
            sale_price=Decimal(rng.randint(100, 50000)) / 100,
            price_includes_tax=rng.random() < 0.5,
            ean13=ean13_with_check_digit(f"376{index:09d}") if index % 10 else None,
        )
        derive_prices(product)
        batch.append(product)
        if len(batch) == 5000:
            Product.objects.bulk_create(batch)
            batch = []
    Product.objects.bulk_create(batch)

    third_parties = []
    for index in range(1, THIRD_PARTIES + 1):
        third_parties.append(
            ThirdParty(
                code=f"T{index:06d}",
                customer_account=f"C{index:06d}",
                kind="company",
                name=f"{rng.choice(['Maison', 'Atelier', 'Café', 'Cave'])} {rng.choice(COLOURS)} {index}",
                customer_category=rng.choice(["consumer", "business", "reseller"]),
                email=f"client{index}@example.fr",
            )
        )
    ThirdParty.objects.bulk_create(third_parties, batch_size=5000)
    Sequence.objects.update_or_create(code="third_party", period="", defaults={"last_value": THIRD_PARTIES})
    addresses = []
    for third_party in ThirdParty.objects.only("pk").iterator(chunk_size=5000):
        postal_code, city, country = rng.choice(CITIES)
        addresses.append(
            Address(
                third_party=third_party,
                kind="billing",
                is_default=True,
                line1="1 rue du Port",
                postal_code=postal_code,
                city=city,
                country=country,
            )
        )
    Address.objects.bulk_create(addresses, batch_size=5000)
    call_command("shell", command="from django.db import connection; connection.cursor().execute('ANALYZE')", verbosity=0)
    user = User.objects.create_user("bench", password="bench-password-1", is_superuser=False)
    user.groups.set(Group.objects.filter(name="administrator"))
    return user, Category.objects.filter(depth=0).first()


def measure(client, url, **extra):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = 0
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, **extra)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    timings.sort()
    return {
        "url": url,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "queries": queries,
    }


def main():
    recreate_database()
    import django

    django.setup()
    from django.test import Client
    from rest_framework.test import APIClient

    from lmb.services import create_api_token

    started = time.perf_counter()
    user, top_category = populate()
    populate_seconds = round(time.perf_counter() - started, 1)
    browser = Client()
    browser.force_login(user)
    api = APIClient()
    _token, key = create_api_token(user=user, name="bench")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    scenarios = {
        "product_list": "/catalog/products/",
        "product_list_search": "/catalog/products/?q=théière+bleu",
        "product_list_category_tree": f"/catalog/products/?category={top_category.pk}",
        "product_list_sort_price_desc": "/catalog/products/?sort=-price",
        "product_list_page_1000": "/catalog/products/?page=1000",
        "product_list_htmx_search": "/catalog/products/?q=cocotte",
        "third_party_list": "/crm/third-parties/",
        "third_party_list_search": "/crm/third-parties/?q=atelier+rouge",
        "third_party_list_country": "/crm/third-parties/?country=DE",
        "third_party_list_page_500": "/crm/third-parties/?sort=-name&page=500",
        "api_products": "/api/v1/products/",
        "api_products_search": "/api/v1/products/?search=galette",
        "api_products_by_ean": "/api/v1/products/?ean13=3760000123452",
        "api_third_parties": "/api/v1/third-parties/",
        "api_third_parties_search": "/api/v1/third-parties/?search=cave",
    }
    results = {}
    for name, url in scenarios.items():
        client = api if name.startswith("api_") else browser
        extra = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "list-results"} if "htmx" in name else {}
        results[name] = measure(client, url, **extra)
    print(
        json.dumps(
            {
                "products": PRODUCTS,
                "third_parties": THIRD_PARTIES,
                "repeat": REPEAT,
                "populate_seconds": populate_seconds,
                "results": results,
            },
            indent=2,
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

"""The analysis screen: the form, the nested table with subtotals, drilling into a row and back
up, the exports linked, bad input named, the warehouse refused, queries pinned."""

import re

from lmb import roles
from tests.helpers import page_text
from tests.stats.test_queries import known  # noqa: F401 - the fixture

PARAMS = {"level1": "month", "level2": "category", "start": "2025-01-01", "end": "2025-02-28", "measures": ["net", "quantity"]}


def test_month_by_category_drilled_into_and_back_up(role_client, known):  # noqa: F811
    client = role_client(roles.SALES)
    response = client.get("/stats/", PARAMS)
    assert response.status_code == 200
    text = page_text(response)
    assert "janvier 2025" in text and "Maison" in text and "Total général" in text
    assert "134,25" in text  # the grand total, French format
    html = response.content.decode()
    # Drill into January: its dates become the period, the categories the level shown.
    january = re.search(r'<a href="([^"]+)" class="drill"[^>]*>janvier 2025', html).group(1).replace("&amp;", "&")
    assert "start=2025-01-01" in january and "end=2025-01-31" in january and "levels=category" in january
    drilled = client.get("/stats/" + january)
    assert drilled.status_code == 200
    assert "82,50" in page_text(drilled) and "février" not in page_text(drilled)
    assert 'href="/stats/analysis/export.xlsx?' in drilled.content.decode()


def test_drilling_into_a_category_filters_it_and_the_chip_takes_you_back(role_client, known):  # noqa: F811
    client = role_client(roles.ACCOUNTANT)
    params = {**PARAMS, "level1": "category", "level2": "product", "level3": ""}
    html = client.get("/stats/", params).content.decode()
    link = re.search(r'<a href="([^"]+)" class="drill"[^>]*>Maison<', html).group(1).replace("&amp;", "&")
    assert f"filter_category={known['home'].pk}" in link and "levels=product" in link
    drilled = client.get("/stats/" + link)
    text = page_text(drilled)
    assert "analysis-filters" in text and "Catégorie : Maison" in text and "Mug triskell" in text
    back = re.search(r'<a href="([^"]+)" class="ms-1 link-secondary"', drilled.content.decode()).group(1)
    assert "filter_category" not in back


def test_bad_input_is_named_and_nothing_is_run(role_client, db):
    client = role_client(roles.SALES)
    response = client.get("/stats/", {**PARAMS, "start": "2025-03-01", "end": "2025-01-01"})
    assert response.status_code == 400
    assert "La fin de la période (01/01/2025) précède son début (01/03/2025)." in page_text(response)
    response = client.get("/stats/", {**PARAMS, "level3": "galaxy"})
    assert "Niveau d'analyse inconnu" in page_text(response)


def test_the_default_page_and_who_may_open_it(role_client, db):
    assert role_client(roles.ADMINISTRATOR).get("/stats/").status_code == 200
    assert role_client(roles.WAREHOUSE).get("/stats/").status_code == 403


def test_query_count_is_pinned(role_client, known, django_assert_max_num_queries):  # noqa: F811
    client = role_client(roles.SALES)
    client.get("/stats/", PARAMS)
    with django_assert_max_num_queries(16):
        response = client.get("/stats/", {**PARAMS, "level3": "customer", "compare": "last_year"})
    assert response.status_code == 200


def _chart(response) -> dict:
    import json

    found = re.search(r'<script id="analysis-chart-data" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(found.group(1))


def test_the_chart_of_the_first_level_in_time_order_with_the_comparison(role_client, known):  # noqa: F811
    client = role_client(roles.SALES)
    response = client.get("/stats/", {**PARAMS, "compare": "last_year"})
    assert 'data-chart="analysis-chart-data"' in response.content.decode()
    chart = _chart(response)
    assert chart["type"] == "bar" and chart["format"] == "money" and chart["label_format"] == "month"
    assert chart["labels"] == ["2025-01-01", "2025-02-01"]
    # January: 10 mugs; February: the fitting less the mug credited. A year earlier: 4 mugs, nothing.
    assert chart["datasets"][0] == {"label": "CA HT", "values": ["82.50", "51.75"]}
    assert chart["datasets"][1]["values"] == ["33.00", "0.00"]
    assert "01/01/2024" in chart["datasets"][1]["label"]
    # By category, largest first, the labels written; a quantity first: a number, not money.
    chart = _chart(client.get("/stats/", {**PARAMS, "level1": "category", "level2": "", "measures": ["quantity", "net"]}))
    assert chart["format"] == "number" and chart["label_format"] == "text"
    assert chart["labels"] == ["Maison"] and chart["datasets"][0]["values"] == ["10.000"]
    assert len(chart["datasets"]) == 1


def test_a_category_at_the_last_level_opens_onto_its_subcategories(role_client, known):  # noqa: F811
    client = role_client(roles.SALES)
    html = client.get("/stats/", PARAMS).content.decode()
    links = re.findall(r'<a href="([^"]+)" class="drill"[^>]*>Maison<', html)
    january = next(link.replace("&amp;", "&") for link in links if "end=2025-01-31" in link)
    assert f"filter_category={known['home'].pk}" in january and "category_depth=1" in january
    drilled = client.get("/stats/" + january)
    text = page_text(drilled)
    assert "Maison > Cuisine" in text
    assert "82,50" in text and "février" not in text


def test_the_measures_shown_are_the_ones_ticked(role_client, known):  # noqa: F811
    body = role_client(roles.SALES).get("/stats/", {"levels": "month", "start": "2025-01-01", "end": "2025-02-28"})
    ticked = set(
        re.findall(
            r'<input type="checkbox" name="measures" value="(\w+)" class="form-check-input"[^>]*checked', body.content.decode()
        )
    )
    assert ticked == {"net", "quantity"}  # the defaults, shown as columns and ticked


def test_a_filter_chosen_in_its_list_and_a_drilled_customer_kept(role_client, known, shop):  # noqa: F811
    client = role_client(roles.SALES)
    params = {"level1": "month", "start": "2025-01-01", "end": "2025-02-28", "measures": ["net"]}
    html = client.get("/stats/", {**params, "filter_customer_kind": "individual"}).content.decode()
    assert 'name="filter_channel"' in html and 'name="filter_customer"' not in html  # customers: by drilling
    assert re.search(r'<option value="individual" selected>', html)
    text = page_text(client.get("/stats/", {**params, "filter_customer_kind": "individual"}))
    assert "60,00" in text and "82,50" not in text  # Le Bihan's fitting only
    kept = client.get("/stats/", {**params, "filter_customer": str(shop.bakery.pk)}).content.decode()
    assert f'<input type="hidden" name="filter_customer" value="{shop.bakery.pk}">' in kept
    several = client.get("/stats/", {**params, "filter_channel": f"{shop.b2b.pk},{shop.web.pk}"}).content.decode()
    assert re.search(rf'<option value="{shop.b2b.pk},{shop.web.pk}" selected>2 valeurs choisies</option>', several)
    refused = client.get("/stats/", {**params, "filter_channel": "web"})
    assert refused.status_code == 400 and "attend des identifiants" in page_text(refused)

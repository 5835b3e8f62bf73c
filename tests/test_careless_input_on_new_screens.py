"""The screens of automatic invoicing, of dunning and of the analyses fed careless values (empty, 40 digits, 1e999,
accents, a NUL and a control character, markup) in every parameter and field: an answer, never a
server error; and the three places this found failing answer now (a huge amount's error message,
a search, a third party's code with a NUL)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.forms import ThirdPartyChoiceField
from crm.models import ThirdParty
from lmb.formats import decimal_fr
from lmb.lists import search
from tests.sales.conftest import shop  # noqa: F401

pytestmark = pytest.mark.django_db
CARELESS = ["", "9" * 40, "-1", "Éléonore ïç", "a\x00b\x1f", "1e999", "<script>"]


def every(value, *names) -> dict:
    return dict.fromkeys(names, value)


def test_no_careless_value_makes_a_server_error(admin_client, shop):  # noqa: F811
    bakery = shop.bakery
    bad = []
    for value in CARELESS:
        for url, params in [
            (
                reverse("sales:to_invoice_list"),
                every(value, "q", "policy", "channel", "held", "sort", "page"),
            ),
            (reverse("sales:grouped_invoicing"), every(value, "q", "page")),
            (
                reverse("dunning:aged_balance"),
                every(value, "as_of", "q", "category", "channel", "country", "sort", "page"),
            ),
            (reverse("dunning:reminders_to_validate"), every(value, "q", "page")),
            (reverse("dunning:customer", args=[bakery.pk]), {}),
            (
                reverse("stats:analysis"),
                every(
                    value, "mode", "level1", "period", "start", "end", "compare", "category_depth", "measures", "filter_customer"
                ),
            ),
            (reverse("stats:analysis_export", args=["xlsx"]), every(value, "levels", "period", "start", "end")),
            (reverse("stats:open_analysis", args=[999999]), {}),
        ]:
            r = admin_client.get(url, params)
            if r.status_code >= 500:
                bad.append((url, value, r.status_code))
        posts = [
            (
                reverse("sales:channel_edit", args=[shop.web.pk]),
                every(value, "name", "invoicing_policy", "default_customer", "warehouse"),
            ),
            (
                reverse("dunning:customer_settings", args=[bakery.pk]),
                every(value, "promise_date", "promise_amount", "insolvency_date", "plan"),
            ),
            (reverse("dunning:customer_dispute", args=[bakery.pk]), every(value, "invoice", "reason")),
            (reverse("dunning:rate_save"), every(value, "start", "ecb_rate", "legal_interest_rate", "points")),
            (reverse("sales:grouped_invoicing_run"), every(value, "customers")),
            (reverse("sales:to_invoice_now", args=[999999]), {}),
            (reverse("dunning:send_reminders"), every(value, "reminders")),
            (reverse("dunning:print_reminders"), every(value, "reminders")),
            (reverse("stats:save_analysis"), every(value, "name", "query", "shared")),
            (reverse("stats:save_analysis"), {"name": value, "query": "levels=month&period=this_year"}),
            (reverse("stats:save_analysis"), {"name": "X", "query": f"levels=month\r\nSet-Cookie: a=b&period={value}"}),
            (reverse("stats:delete_analysis", args=[999999]), every(value, "next")),
        ]
        for url, data in posts:
            r = admin_client.post(url, data)
            if r.status_code >= 500:
                bad.append((url, value, r.status_code))
    assert bad == []


def test_a_number_too_long_for_the_decimal_context_is_still_written():
    assert decimal_fr(Decimal("1E+30")).replace("\u202f", " ") == "1 000 000 000 000 000 000 000 000 000 000"
    assert decimal_fr(Decimal("9" * 40), 2).endswith("999,00")


def test_a_control_character_typed_in_a_search_or_a_code_finds_nothing_and_breaks_nothing(shop):  # noqa: F811
    assert list(search(ThirdParty.objects.all(), "Boulangerie\x00", ("name",))) == [shop.bakery]
    with pytest.raises(ValidationError):
        ThirdPartyChoiceField().clean(shop.bakery.code + "\x00")


def test_a_huge_promised_amount_is_refused_beside_its_field(admin_client, shop):  # noqa: F811
    response = admin_client.post(reverse("dunning:customer_settings", args=[shop.bakery.pk]), {"promise_amount": "1e999"})
    assert response.status_code == 400
    assert "14 chiffres" in response.content.decode()

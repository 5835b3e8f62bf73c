"""The shop settings screens: add a shop (its webhook secret shown once), edit it (the key is
write-only: never shown back, kept when left empty), every mapping with errors naming the field,
and "test the connection" showing the shop's answer or its error code."""

import pytest

from connectors.prestashop import services
from connectors.prestashop.models import ShopChannel
from lmb import roles
from lmb.errors import InvalidInput
from sales.models import Channel as SalesChannel
from tests.connectors.prestashop_standin import API_KEY

NEW_KEY = "NEWKEY0123456789NEWKEY0123456789"


@pytest.fixture
def form_data(standin, main_warehouse):
    return {
        "name": "Ma boutique",
        "base_url": standin.base_url + "/api/",
        "api_key": API_KEY,
        "id_shop": "",
        "warehouse": main_warehouse.pk,
        "state_shipped": "4",
        "state_invoiced": "",
        "state_cancelled": "6",
        "state_refunded": "7",
        "paid_states": "2, 3, 4",
        "payment_methods": "ps_checkpayment = cheque\nstripe_official = card",
        "currencies": "1 = EUR\n3 = eur",
        "carriers": "1 = Colissimo suivi\n14 = Chronopost",
        "tax_rules": "1 = FR-20\n2 = fr-5.5",
    }


def edit_data(channel, **changes):
    data = {
        "name": channel.name,
        "base_url": channel.base_url,
        "api_key": "",
        "id_shop": "",
        "warehouse": channel.warehouse_id or "",
        "is_active": "on",
        "state_shipped": "4",
        "state_invoiced": "",
        "state_cancelled": "6",
        "state_refunded": "7",
        "paid_states": "2",
        "payment_methods": "",
        "currencies": "1 = EUR",
        "carriers": "",
        "tax_rules": "",
    }
    return {**data, **changes}


def page(response) -> str:
    return response.content.decode().replace("\u202f", " ").replace("\xa0", " ").replace("&#x27;", "'")


def test_a_shop_is_added_on_screen_and_its_webhook_secret_shown_once(admin_client, form_data, main_warehouse):
    response = admin_client.post("/connectors/prestashop/new/", form_data)

    channel = ShopChannel.objects.get()
    assert response.status_code == 200, page(response)
    text = page(response)
    assert f'<code id="webhook-secret">{channel.webhook_secret}</code>' in text
    assert f"/connectors/prestashop/{channel.name}/webhook/" in text and API_KEY not in text
    assert (channel.name, channel.api_key, channel.api_key_hint, channel.warehouse) == (
        "ma-boutique",
        API_KEY,
        API_KEY[-4:],
        main_warehouse,
    )
    assert channel.base_url == form_data["base_url"].removesuffix("/api/")  # the shop's root, not the webservice's
    assert channel.states == {"shipped": "4", "invoiced": "", "cancelled": "6", "refunded": "7"}
    assert channel.paid_states == ["2", "3", "4"]
    assert channel.payment_methods == {"ps_checkpayment": "cheque", "stripe_official": "card"}
    assert channel.currencies == {"1": "EUR", "3": "EUR"}
    assert channel.carriers == {"1": "Colissimo suivi", "14": "Chronopost"}
    assert channel.tax_rules == {"1": "FR-20", "2": "FR-5.5"}
    detail = page(admin_client.get(f"/connectors/prestashop/{channel.pk}/"))
    assert channel.webhook_secret not in detail and "1 → Colissimo suivi" in detail and "2 → FR-5.5" in detail


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Ce champ est obligatoire."),
        ({"base_url": "boutique sans adresse"}, "base_url", "L'adresse de la boutique commence par https://"),
        ({"base_url": "https://moi:secret@boutique.example.fr"}, "base_url", "ni identifiant ni mot de passe"),
        ({"base_url": "ftp://boutique.example.fr"}, "base_url", "commence par https://"),
        ({"api_key": ""}, "api_key", "Ce champ est obligatoire."),
        ({"api_key": "court"}, "api_key", "La clé du webservice PrestaShop compte 32 caractères."),
        ({"carriers": "1 Colissimo"}, "carriers", "Ligne 1 (« 1 Colissimo ») : écrivez « id = valeur »."),
        ({"tax_rules": "1 = FR-19.6"}, "tax_rules", "Taux de TVA inconnu de LMB : FR-19.6"),
        ({"payment_methods": "paypal = bitcoin"}, "payment_methods", "Mode de règlement inconnu : paypal = bitcoin."),
        ({"state_shipped": "expédiée"}, "state_shipped", "Un id d'état PrestaShop est un nombre (« expédiée »)."),
        ({"currencies": "1 = EUR\n1 = USD"}, "currencies", "Ligne 2 : « 1 » est déjà associé."),
    ],
)
def test_bad_input_on_the_add_screen_names_the_field_and_creates_nothing(admin_client, form_data, changes, field, message):
    response = admin_client.post("/connectors/prestashop/new/", {**form_data, **changes})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert message in page(response)
    assert not ShopChannel.objects.exists() and not SalesChannel.objects.filter(code__startswith="PS-").exists()


def test_editing_never_shows_the_key_and_an_empty_key_keeps_it(admin_client, channel):
    form = page(admin_client.get(f"/connectors/prestashop/{channel.pk}/edit/"))
    assert API_KEY not in form and f"Clé enregistrée : …{API_KEY[-4:]}" in form
    assert 'name="api_key"' in form and 'type="password"' in form

    response = admin_client.post(
        f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel, carriers="1 = Colissimo", tax_rules="3 = ES-21")
    )

    assert response.status_code == 302 and response.url == f"/connectors/prestashop/{channel.pk}/"
    channel.refresh_from_db()
    assert (channel.api_key, channel.carriers, channel.tax_rules) == (API_KEY, {"1": "Colissimo"}, {"3": "ES-21"})
    admin_client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel, api_key=NEW_KEY, is_active=""))
    channel.refresh_from_db()
    assert (channel.api_key, channel.api_key_hint, channel.is_active) == (NEW_KEY, NEW_KEY[-4:], False)


def test_the_unknown_products_setting_is_kept_changed_and_shown(admin_client, channel):
    assert channel.unknown_products == ShopChannel.UnknownProducts.CREATE  # a new shop creates them
    form = page(admin_client.get(f"/connectors/prestashop/{channel.pk}/edit/"))
    assert "Produit ou déclinaison inconnu de LMB" in form and 'value="create" selected' in form

    admin_client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel, unknown_products="refuse"))

    channel.refresh_from_db()
    assert channel.unknown_products == ShopChannel.UnknownProducts.REFUSE
    detail = page(admin_client.get(f"/connectors/prestashop/{channel.pk}/"))
    assert "Refuser la commande (file d&#x27;erreurs)" in detail or "Refuser la commande (file d'erreurs)" in detail
    admin_client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel))  # not sent: kept
    channel.refresh_from_db()
    assert channel.unknown_products == ShopChannel.UnknownProducts.REFUSE


def test_a_refused_edit_changes_nothing(admin_client, channel):
    response = admin_client.post(
        f"/connectors/prestashop/{channel.pk}/edit/",
        edit_data(channel, api_key=NEW_KEY, carriers="1 = Colissimo", tax_rules="1 = XX-99"),
    )

    assert response.status_code == 200 and "Taux de TVA inconnu de LMB : XX-99" in page(response)
    channel.refresh_from_db()
    assert (channel.api_key, channel.carriers, channel.tax_rules) == (API_KEY, {}, {})


def test_testing_the_connection_shows_the_shops_answer(admin_client, channel, standin):
    ok = page(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/"))
    assert "Connexion réussie : la boutique « Prestashop » a répondu." in ok and "La clé a tous les droits" in ok

    standin.rights = {"order_carriers": {"get"}, "stock_availables": set()}
    partial = page(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/"))
    assert "Droits manquants" in partial
    assert "order_carriers (PUT), stock_availables (GET), stock_availables (PUT)" in partial

    standin.api_key = "ANOTHERKEY"
    refused = page(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/"))
    assert "clé du webservice refusée (HTTP 401)" in refused
    assert "Code d'erreur PrestaShop 18 : Invalid authentication key format" in refused


def test_an_unreachable_shop_is_reported_by_the_connection_test(admin_client, channel, standin):
    standin.inject("", 503)
    response = page(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/"))
    assert "La boutique n'a pas accepté la connexion" in response and "HTTP 503" in response


def test_who_may_add_edit_and_test_a_shop(client, make_user, channel, form_data):
    """A shop's settings and the connection test are for administrators (whoever may change the
    address could have the key sent elsewhere); sales sync, retry pushes and work the error queue."""
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    assert client.get(f"/connectors/prestashop/{channel.pk}/").status_code == 200
    assert client.get(f"/connectors/prestashop/{channel.pk}/edit/").status_code == 403
    assert client.post(f"/connectors/prestashop/{channel.pk}/test/").status_code == 403
    assert client.post(f"/connectors/prestashop/{channel.pk}/sync/").status_code == 403
    client.force_login(make_user(roles.SALES))
    detail = page(client.get(f"/connectors/prestashop/{channel.pk}/"))
    assert "Synchroniser maintenant" in detail and "Tester la connexion" not in detail and "/edit/" not in detail
    assert client.get(f"/connectors/prestashop/{channel.pk}/edit/").status_code == 403
    assert client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel)).status_code == 403
    assert client.post(f"/connectors/prestashop/{channel.pk}/test/").status_code == 403
    assert client.post("/connectors/prestashop/new/", form_data).status_code == 403  # adding a shop: administrators
    assert ShopChannel.objects.count() == 1


@pytest.mark.parametrize("field", ["carriers", "tax_rules", "currencies", "payment_methods"])
def test_a_shop_id_mapped_twice_is_refused_not_silently_overwritten(channel, field):
    """Through the service (the API and imports call it), « 5 » and « 5 » are the same shop id:
    one of the two values would silently win."""
    values = {"carriers": "Colissimo", "tax_rules": "FR-20", "currencies": "EUR", "payment_methods": "card"}
    with pytest.raises(InvalidInput) as error:
        services.clean_mappings(**{field: {"5": values[field], " 5 ": values[field]}})
    assert list(error.value.errors) == [field] and "« 5 » est associé deux fois" in error.value.errors[field][0]
    assert services.clean_mappings(**{field: {"5": values[field]}})[field] == {"5": values[field]}

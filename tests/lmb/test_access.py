"""Who may open what: login everywhere but login and /health/, roles, throttling, API tokens."""

import pytest
from django.test import override_settings
from django.urls import reverse

from lmb import roles
from lmb.models import ApiToken
from lmb.services import create_api_token, revoke_api_token

PAGES = [
    "/",
    "/catalog/products/",
    "/crm/third-parties/",
    "/crm/agenda/",
    "/settings/company/",
    "/search/?q=x",
    "/stock/",
    "/purchasing/orders/",
    "/media/company/logo.png",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_pages_send_anonymous_visitors_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_and_health_check_are_open(client):
    assert client.get(reverse("login")).status_code == 200
    health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"


@pytest.mark.django_db
def test_health_checks_redis_when_one_is_configured(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("no Redis configured for this run")
    assert client.get("/health/").json()["redis"] == "ok"
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


@pytest.mark.django_db
def test_roles_are_created_by_migrations_with_sensible_permissions():
    from django.contrib.auth.models import Group

    def perms(role):
        return set(Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename"))

    assert ("catalog", "add_product") in perms(roles.ADMINISTRATOR)
    assert ("catalog", "view_product") in perms(roles.ACCOUNTANT)
    assert not {p for p in perms(roles.ACCOUNTANT) if p[1].startswith(("add_", "delete_")) and p[0] == "catalog"}
    assert ("crm", "add_thirdparty") in perms(roles.SALES)
    assert ("crm", "add_thirdparty") not in perms(roles.WAREHOUSE)
    assert ("catalog", "change_product") in perms(roles.WAREHOUSE)
    assert ("crm", "add_timelineentry") in perms(roles.CUSTOMER_SERVICE)
    assert ("crm", "delete_thirdparty") not in perms(roles.CUSTOMER_SERVICE)


@pytest.mark.django_db
def test_a_role_without_the_permission_gets_403(role_client):
    client = role_client(roles.ACCOUNTANT)
    assert client.get("/catalog/products/").status_code == 200
    assert client.get("/catalog/products/new/").status_code == 403
    assert client.get("/settings/company/edit/").status_code == 403


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures(client, make_user, settings):
    user = make_user(roles.SALES, username="yann")
    make_user(roles.ACCOUNTANT, username="sophie")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "yann", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(reverse("login"), {"username": "yann", "password": "secret-password-1"})
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode() and "15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert user.is_active
    # A colleague behind the same shop router still logs in.
    assert client.post(reverse("login"), {"username": "sophie", "password": "secret-password-1"}).status_code == 302


@pytest.mark.django_db
def test_guessing_across_accounts_from_one_address_is_throttled_too(client, make_user, settings):
    make_user(roles.SALES, username="yann")
    for attempt in range(settings.LOGIN_FAILURE_LIMIT * 10):
        client.post(reverse("login"), {"username": f"guess{attempt}", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "yann", "password": "secret-password-1"}).status_code == 429


@pytest.mark.django_db
def test_the_admin_login_goes_through_the_throttled_one(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_good_login_resets_the_failure_count(client, make_user):
    make_user(roles.SALES, username="anne")
    client.post(reverse("login"), {"username": "anne", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "anne", "password": "secret-password-1"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_api_needs_a_valid_token_and_answers_401_otherwise(client, make_user):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    response = anonymous.get("/api/v1/products/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"

    user = make_user(roles.SALES)
    token, key = create_api_token(user=user, name="shop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.prefix) and len(stored.prefix) == 8  # never stored in clear

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/products/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    revoke_api_token(token)
    assert api.get("/api/v1/products/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert api.get("/api/v1/products/").status_code == 401


@pytest.mark.django_db
def test_api_refuses_a_write_the_role_does_not_allow(api_client):
    api = api_client(roles.ACCOUNTANT)
    assert api.get("/api/v1/products/").status_code == 200
    response = api.post("/api/v1/products/", {"reference": "X"}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_api_token_is_shown_once_on_the_account_page(admin_client):
    response = admin_client.post(reverse("account"), {"name": "PrestaShop"}, follow=True)
    page = response.content.decode()
    token = ApiToken.objects.get(name="PrestaShop")
    key = response.context["new_key"]
    assert key in page and key.startswith(token.prefix)
    again = admin_client.get(reverse("account")).content.decode()  # a reload shows it no more
    assert key not in again and token.prefix in again
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
def test_api_schema_and_docs_are_served_locally(api_client, admin_client):
    schema = api_client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/products/",
        "/api/v1/third-parties/",
        "/api/v1/timeline-entries/",
        "/api/v1/tasks/",
        "/api/v1/price-lists/",
        "/api/v1/vat-rates/",
        "/api/v1/categories/",
        "/api/v1/addresses/",
        "/api/v1/contacts/",
    ]:
        assert path in paths
    docs = admin_client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()

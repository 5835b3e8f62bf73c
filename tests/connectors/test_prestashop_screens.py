"""The connector's screens: shops with their sync history, the error queue (payload, error,
retry, ignore with a reason) and "sync now" as a job with progress."""

from decimal import Decimal

import pytest

from connectors.prestashop import services
from connectors.prestashop.models import ImportIssue, SyncRun
from lmb import roles
from lmb.models import Job
from sales.models import Order
from tests.connectors.prestashop_standin import API_KEY, derived


@pytest.fixture
def synced(channel):
    services.sync_channel(channel, trigger="test")
    return channel


def test_the_shop_pages_show_history_and_never_the_key(admin_client, synced):
    listing = admin_client.get("/connectors/prestashop/").content.decode()
    assert synced.name in listing and "…" + API_KEY[-4:] in listing and API_KEY not in listing
    page = admin_client.get(f"/connectors/prestashop/{synced.pk}/").content.decode()
    assert API_KEY not in page and f"/connectors/prestashop/{synced.name}/webhook/" in page
    assert 'id="open-issues">1</a>' in page and '<td class="text-end">3</td>' in page  # 3 read


def test_sync_now_runs_as_a_job_with_progress(admin_client, synced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/connectors/prestashop/{synced.pk}/sync/")
    job = Job.objects.get(kind="prestashop_sync")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.DONE, job.message
    run = SyncRun.objects.get(pk=job.parameters["run"])
    assert (run.trigger, run.read) == ("manual", 1)  # from the cursor on


def test_the_error_queue_lists_shows_retries_and_ignores(admin_client, synced, standin, django_assert_max_num_queries):
    for number in range(5):  # more entries must not mean more queries
        ImportIssue.objects.create(channel=synced, external_id=f"90{number}", error="Totaux", payload={"id": number})
    with django_assert_max_num_queries(12):
        listing = admin_client.get("/connectors/prestashop/issues/?status=open&sort=-seen")
    assert listing.status_code == 200 and "114" in listing.content.decode()
    export = admin_client.get("/connectors/prestashop/issues/?export=xlsx")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")

    issue = ImportIssue.objects.get(external_id="114")
    page = admin_client.get(f"/connectors/prestashop/issues/{issue.pk}/").content.decode()
    assert "devise PrestaShop n° 3" in page and "42340.000000" in page and "secure_key" not in page

    refused = admin_client.post(f"/connectors/prestashop/issues/{issue.pk}/ignore/", {"reason": ""}, follow=True)
    assert "Indiquez pourquoi" in refused.content.decode()
    # Mapped on the shop's side — its currency, and its tax rules, which charged this French buyer
    # 17 % (no French rate) — the retry imports it.
    fixed = derived(standin.records["orders"]["114"], id_currency="1")
    fixed["associations"] = {
        "order_rows": [
            derived(row, unit_price_tax_excl=f"{Decimal(row['unit_price_tax_incl']) / Decimal('1.2'):.6f}")
            for row in fixed["associations"]["order_rows"]
        ]
    }
    standin.put_record("orders", fixed)
    admin_client.post(f"/connectors/prestashop/issues/{issue.pk}/retry/")
    issue.refresh_from_db()
    assert issue.status == ImportIssue.Status.RESOLVED, issue.error
    assert Order.objects.filter(customer_reference="114", total_incl_tax=Decimal("42340.00")).exists()


def test_ignoring_needs_the_right_role(client, make_user, synced):
    issue = ImportIssue.objects.get(external_id="114")
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    assert client.get("/connectors/prestashop/issues/").status_code == 200
    assert client.post(f"/connectors/prestashop/issues/{issue.pk}/ignore/", {"reason": "test"}).status_code == 403
    client.force_login(make_user(roles.SALES))
    client.post(f"/connectors/prestashop/issues/{issue.pk}/ignore/", {"reason": "Commande de test"})
    issue.refresh_from_db()
    assert (issue.status, issue.ignored_reason) == (ImportIssue.Status.IGNORED, "Commande de test")


def test_a_sync_job_on_an_unreachable_shop_fails_with_the_reason(
    admin_client, channel, standin, django_capture_on_commit_callbacks
):
    standin.inject("orders", 502, times=100)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/connectors/prestashop/{channel.pk}/sync/")
    job = Job.objects.get(kind="prestashop_sync")
    assert job.status == Job.Status.FAILED and "HTTP 502" in job.message
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm import services
from crm.models import Address, ThirdParty, TimelineEntry
from crm.timeline import TimelineItem, register_provider, timeline_for, unregister_provider
from lmb.errors import InvalidInput, TransitionNotAllowed
from tests.factories import ThirdPartyFactory, valid_siren

pytestmark = pytest.mark.django_db


def test_a_third_party_gets_a_code_and_auxiliary_accounts():
    customer = ThirdPartyFactory()
    assert customer.code.startswith("T") and customer.customer_account == "C" + customer.code[1:]
    assert customer.supplier_account is None
    services.update_third_party(customer, is_supplier=True)
    customer.refresh_from_db()
    assert customer.supplier_account == "F" + customer.code[1:]
    second = ThirdPartyFactory()
    assert int(second.code[1:]) == int(customer.code[1:]) + 1


def test_siren_siret_and_vat_number_are_checked_and_compacted():
    siren = valid_siren(1)
    company = ThirdPartyFactory(siren=f"{siren[:3]} {siren[3:6]} {siren[6:]}", vat_number="DE 136 695 976")
    assert company.siren == siren and company.vat_number == "DE136695976"
    for field, value in [("siren", "123456789"), ("siret", "12345678901234"), ("vat_number", "FR00123456789")]:
        with pytest.raises(InvalidInput) as error:
            ThirdPartyFactory(**{field: value})
        assert field in error.value.errors
    assert ThirdParty.objects.count() == 1


def test_a_siret_gives_its_siren_and_must_match_it():
    siren = valid_siren(2)
    from stdnum import luhn

    siret = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    assert ThirdPartyFactory(siret=siret).siren == siren
    with pytest.raises(InvalidInput) as error:
        ThirdPartyFactory(siret=siret, siren=valid_siren(3))
    assert "siret" in error.value.errors


def test_an_individual_is_named_after_their_last_and_first_name():
    person = ThirdPartyFactory(kind="individual", name="", first_name="Anne", last_name="Le Gall", customer_category="consumer")
    assert person.name == "LE GALL Anne"
    with pytest.raises(InvalidInput) as error:
        ThirdPartyFactory(kind="individual", name="", last_name="")
    assert "last_name" in error.value.errors


def test_a_third_party_has_at_least_one_role_and_custom_terms_need_days():
    with pytest.raises(InvalidInput):
        ThirdPartyFactory(is_customer=False)
    with pytest.raises(InvalidInput) as error:
        ThirdPartyFactory(payment_terms="custom")
    assert "payment_terms_days" in error.value.errors
    with pytest.raises(InvalidInput):
        ThirdPartyFactory(payment_terms="custom", payment_terms_days=90)  # L441-10: 60 days at most


def test_one_default_address_per_kind():
    customer = ThirdPartyFactory(addresses=[{"line1": "1 rue du Port", "postal_code": "29200", "city": "Brest"}])
    first = customer.addresses.get()
    assert first.is_default and first.kind == Address.Kind.BILLING
    second = services.add_address(customer, kind="billing", line1="2 quai", postal_code="35000", city="Rennes", is_default=True)
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    with pytest.raises(InvalidInput) as error:
        services.add_address(customer, line1="x", postal_code="290", city="Brest")
    assert "postal_code" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        services.add_address(customer, line1="x", postal_code="1201", city="Genève", country="XX")
    assert "country" in error.value.errors
    assert services.add_address(customer, line1="Rue du Rhône 1", postal_code="1204", city="Genève", country="CH").pk


def test_logging_a_call_with_an_attachment():
    customer = ThirdPartyFactory()
    contact = services.add_contact(customer, last_name="Riou", first_name="Sophie", is_primary=True)
    entry = services.log_interaction(
        third_party=customer,
        kind="call",
        subject="Demande de devis",
        contact=contact,
        direction="in",
        attachments=[SimpleUploadedFile("devis.pdf", b"%PDF-1.4 test")],
    )
    assert entry.attachments.get().original_name == "devis.pdf"
    other = ThirdPartyFactory()
    with pytest.raises(InvalidInput) as error:
        services.log_interaction(third_party=other, kind="call", subject="x", contact=contact)
    assert "contact" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        services.log_interaction(third_party=customer, kind="telepathy", subject="x")
    assert "kind" in error.value.errors


def test_incidents_move_through_their_statuses_and_say_so_on_the_timeline(admin_user):
    customer = ThirdPartyFactory()
    incident = services.log_interaction(third_party=customer, kind="incident", subject="Colis endommagé")
    assert incident.incident_status == "open"
    services.change_incident_status(incident, status="in_progress", author=admin_user)
    services.change_incident_status(incident, status="closed", author=admin_user, comment="Remplacé")
    incident.refresh_from_db()
    assert incident.incident_status == "closed"
    notes = list(customer.timeline_entries.filter(kind="note").values_list("subject", flat=True))
    assert any("clos" in note for note in notes)
    with pytest.raises(TransitionNotAllowed):
        services.change_incident_status(incident, status="in_progress")
    call = services.log_interaction(third_party=customer, kind="call", subject="Appel")
    with pytest.raises(TransitionNotAllowed):
        services.change_incident_status(call, status="closed")


def test_timeline_merges_entries_from_other_apps_newest_first():
    customer = ThirdPartyFactory()
    now = timezone.now()
    services.log_interaction(third_party=customer, kind="call", subject="Ancien appel", occurred_at=now - timedelta(days=3))
    services.log_interaction(third_party=customer, kind="email", subject="E-mail récent", occurred_at=now)

    def invoices(third_party, *, limit):
        yield TimelineItem(
            occurred_at=now - timedelta(days=1),
            kind="invoice",
            kind_label="Facture",
            title="FA2026-000001",
            url="/invoices/1/",
            source="sales",
        )

    register_provider(invoices)
    try:
        titles = [item.title for item in timeline_for(customer)]
    finally:
        unregister_provider(invoices)
    assert titles == ["E-mail récent", "FA2026-000001", "Ancien appel"]


def test_tasks_are_completed_once(admin_user):
    task = services.create_task(title="Rappeler", assignee=admin_user, due_date=timezone.localdate())
    services.complete_task(task)
    assert task.is_done
    with pytest.raises(TransitionNotAllowed):
        services.complete_task(task)
    services.reopen_task(task)
    assert not task.is_done


def test_a_third_party_with_history_cannot_be_deleted():
    from lmb.errors import Conflict

    customer = ThirdPartyFactory()
    services.log_interaction(third_party=customer, kind="note", subject="Note")
    with pytest.raises(Conflict, match="désactivez-le"):
        services.delete_third_party(customer)
    assert TimelineEntry.objects.filter(third_party=customer).exists()


ADDRESS = {"line1": "1 rue du Port", "postal_code": "35000", "city": "Rennes", "country": "FR"}


def test_third_parties_created_together_follow_the_rules_of_one_created_alone(django_assert_max_num_queries):
    first = services.create_third_party(name="Avant")
    batch = [
        {"name": "Cave", "addresses": [ADDRESS, {**ADDRESS, "city": "Brest", "postal_code": "29200"}]},
        {
            "kind": ThirdParty.Kind.INDIVIDUAL,
            "last_name": "Le Gall",
            "first_name": "Anne",
            "is_supplier": True,
            "addresses": [ADDRESS, {**ADDRESS, "kind": Address.Kind.DELIVERY}, {**ADDRESS, "is_default": True}],
            "contacts": [{"last_name": "A", "is_primary": True}, {"last_name": "B", "is_primary": True}],
        },
        *({"name": f"Client {n}", "addresses": [ADDRESS]} for n in range(20)),
    ]
    # The numbers, the uniqueness of the codes and accounts, and every write: once for the batch,
    # nothing per third party (its role is checked by ThirdParty.clean(), not by a query each).
    with django_assert_max_num_queries(7):
        cave, person, *_others = services.create_third_parties(batch)
    number = int(first.code[1:])
    assert (cave.code, cave.customer_account, cave.supplier_account) == (f"T{number + 1:06d}", f"C{number + 1:06d}", None)
    assert (person.code, person.supplier_account, person.name) == (f"T{number + 2:06d}", f"F{number + 2:06d}", "LE GALL Anne")
    assert (cave.customer_category, person.customer_category) == ("business", "consumer")
    defaults = list(cave.addresses.order_by("pk").values_list("city", "is_default"))
    assert defaults == [("Rennes", True), ("Brest", False)]  # the first of its kind, as add_address makes it
    kinds = list(person.addresses.order_by("pk").values_list("kind", "is_default"))
    assert kinds == [("billing", False), ("delivery", True), ("billing", True)]  # a later default takes the place
    assert list(person.contacts.order_by("pk").values_list("last_name", "is_primary")) == [("A", False), ("B", True)]
    assert ThirdParty.objects.count() == 23


def test_a_batch_with_an_account_already_taken_or_an_invalid_member_is_refused_whole():
    taken = services.create_third_party(name="Avant")
    with pytest.raises(InvalidInput) as refused:
        services.create_third_parties([{"name": "Cave"}, {"name": "Autre", "customer_account": taken.customer_account}])
    assert list(refused.value.errors) == ["customer_account"] and "existe déjà" in refused.value.errors["customer_account"][0]
    with pytest.raises(InvalidInput) as refused:
        services.create_third_parties([{"name": "Un", "customer_account": "C-X"}, {"name": "Deux", "customer_account": "C-X"}])
    assert list(refused.value.errors) == ["customer_account"]
    with pytest.raises(InvalidInput) as refused:
        services.create_third_parties([{"name": "Cave"}, {"name": "Mauvais", "addresses": [{**ADDRESS, "postal_code": "1"}]}])
    assert list(refused.value.errors) == ["postal_code"]
    assert list(ThirdParty.objects.values_list("name", flat=True)) == ["Avant"]

"""Factories for tests. Business objects are created through the services, like every edge."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog import services as catalog_services
from catalog.models import Category, Product, VatRate
from crm import services as crm_services
from crm.models import ThirdParty
from lmb.validators import ean13_with_check_digit, siren_with_check_digit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Anne"
    last_name = factory.Sequence(lambda n: f"Le Gall {n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-password-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        self.save()


class ServiceFactory(factory.Factory):
    """A factory whose objects are made by a service function (``service`` in Meta-free form)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls.service(**kwargs)


class ThirdPartyFactory(ServiceFactory):
    class Meta:
        model = ThirdParty

    service = staticmethod(crm_services.create_third_party)
    kind = ThirdParty.Kind.COMPANY
    name = factory.Sequence(lambda n: f"Société {n}")
    customer_category = "business"


def vat_rate(code="FR-20") -> VatRate:
    return VatRate.objects.get(code=code)


class CategoryFactory(ServiceFactory):
    class Meta:
        model = Category

    service = staticmethod(catalog_services.create_category)
    name = factory.Sequence(lambda n: f"Catégorie {n}")
    parent = None


class ProductFactory(ServiceFactory):
    class Meta:
        model = Product

    service = staticmethod(catalog_services.create_product)
    reference = factory.Sequence(lambda n: f"REF-{n:05d}")
    designation = factory.Sequence(lambda n: f"Produit {n}")
    vat_rate = factory.LazyFunction(vat_rate)
    sale_price = Decimal("10.00")
    ean13 = factory.Sequence(lambda n: ean13_with_check_digit(f"376{n:09d}"))


def valid_siren(seed: int) -> str:
    return siren_with_check_digit(f"{10_000_000 + seed}")


def warehouse(code="MAIN", name="Entrepôt principal", **fields):
    from stock import services as stock_services
    from stock.models import Warehouse

    existing = Warehouse.objects.filter(code=code).first()
    return existing or stock_services.create_warehouse(code=code, name=name, **fields)

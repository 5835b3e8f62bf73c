"""Demo stock: the Rennes warehouse and the shop, shelves, thresholds; after the purchasing step
has received goods, transfers to the shop, a few exits and a validated inventory."""

from decimal import Decimal

from catalog.models import Product

from . import services
from .models import StockLevel


def seed_warehouses(context):
    rng = context["random"]
    main = services.create_warehouse(
        code="RENNES", name="Entrepôt de Rennes", address="ZA du Hil, 35510 Cesson-Sévigné", is_default=True
    )
    shop = services.create_warehouse(
        code="BOUTIQUE", name="Boutique quai Duguay-Trouin", address="12 quai Duguay-Trouin, 35000 Rennes"
    )
    locations = [
        services.create_location(warehouse=main, code=f"{aisle}-{shelf:02d}", aisle=aisle, shelf=str(shelf))
        for aisle in "ABCD"
        for shelf in range(1, 9)
    ]
    goods = list(Product.objects.filter(kind=Product.Kind.GOODS).order_by("pk"))
    for product in goods:
        services.set_stock_setting(
            product=product,
            warehouse=main,
            location=rng.choice(locations),
            min_quantity=Decimal(rng.choice([5, 10, 20])),
            max_quantity=Decimal(rng.choice([40, 60, 100])),
        )
        if rng.random() < 0.5:
            services.set_stock_setting(product=product, warehouse=shop, min_quantity=Decimal(2), max_quantity=Decimal(8))
    context.update(warehouse=main, shop=shop)
    return f"2 dépôts, {len(locations)} emplacements, seuils min/max de {len(goods)} produits"


def seed_stock_life(context):
    rng, main, shop = context["random"], context["warehouse"], context["shop"]
    user = context["users"]["entrepot"]
    levels = list(StockLevel.objects.filter(warehouse=main, on_hand__gt=4).select_related("product"))
    transfers = exits = 0
    for level in rng.sample(levels, min(60, len(levels))):
        services.transfer(product=level.product, from_warehouse=main, to_warehouse=shop, quantity=rng.randint(1, 4), user=user)
        transfers += 1
    for level in rng.sample(levels, min(12, len(levels))):
        services.exit_stock(
            product=level.product,
            warehouse=main,
            quantity=1,
            reason=rng.choice(["breakage", "sample", "own_use"]),
            note="Démonstration",
            user=user,
        )
        exits += 1
    inventory = services.open_inventory(warehouse=shop, user=user, note="Inventaire tournant de la boutique")
    for line in inventory.lines.select_related("product")[:20]:
        services.count(
            inventory,
            product=line.product,
            quantity=max(Decimal(0), line.expected_quantity - rng.choice([0, 0, 0, 1])),
            add=False,
        )
    services.validate_inventory(inventory, user=user)
    return (
        f"{transfers} transferts vers la boutique, {exits} sorties (casse, échantillons), "
        f"1 inventaire validé ({inventory.reference})"
    )

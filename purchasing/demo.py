"""Demo purchasing: each product family comes from a supplier; supplier orders of the past
months, most received (which fills the stock at purchase cost), some partly, some still open."""

import datetime
from decimal import Decimal

from catalog.models import Product

from . import services

FAMILY_SUPPLIERS = {
    "Cuisine > Petit électroménager": "Électroménager Distribution France",
    "Cuisine > Cocottes et poêles": "Coutellerie Thiernoise",
    "Cuisine > Ustensiles": "Coutellerie Thiernoise",
    "Cuisine > Vaisselle": "Faïencerie de Quimper",
    "Épicerie fine > Thés et cafés": "Brûlerie Armoricaine",
    "Épicerie fine > Biscuits et confitures": "Biscuiterie de l'Aven",
    "Épicerie fine > Cidres et spiritueux": "Cidrerie du Val de Rance",
    "Maison > Mobilier": "Ébénisterie Le Meur",
    "Maison > Luminaires": "Lumières de l'Ouest",
    "Maison > Linge de maison": "Tissages de Bretagne",
    "Maison > Décoration": "Grès et Terres du Trégor",
    "Jardin > Outillage": "Jardins d'Armor",
    "Jardin > Graines et plants": "Jardins d'Armor",
    "Librairie > Livres de cuisine": "Éditions Ouest Gourmand",
    "Librairie > Presse": "Presse Diffusion Bretagne",
    "Entretien": "Savonnerie de Lorient",
    "Emballages cadeaux": "Emballages Kraft & Co",
}


def seed_purchasing(context):
    rng, main = context["random"], context["warehouse"]
    user = context["users"]["entrepot"]
    suppliers = {supplier.name: supplier for supplier in context["suppliers"]}
    by_supplier: dict = {}
    for product in Product.objects.filter(kind=Product.Kind.GOODS).select_related("category").order_by("pk"):
        supplier = suppliers[FAMILY_SUPPLIERS[product.category.full_name]]
        services.set_supplier_price(
            product=product,
            supplier=supplier,
            supplier_reference=f"{supplier.code}-{product.pk:05d}",
            purchase_price=product.purchase_price,
            min_quantity=Decimal(rng.choice([1, 6, 12])),
            lead_time_days=rng.choice([3, 7, 15]),
            is_preferred=True,
        )
        by_supplier.setdefault(supplier.pk, (supplier, []))[1].append(product)
    received = partial = open_orders = 0
    for supplier, products in by_supplier.values():
        for round_ in range(2):
            lines = [{"product": product, "quantity": Decimal(rng.choice([12, 24, 36]))} for product in products[round_::2][:12]]
            if not lines:
                continue
            order = services.send_supplier_order(
                services.create_supplier_order(
                    supplier=supplier,
                    warehouse=main,
                    lines=lines,
                    user=user,
                    expected_date=datetime.date.today() + datetime.timedelta(days=rng.randint(3, 20)),
                ),
                user=user,
            )
            if rng.random() < 0.8:
                quantities = [{"product": line["product"], "quantity": line["quantity"]} for line in lines]
                if rng.random() < 0.2:
                    quantities = quantities[: len(quantities) // 2 or 1]
                    partial += 1
                else:
                    received += 1
                services.receive_order(order, lines=quantities, user=user, delivery_note_reference=f"BL-{order.pk:04d}")
            else:
                open_orders += 1
    first_supplier, first_products = next(iter(by_supplier.values()))
    services.create_supplier_order(
        supplier=first_supplier, warehouse=main, user=user, lines=[{"product": first_products[0], "quantity": 6}]
    )
    return (
        f"prix fournisseurs de tous les produits, {received} commandes reçues, {partial} reçues en partie, "
        f"{open_orders} en attente, 1 brouillon"
    )

"""Demo catalogue: a Breton home-and-kitchen shop with a delicatessen corner, a bookshop and
services — every VAT rate, eco-participation on appliances and furniture, EAN-13 codes."""

from decimal import Decimal

from lmb import money
from lmb.validators import ean13_with_check_digit

from . import services
from .models import PriceList, Product, Unit, VatRate

# (category path, VAT code, kind, unit, eco-participation range, weight range kg, items, variants, price range TTC)
FAMILIES = [
    (
        "Cuisine > Petit électroménager",
        "FR-20",
        "goods",
        "C62",
        ("0.30", "2.00"),
        ("0.8", "6"),
        [
            "Bouilloire électrique",
            "Grille-pain",
            "Cafetière filtre",
            "Robot pâtissier",
            "Blender",
            "Mixeur plongeant",
            "Crêpière électrique",
            "Gaufrier",
            "Yaourtière",
            "Balance de cuisine",
        ],
        ["blanc", "noir", "inox", "rouge"],
        (19, 349),
    ),
    (
        "Cuisine > Ustensiles",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.1", "1.5"),
        [
            "Fouet inox",
            "Spatule silicone",
            "Rouleau à pâtisserie",
            "Râpe multi-usage",
            "Planche à découper",
            "Couteau d'office",
            "Couteau de chef",
            "Louche",
            "Écumoire",
            "Passoire",
        ],
        ["petit modèle", "grand modèle", "lot de 2"],
        (4, 69),
    ),
    (
        "Cuisine > Cocottes et poêles",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.8", "6"),
        ["Cocotte fonte", "Poêle inox", "Sauteuse", "Billig à crêpes"],
        ["24 cm", "28 cm", "32 cm"],
        (29, 249),
    ),
    (
        "Cuisine > Vaisselle",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.2", "2.5"),
        [
            "Bol breton prénom",
            "Assiette plate faïence",
            "Assiette creuse faïence",
            "Tasse à café",
            "Mug grès",
            "Saladier grès",
            "Plat à four",
            "Théière fonte",
        ],
        ["bleu", "jaune", "vert", "naturel"],
        (6, 89),
    ),
    (
        "Épicerie fine > Thés et cafés",
        "FR-5.5",
        "goods",
        "C62",
        None,
        ("0.1", "1"),
        ["Café grains Éthiopie", "Café moulu Brésil", "Thé noir breton", "Thé vert jasmin", "Infusion verveine", "Chicorée"],
        ["250 g", "500 g", "1 kg"],
        (5, 39),
    ),
    (
        "Épicerie fine > Biscuits et confitures",
        "FR-5.5",
        "goods",
        "C62",
        None,
        ("0.1", "1"),
        [
            "Galettes pur beurre",
            "Palets bretons",
            "Kouign-amann",
            "Caramel au beurre salé",
            "Confiture de fraises",
            "Confiture de lait",
            "Miel de sarrasin",
        ],
        ["boîte fer", "sachet", "pot"],
        (3, 24),
    ),
    (
        "Épicerie fine > Cidres et spiritueux",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.8", "1.6"),
        ["Cidre brut", "Cidre doux", "Chouchen", "Pommeau", "Whisky breton", "Bière blonde artisanale"],
        ["75 cl", "1 l", "coffret"],
        (4, 59),
    ),
    (
        "Maison > Mobilier",
        "FR-20",
        "goods",
        "C62",
        ("1.00", "12.00"),
        ("4", "45"),
        ["Chaise bistrot", "Tabouret de bar", "Table basse chêne", "Étagère murale", "Buffet bas", "Banc d'entrée"],
        ["chêne", "noyer", "blanc"],
        (49, 899),
    ),
    (
        "Maison > Luminaires",
        "FR-20",
        "goods",
        "C62",
        ("0.10", "1.00"),
        ("0.5", "5"),
        ["Lampe à poser", "Suspension rotin", "Lampadaire", "Applique murale", "Guirlande lumineuse"],
        ["laiton", "noir mat", "lin"],
        (19, 249),
    ),
    (
        "Maison > Linge de maison",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.2", "2"),
        ["Torchon lin", "Nappe coton", "Tablier de cuisine", "Plaid laine", "Housse de coussin", "Serviette de table"],
        ["marinière", "écru", "bleu marine"],
        (9, 119),
    ),
    (
        "Maison > Décoration",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.1", "3"),
        ["Bougie parfumée", "Vase en grès", "Cadre photo", "Affiche phare", "Miroir rond", "Horloge murale"],
        ["petit", "moyen", "grand"],
        (9, 149),
    ),
    (
        "Jardin > Outillage",
        "FR-20",
        "goods",
        "C62",
        None,
        ("0.3", "4"),
        ["Sécateur", "Transplantoir", "Arrosoir zinc", "Gants de jardin", "Râteau"],
        ["standard", "pro"],
        (7, 79),
    ),
    (
        "Jardin > Graines et plants",
        "FR-10",
        "goods",
        "C62",
        None,
        ("0.05", "1"),
        ["Graines de radis", "Graines de tomate ancienne", "Plant de fraisier", "Bulbes de tulipe", "Terreau"],
        ["sachet", "lot de 3"],
        (2, 19),
    ),
    (
        "Librairie > Livres de cuisine",
        "FR-5.5",
        "goods",
        "C62",
        None,
        ("0.3", "1.5"),
        ["Crêpes et galettes", "La cuisine bretonne", "Desserts au beurre salé", "Le grand livre du cidre", "Recettes de la mer"],
        ["broché", "relié"],
        (12, 45),
    ),
    (
        "Librairie > Presse",
        "FR-2.1",
        "goods",
        "C62",
        None,
        ("0.1", "0.4"),
        ["Magazine Cuisine de saison", "Revue Maison & Jardin", "Le Journal du Goût"],
        ["n° du mois"],
        (4, 9),
    ),
    (
        "Entretien",
        "FR-20",
        "goods",
        "LTR",
        None,
        ("0.5", "2"),
        ["Savon noir", "Vinaigre blanc", "Cire d'abeille", "Liquide vaisselle écologique"],
        ["500 ml", "1 l"],
        (3, 18),
    ),
    (
        "Services > Livraison et installation",
        "FR-20",
        "service",
        "C62",
        None,
        None,
        ["Livraison à domicile", "Installation et mise en service", "Montage de meuble"],
        ["Rennes métropole", "Ille-et-Vilaine"],
        (15, 120),
    ),
    (
        "Services > Ateliers",
        "FR-20",
        "service",
        "HUR",
        None,
        None,
        ["Atelier crêpes", "Atelier pâtisserie", "Dégustation de cidres"],
        ["adulte", "enfant", "privatisé"],
        (25, 180),
    ),
    (
        "Emballages cadeaux",
        "FR-20",
        "goods",
        "SET",
        None,
        ("0.1", "0.5"),
        ["Coffret cadeau", "Papier kraft", "Ruban"],
        ["S", "M", "L"],
        (2, 12),
    ),
]


def _between(rng, low, high, places=2) -> Decimal:
    low, high = Decimal(low), Decimal(high)
    return money.round_to(low + (high - low) * Decimal(str(rng.random())), places)


def _shop_price(rng, low, high) -> Decimal:
    """A price like shops print them: 19,90 €, 24,50 €, 129,00 €."""
    euros = rng.randint(low, high)
    return Decimal(euros) + rng.choice([Decimal("0.00"), Decimal("0.50"), Decimal("0.90"), Decimal("0.99")])


def seed_catalog(context):
    rng = context["random"]
    rates = {rate.code: rate for rate in VatRate.objects.all()}
    count = 0
    for path, vat_code, kind, unit, eco_range, weight_range, items, variants, (low, high) in FAMILIES:
        category = services.ensure_category_path(path)
        prefix = "".join(word[0] for word in path.replace(">", " ").split())[:3].upper()
        for item in items:
            for variant in variants:
                count += 1
                price_incl_tax = _shop_price(rng, low, high)
                with_barcode = kind == "goods" and rng.random() < 0.92
                services.create_product(
                    reference=f"{prefix}-{count:04d}",
                    designation=f"{item} — {variant}",
                    category=category,
                    kind=kind,
                    unit=unit if kind == "goods" or unit == "HUR" else Unit.PIECE,
                    vat_rate=rates[vat_code],
                    price_includes_tax=True,
                    sale_price=price_incl_tax,
                    purchase_price=money.unit_price(price_incl_tax / Decimal("1.2") * _between(rng, "0.40", "0.60")),
                    eco_participation=_between(rng, *eco_range) if eco_range else Decimal("0"),
                    weight=_between(rng, *weight_range, places=3) if weight_range else None,
                    units_per_pack=rng.choice([None, 4, 6, 12]) if kind == "goods" else None,
                    ean13=ean13_with_check_digit(f"376{rng.randint(0, 999_999_999):09d}") if with_barcode else None,
                    generate_ean=kind == "goods" and not with_barcode,
                    description=f"{item} ({variant}). Sélection du Comptoir.",
                )
    _seed_price_lists(rng)
    return f"{count} produits dans {len(FAMILIES)} familles, taux de TVA 20 / 10 / 5,5 / 2,1 %, 2 tarifs"


def _seed_price_lists(rng):
    resellers = services.create_price_list(name="Revendeurs", customer_category="reseller")
    businesses = services.create_price_list(name="Entreprises — quantités", customer_category="business")
    for product in Product.objects.filter(kind="goods").order_by("pk")[:120]:
        services.set_price_list_item(price_list=resellers, product=product, min_quantity=1, discount_percent=Decimal("30"))
        services.set_price_list_item(price_list=businesses, product=product, min_quantity=10, discount_percent=Decimal("10"))
        if rng.random() < 0.3:
            services.set_price_list_item(
                price_list=businesses,
                product=product,
                min_quantity=50,
                unit_price_excl_tax=money.unit_price(product.sale_price_excl_tax * Decimal("0.8")),
            )
    return PriceList.objects.count()

"""Demo third parties: French consumers and businesses, EU businesses with valid VAT numbers,
Swiss customers, customers in the overseas departments, suppliers — with contacts, a timeline of
calls, e-mails and incidents, and tasks in everyone's agenda."""

import unicodedata
from datetime import timedelta

from django.utils import timezone
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.iso7064 import mod_11_10

from lmb.validators import siren_with_check_digit

from . import services
from .models import Address, CustomerCategory, ThirdParty, TimelineEntry

FIRST_NAMES = [
    "Marie",
    "Jean",
    "Anne",
    "Yann",
    "Gwenaëlle",
    "Erwan",
    "Sophie",
    "Pierre",
    "Nolwenn",
    "Loïc",
    "Camille",
    "Thomas",
    "Léa",
    "Hugo",
    "Manon",
    "Lucas",
    "Chloé",
    "Maël",
    "Inès",
    "Gaël",
    "Julie",
    "Antoine",
    "Elouan",
    "Margaux",
]
LAST_NAMES = [
    "Le Gall",
    "Martin",
    "Le Bihan",
    "Bernard",
    "Guillou",
    "Le Roux",
    "Thomas",
    "Morvan",
    "Petit",
    "Le Goff",
    "Robert",
    "Tanguy",
    "Richard",
    "Kerleau",
    "Durand",
    "Le Floch",
    "Dubois",
    "Quéré",
    "Moreau",
    "Jaouen",
]
FRENCH_CITIES = [
    ("35000", "Rennes"),
    ("29200", "Brest"),
    ("56100", "Lorient"),
    ("22000", "Saint-Brieuc"),
    ("29000", "Quimper"),
    ("35400", "Saint-Malo"),
    ("44000", "Nantes"),
    ("75011", "Paris"),
    ("69003", "Lyon"),
    ("33000", "Bordeaux"),
    ("13006", "Marseille"),
    ("31000", "Toulouse"),
    ("59000", "Lille"),
    ("67000", "Strasbourg"),
    ("20000", "Ajaccio"),
]
OVERSEAS_CITIES = [
    ("97110", "Pointe-à-Pitre"),
    ("97200", "Fort-de-France"),
    ("97400", "Saint-Denis"),
    ("97300", "Cayenne"),
    ("97600", "Mamoudzou"),
]
STREETS = [
    "rue de la Monnaie",
    "quai Duguay-Trouin",
    "rue Saint-Malo",
    "boulevard de la Liberté",
    "place des Lices",
    "rue du Port",
    "avenue Janvier",
    "rue de Brest",
    "chemin des Dunes",
    "rue Jean Jaurès",
]
COMPANY_WORDS = ["Atelier", "Maison", "Comptoir", "Épicerie", "Boutique", "Café", "Hôtel", "Restaurant", "Galerie", "Cave"]
COMPANY_NAMES = [
    "de l'Iroise",
    "du Port",
    "des Remparts",
    "Ker Avel",
    "de la Rance",
    "du Golfe",
    "des Halles",
    "Armor",
    "Penn Ar Bed",
    "des Lices",
    "du Marché",
    "de la Plage",
]
EU_BUSINESSES = [
    ("DE", "10115", "Berlin", "Feinkost Müller GmbH"),
    ("DE", "80331", "München", "Küchenhaus Bauer GmbH"),
    ("BE", "1000", "Bruxelles", "Maison Dupont SPRL"),
    ("BE", "4000", "Liège", "Épicerie Fine Lambert"),
    ("IT", "20121", "Milano", "Casa Bianchi Srl"),
    ("IT", "00184", "Roma", "Cucina Romana Srl"),
    ("LU", "1009", "Luxembourg", "Delikatess Schmit Sàrl"),
]
SWISS = [("1201", "Genève"), ("1003", "Lausanne"), ("8001", "Zürich")]
SUPPLIERS = [
    "Faïencerie de Quimper",
    "Biscuiterie de l'Aven",
    "Cidrerie du Val de Rance",
    "Brûlerie Armoricaine",
    "Ébénisterie Le Meur",
    "Lumières de l'Ouest",
    "Tissages de Bretagne",
    "Coutellerie Thiernoise",
    "Électroménager Distribution France",
    "Éditions Ouest Gourmand",
    "Jardins d'Armor",
    "Savonnerie de Lorient",
    "Emballages Kraft & Co",
    "Verrerie de la Loire",
    "Miellerie des Monts d'Arrée",
    "Thés du Finistère",
    "Mobilier Scandinave Import",
    "Presse Diffusion Bretagne",
    "Grès et Terres du Trégor",
    "Chouchenn Kerné",
]
SUBJECTS = {
    "call": ["Demande de disponibilité", "Relance devis", "Question sur une livraison", "Rappel du client"],
    "email": ["Confirmation de commande", "Envoi du catalogue", "Demande de facture", "Réclamation livraison"],
    "meeting": ["Rendez-vous en boutique", "Visite du showroom", "Présentation nouvelle collection"],
    "letter": ["Courrier de réclamation", "Envoi du contrat"],
    "note": ["Client fidèle, préfère être appelé le matin", "Paiement toujours à réception"],
    "incident": ["Colis endommagé", "Produit défectueux", "Erreur de préparation", "Retard de livraison"],
}


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _siren(rng):
    return siren_with_check_digit(f"{rng.randint(10_000_000, 99_999_999)}")


def _siret(siren):
    nic = "0001"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _french_vat(siren):
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def _eu_vat(rng, country):
    """A VAT number that passes the member state's checksum."""
    while True:
        if country == "DE":
            digits = f"{rng.randint(10_000_000, 99_999_999)}"
            number = "DE" + digits + mod_11_10.calc_check_digit(digits)
        elif country == "BE":
            eight = f"0{rng.randint(2_000_000, 9_999_999)}"
            number = f"BE{eight}{97 - int(eight) % 97:02d}"
        elif country == "IT":
            digits = f"{rng.randint(1_000_000, 9_999_999)}{rng.randint(1, 100):03d}"
            number = "IT" + digits + luhn.calc_check_digit(digits)
        else:  # LU
            digits = rng.randint(100_000, 999_999)
            number = f"LU{digits:06d}{digits % 89:02d}"
        if eu_vat.is_valid(number):
            return number


def _address(rng, postal_code, city, country="FR"):
    return {
        "kind": Address.Kind.BILLING,
        "line1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        "postal_code": postal_code,
        "city": city,
        "country": country,
    }


def _phone(rng, prefix="02"):
    return f"{prefix} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def _customers(rng):
    """150 customers: French consumers and businesses, EU businesses, Swiss, overseas."""
    for index in range(70):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        postal_code, city = rng.choice(FRENCH_CITIES)
        yield {
            "kind": ThirdParty.Kind.INDIVIDUAL,
            "first_name": first,
            "last_name": last,
            "civility": rng.choice(["M.", "Mme"]),
            "customer_category": CustomerCategory.CONSUMER,
            "email": f"{_ascii(first)}.{_ascii(last)}{index}@exemple.fr",
            "mobile": _phone(rng, "06"),
            "payment_terms": "on_receipt",
            "addresses": [_address(rng, postal_code, city)],
        }
    for index in range(45):
        siren = _siren(rng)
        postal_code, city = rng.choice(FRENCH_CITIES)
        category = rng.choice([CustomerCategory.BUSINESS] * 5 + [CustomerCategory.RESELLER] * 2 + [CustomerCategory.PUBLIC])
        name = (
            f"Mairie de {city}"
            if category == CustomerCategory.PUBLIC
            else f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {index + 1}"
        )
        yield {
            "kind": ThirdParty.Kind.COMPANY,
            "name": name,
            "legal_form": "" if category == CustomerCategory.PUBLIC else rng.choice(["SARL", "SAS", "EURL"]),
            "customer_category": category,
            "siren": siren,
            "siret": _siret(siren),
            "vat_number": _french_vat(siren),
            "email": f"contact{index}@entreprise-exemple.fr",
            "phone": _phone(rng),
            "payment_terms": rng.choice(["net_30", "eom_45", "net_60"]),
            "addresses": [_address(rng, postal_code, city)],
            "contacts": [
                {
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": rng.choice(LAST_NAMES),
                    "job_title": "Achats",
                    "email": f"achats{index}@entreprise-exemple.fr",
                    "is_primary": True,
                }
            ],
        }
    for index in range(14):
        country, postal_code, city, name = EU_BUSINESSES[index % len(EU_BUSINESSES)]
        yield {
            "kind": ThirdParty.Kind.COMPANY,
            "name": f"{name}{' ' + str(index // len(EU_BUSINESSES) + 1) if index >= len(EU_BUSINESSES) else ''}",
            "customer_category": CustomerCategory.BUSINESS,
            "vat_number": _eu_vat(rng, country),
            "email": f"orders{index}@example.eu",
            "payment_terms": "net_30",
            "addresses": [_address(rng, postal_code, city, country)],
        }
    for index in range(9):
        postal_code, city = SWISS[index % len(SWISS)]
        is_business = index % 3 == 0
        yield {
            "kind": ThirdParty.Kind.COMPANY if is_business else ThirdParty.Kind.INDIVIDUAL,
            "name": f"Épicerie Suisse {city} SA" if is_business else "",
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "customer_category": CustomerCategory.BUSINESS if is_business else CustomerCategory.CONSUMER,
            "email": f"client{index}@exemple.ch",
            "payment_terms": "on_receipt",
            "addresses": [_address(rng, postal_code, city, "CH")],
        }
    for index in range(12):
        postal_code, city = OVERSEAS_CITIES[index % len(OVERSEAS_CITIES)]
        yield {
            "kind": ThirdParty.Kind.INDIVIDUAL,
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "customer_category": CustomerCategory.CONSUMER,
            "email": f"client{index}@exemple-outremer.fr",
            "mobile": _phone(rng, "06"),
            "payment_terms": "on_receipt",
            "addresses": [_address(rng, postal_code, city)],
        }


def _suppliers(rng):
    for index, name in enumerate(SUPPLIERS):
        siren = _siren(rng)
        postal_code, city = rng.choice(FRENCH_CITIES)
        yield {
            "kind": ThirdParty.Kind.COMPANY,
            "name": name,
            "legal_form": rng.choice(["SARL", "SAS", "SA"]),
            "is_customer": False,
            "is_supplier": True,
            "customer_category": CustomerCategory.BUSINESS,
            "siren": siren,
            "siret": _siret(siren),
            "vat_number": _french_vat(siren),
            "email": f"commandes{index}@fournisseur-exemple.fr",
            "phone": _phone(rng),
            "payment_terms": "net_30",
            "addresses": [_address(rng, postal_code, city)],
            "contacts": [
                {
                    "first_name": rng.choice(FIRST_NAMES),
                    "last_name": rng.choice(LAST_NAMES),
                    "job_title": "Commercial",
                    "email": f"commercial{index}@fournisseur-exemple.fr",
                    "is_primary": True,
                }
            ],
        }


def _timeline(rng, third_parties, users):
    now = timezone.now()
    authors = list(users.values())
    count = 0
    for third_party in rng.sample(third_parties, 110):
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(["call", "call", "email", "email", "meeting", "letter", "note", "incident"])
            entry = services.log_interaction(
                third_party=third_party,
                kind=kind,
                subject=rng.choice(SUBJECTS[kind]),
                body="Échange noté par l'équipe du Comptoir.",
                author=rng.choice(authors),
                occurred_at=now - timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 9)),
                direction=rng.choice(["in", "out"]) if kind in ("call", "email", "letter") else "",
            )
            count += 1
            if kind == "incident" and rng.random() < 0.6:
                services.change_incident_status(
                    entry,
                    status=rng.choice([TimelineEntry.IncidentStatus.IN_PROGRESS, TimelineEntry.IncidentStatus.CLOSED]),
                    author=rng.choice(authors),
                )
    return count


def _tasks(rng, third_parties, users):
    today = timezone.localdate()
    titles = [
        "Rappeler pour le devis",
        "Envoyer le catalogue",
        "Relancer le paiement",
        "Préparer la commande",
        "Confirmer le rendez-vous",
        "Vérifier le stock avant livraison",
    ]
    count = 0
    for user in users.values():
        for _ in range(6):
            services.create_task(
                title=rng.choice(titles),
                assignee=user,
                created_by=user,
                third_party=rng.choice(third_parties),
                due_date=today + timedelta(days=rng.randint(-3, 10)),
                priority=rng.choice(["normal", "normal", "high"]),
            )
            count += 1
    return count


def seed_third_parties(context):
    rng = context["random"]
    customers = [services.create_third_party(**data) for data in _customers(rng)]
    suppliers = [services.create_third_party(**data) for data in _suppliers(rng)]
    context["customers"], context["suppliers"] = customers, suppliers
    entries = _timeline(rng, customers + suppliers, context["users"])
    tasks = _tasks(rng, customers, context["users"])
    return (
        f"{len(customers)} clients (France, UE, Suisse, outre-mer), {len(suppliers)} fournisseurs, "
        f"{entries} échanges, {tasks} tâches"
    )

"""The kernel's demo step: the company identity and one user per role."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from . import roles, services

DEMO_PASSWORD = "demo-lmb-2026"
# (username, what the README prints, roles, superuser)
DEMO_USERS = [
    ("admin", "administrateur (tous les droits)", [roles.ADMINISTRATOR], True),
    ("ventes", "ventes", [roles.SALES], False),
    ("entrepot", "entrepôt", [roles.WAREHOUSE], False),
    ("compta", "comptable", [roles.ACCOUNTANT], False),
    ("sav", "service client", [roles.CUSTOMER_SERVICE], False),
]
NAMES = {
    "admin": ("Claire", "Le Goff"),
    "ventes": ("Yann", "Morvan"),
    "entrepot": ("Mathis", "Guillou"),
    "compta": ("Sophie", "Riou"),
    "sav": ("Nolwenn", "Tanguy"),
}


def seed_company_and_users(context):
    services.save_company(
        name="Au Comptoir Breton",
        trade_name="Le Comptoir",
        legal_form="SARL",
        share_capital="20000.00",
        siren="902114305",
        siret="90211430500011",
        rcs_city="Rennes",
        vat_number="FR53902114305",
        address_line1="12 quai Duguay-Trouin",
        postal_code="35000",
        city="Rennes",
        country="FR",
        phone="02 99 00 00 00",
        email="contact@comptoir-breton.example",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        default_payment_terms="net_30",
        late_penalty_rate="12.150",
    )
    user_model = get_user_model()
    users = {}
    for username, _label, role_names, superuser in DEMO_USERS:
        first_name, last_name = NAMES[username]
        user = user_model.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@comptoir-breton.example",
            is_staff=superuser,
            is_superuser=superuser,
        )
        user.groups.set(Group.objects.filter(name__in=role_names))
        users[username] = user
    context["users"] = users
    return f"entreprise « Au Comptoir Breton » et {len(users)} utilisateurs (un par rôle)"

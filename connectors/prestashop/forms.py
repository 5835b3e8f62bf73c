"""The shop's settings screen. Mappings are typed one per line, ``PrestaShop id = LMB value``;
the form reads the lines (naming the line at fault), the service checks the values."""

from django import forms
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lmb.forms import Form
from sales.models import PaymentMethod
from stock.models import Warehouse

from .models import ShopChannel
from .services import STATE_ACTIONS

STATE_LABELS = {
    "shipped": gettext_lazy("État PrestaShop « expédiée »"),
    "invoiced": gettext_lazy("État PrestaShop « facturée »"),
    "cancelled": gettext_lazy("État PrestaShop « annulée »"),
    "refunded": gettext_lazy("État PrestaShop « remboursée »"),
}
STATE_HELP = {
    "shipped": gettext_lazy("Posé sur la commande quand LMB expédie son bon de livraison (id, 4 par défaut)."),
    "invoiced": gettext_lazy("Posé quand LMB émet la facture ; vide : rien n'est envoyé."),
    "cancelled": gettext_lazy("Posé quand LMB annule la commande ; lu sur la boutique, il annule la commande LMB."),
    "refunded": gettext_lazy("Posé quand LMB émet un avoir sur la facture."),
}
MAPPING_ROWS = {"rows": 3, "class": "font-monospace"}


def mapping_text(mapping: dict) -> str:
    return "\n".join(f"{key} = {value}" for key, value in (mapping or {}).items())


class MappingField(forms.CharField):
    """Lines ``key = value`` → a dict; a line without "=" or with an empty side is refused, named."""

    widget = forms.Textarea(attrs=MAPPING_ROWS)

    def __init__(self, *, key_label, **kwargs):
        self.key_label = key_label
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value):
        mapping = {}
        for number, line in enumerate((super().to_python(value) or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, sign, target = (part.strip() for part in line.partition("="))
            if not sign or not key or not target:
                raise forms.ValidationError(
                    _("Ligne %(number)s (« %(line)s ») : écrivez « %(key)s = valeur ».")
                    % {"number": number, "line": line.strip(), "key": self.key_label}
                )
            if key in mapping:
                raise forms.ValidationError(
                    _("Ligne %(number)s : « %(key)s » est déjà associé.") % {"number": number, "key": key}
                )
            mapping[key] = target
        return mapping


class ChannelForm(Form):
    """Create (with the key required) or edit (an empty key keeps the stored one) a shop."""

    name = forms.CharField(
        label=gettext_lazy("Nom"),
        max_length=50,
        help_text=gettext_lazy("Lettres, chiffres et tirets ; il forme l'adresse du webhook donnée au module."),
    )
    base_url = forms.CharField(
        label=gettext_lazy("Adresse de la boutique"),
        max_length=200,
        help_text=gettext_lazy("La racine de la boutique, par exemple https://boutique.example.fr (sans /api/)."),
        widget=forms.URLInput,
    )
    api_key = forms.CharField(
        label=gettext_lazy("Clé du webservice"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Les 32 caractères créés dans PrestaShop > Paramètres avancés > Webservice."),
    )
    id_shop = forms.IntegerField(
        label=gettext_lazy("Numéro de boutique (multiboutique)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("En multiboutique seulement : l'identifiant (id_shop) de la boutique à lire."),
    )
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Dépôt d'expédition"),
        queryset=Warehouse.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("Dépôt par défaut"),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active (webhooks, synchronisation, envois)"), required=False, initial=True)
    unknown_products = forms.ChoiceField(
        label=gettext_lazy("Produit ou déclinaison inconnu de LMB"),
        choices=ShopChannel.UnknownProducts.choices,
        initial=ShopChannel.UnknownProducts.CREATE,
        required=False,  # not sent: the shop's current choice (a new shop: create)
        help_text=gettext_lazy(
            "Une commande vend un produit (ou une déclinaison : taille, couleur…) qu'aucun produit LMB ne porte, "
            "ni par sa référence ni par son EAN : le créer depuis la boutique, ou refuser la commande."
        ),
    )
    merge_customers_by_email = forms.BooleanField(
        label=gettext_lazy("Un client LMB par adresse e-mail"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Les commandes en invité d'une même adresse e-mail (un client PrestaShop chacune) vont à un seul client LMB."
        ),
    )
    paid_states = forms.CharField(
        label=gettext_lazy("États payés"),
        required=False,
        help_text=gettext_lazy("id d'états séparés par des virgules : une commande importée dans l'un d'eux a son acompte."),
    )
    payment_methods = MappingField(
        label=gettext_lazy("Modules de paiement"),
        key_label=gettext_lazy("module"),
        help_text=format_lazy(
            gettext_lazy("« module = mode de règlement » par ligne, modes : {modes}. Un module non listé : carte bancaire."),
            modes=lazy(lambda: ", ".join(str(label) for label in PaymentMethod.labels), str)(),
        ),
    )
    currencies = MappingField(
        label=gettext_lazy("Devises"),
        key_label=gettext_lazy("id"),
        help_text=gettext_lazy("« id de devise PrestaShop = code ISO » par ligne, par exemple 1 = EUR."),
    )
    carriers = MappingField(
        label=gettext_lazy("Transporteurs"),
        key_label=gettext_lazy("id"),
        help_text=gettext_lazy(
            "« id de transporteur PrestaShop = transporteur LMB » par ligne : le nom porté sur la ligne de port."
        ),
    )
    tax_rules = MappingField(
        label=gettext_lazy("Règles de taxes"),
        key_label=gettext_lazy("id"),
        help_text=gettext_lazy(
            "« id de groupe de règles de taxes PrestaShop = code du taux français LMB » par ligne (1 = FR-20), "
            "valable pour tous les pays : hors de France, le taux attendu suit la vente (0 % à l'export, "
            "taux du pays de livraison avec l'OSS). Sans association, le taux est déduit des prix."
        ),
    )

    def __init__(self, *args, channel=None, **kwargs):
        self.channel = channel
        if channel is not None:
            kwargs.setdefault("initial", self.initial_of(channel))
        super().__init__(*args, **kwargs)
        fields = list(self.fields.items())
        position = [name for name, _field in fields].index("paid_states")
        states = [(f"state_{action}", self.state_field(action)) for action in STATE_ACTIONS]
        self.fields = dict(fields[:position] + states + fields[position:])
        if channel is None:
            self.fields["api_key"].required = True
            del self.fields["is_active"]
        else:
            self.fields["api_key"].help_text = _(
                "Clé enregistrée : …%(hint)s. Laissez vide pour la garder ; si vous changez l'adresse de la boutique, retapez-la."
            ) % {"hint": channel.api_key_hint}

    @staticmethod
    def state_field(action):
        return forms.CharField(label=STATE_LABELS[action], help_text=STATE_HELP[action], required=False, max_length=10)

    @staticmethod
    def initial_of(channel) -> dict:
        return {
            "name": channel.name,
            "base_url": channel.base_url,
            "id_shop": channel.id_shop,
            "warehouse": channel.warehouse,
            "is_active": channel.is_active,
            "unknown_products": channel.unknown_products,
            "merge_customers_by_email": channel.merge_customers_by_email,
            **{f"state_{action}": (channel.states or {}).get(action, "") for action in STATE_ACTIONS},
            "paid_states": ", ".join(channel.paid_states or []),
            "payment_methods": mapping_text(dict(channel.payment_methods_display)),
            "currencies": mapping_text(channel.currencies),
            "carriers": mapping_text(channel.carriers),
            "tax_rules": mapping_text(channel.tax_rules),
        }

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        states = {action: data.pop(f"state_{action}") for action in STATE_ACTIONS}
        data["paid_states"] = [part.strip() for part in data["paid_states"].split(",") if part.strip()]
        return {**data, "states": states}

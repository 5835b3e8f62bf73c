"""What an analysis asks for, checked: mode, measures, one to three levels, filters, a period
and a comparison. ``parse`` takes a plain mapping (query parameters, a form, a saved analysis'
JSON) and returns a ``Spec``, or raises ``InvalidInput`` with a French message naming the field.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lmb.errors import InvalidInput
from lmb.formats import decimal_fr

MODES = {
    "sales": gettext_lazy("Ventes (factures et avoirs)"),
    "orders": gettext_lazy("Commandes"),
    "purchases": gettext_lazy("Achats"),
}

MEASURES = {
    "quantity": gettext_lazy("Quantité"),
    "net": gettext_lazy("CA HT"),
    "vat": gettext_lazy("TVA"),
    "gross": gettext_lazy("CA TTC"),
    "cost": gettext_lazy("Coût de revient"),
    "margin": gettext_lazy("Marge"),
    "margin_rate": gettext_lazy("Taux de marge (%)"),
    "documents": gettext_lazy("Nombre de documents"),
    "basket": gettext_lazy("Panier moyen HT"),
    "quantity_received": gettext_lazy("Quantité reçue"),
    "net_purchases": gettext_lazy("Achats HT"),
}
MEASURES_OF = {
    "sales": ("quantity", "net", "vat", "gross", "cost", "margin", "margin_rate", "documents", "basket"),
    "orders": ("quantity", "net", "vat", "gross", "documents", "basket"),
    "purchases": ("quantity_received", "net_purchases", "documents"),
}
DEFAULT_MEASURES = {"sales": ("net", "quantity"), "orders": ("net", "quantity"), "purchases": ("net_purchases",)}

PERIOD_LEVELS = ("day", "week", "month", "quarter", "year")
LEVELS = {
    "day": gettext_lazy("Jour"),
    "week": gettext_lazy("Semaine"),
    "month": gettext_lazy("Mois"),
    "quarter": gettext_lazy("Trimestre"),
    "year": gettext_lazy("Année"),
    "product": gettext_lazy("Article"),
    "category": gettext_lazy("Catégorie"),
    "customer": gettext_lazy("Client"),
    "customer_category": gettext_lazy("Catégorie de client"),
    "customer_kind": gettext_lazy("Type de client"),
    "country": gettext_lazy("Pays"),
    "channel": gettext_lazy("Canal de vente"),
    "sales_rep": gettext_lazy("Commercial"),
    "supplier": gettext_lazy("Fournisseur"),
    "warehouse": gettext_lazy("Dépôt"),
    "vat_treatment": gettext_lazy("Régime de TVA"),
}
PURCHASE_LEVELS = (*PERIOD_LEVELS, "product", "category", "supplier", "warehouse")
LEVELS_OF = {"sales": tuple(LEVELS), "orders": tuple(LEVELS), "purchases": PURCHASE_LEVELS}
FILTERABLE = tuple(level for level in LEVELS if level not in PERIOD_LEVELS)

# Periods that move with the calendar: a saved analysis of « l'année en cours » opened in March
# shows January to March. The dates are computed from today when the analysis is run.
PERIODS = {
    "today": gettext_lazy("Aujourd'hui"),
    "this_week": gettext_lazy("Semaine en cours"),
    "this_month": gettext_lazy("Mois en cours"),
    "last_month": gettext_lazy("Mois dernier"),
    "this_quarter": gettext_lazy("Trimestre en cours"),
    "this_year": gettext_lazy("Année en cours"),
    "last_year": gettext_lazy("Année dernière"),
    "last_12_months": gettext_lazy("12 derniers mois"),
}


def period_dates(period: str, today: date) -> tuple[date, date]:
    """The dates of a moving period on ``today`` (the current ones up to today)."""
    month_start = today.replace(day=1)
    match period:
        case "this_week":
            return today - timedelta(days=today.weekday()), today
        case "this_month":
            return month_start, today
        case "last_month":
            return add_months(month_start, -1), month_start - timedelta(days=1)
        case "this_quarter":
            return date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
        case "this_year":
            return date(today.year, 1, 1), today
        case "last_year":
            return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
        case "last_12_months":
            return add_months(month_start, -11), today
    return today, today


COMPARISONS = {
    "none": gettext_lazy("Aucune"),
    "previous": gettext_lazy("Période précédente"),
    "last_year": gettext_lazy("Même période l'an dernier"),
}
MAX_LEVELS = 3
MAX_DEPTH = 10
MAX_FILTER_VALUES = 200
MAX_DAYS = 366 * 20
SCREEN_LIMIT = 50  # rows per level on the screen, the rest in one « Autres (n) » row
API_LIMIT = 50  # the API's default ``limit``
MAX_LIMIT = 200  # the API's largest ``limit`` (the exports give every row)


@dataclass(frozen=True)
class Spec:
    mode: str
    measures: tuple[str, ...]
    levels: tuple[str, ...]
    start: date
    end: date
    filters: dict = field(default_factory=dict)  # level → tuple of values (ids or codes, as strings)
    compare: str = "none"
    category_depth: int = 0
    period: str = ""  # a moving period (PERIODS) the dates were computed from, else fixed dates

    def as_dict(self) -> dict:
        return {
            "period": self.period,
            "mode": self.mode,
            "measures": list(self.measures),
            "levels": list(self.levels),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "filters": {level: list(values) for level, values in self.filters.items()},
            "compare": self.compare,
            "category_depth": self.category_depth,
        }

    def comparison_period(self) -> tuple[date, date] | None:
        """The period compared with: the one just before, of the same length (whole months when the
        period is whole months), or the same dates a year earlier."""
        months = whole_months(self.start, self.end)
        if self.compare == "previous":
            if months:
                return add_months(self.start, -months), add_months(self.end + timedelta(days=1), -months) - timedelta(days=1)
            length = self.end - self.start + timedelta(days=1)
            return self.start - length, self.end - length
        if self.compare == "last_year":
            if months:  # February 2025 → the whole of February 2024, its 29th included
                return add_years(self.start, -1), add_years(self.end + timedelta(days=1), -1) - timedelta(days=1)
            return add_years(self.start, -1), add_years(self.end, -1)
        return None


def whole_months(start: date, end: date) -> int:
    """How many months [start, end] spans when it runs from a 1st to a month's last day, else 0."""
    after = end + timedelta(days=1)
    if start.day != 1 or after.day != 1:
        return 0
    return (after.year - start.year) * 12 + after.month - start.month


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            out.extend(_as_list(item) if isinstance(item, str) else [str(item)])
        return out
    return [str(value)]


def _many(data, name: str):
    """A list parameter: repeated (``?levels=month&levels=product``) or comma-separated."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    return data.get(name)


def _date(data, name: str, label: str) -> date:
    value = data.get(name)
    if value in (None, ""):
        raise InvalidInput({name: [_("Indiquez la date de %(what)s.") % {"what": label}]})
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(
            {name: [_("La date de %(what)s n'est pas une date (AAAA-MM-JJ attendu).") % {"what": label}]}
        ) from None


def parse(data) -> Spec:
    """Check an analysis' parameters. ``data`` is a mapping; list values may be lists or
    comma-separated strings; filters come as ``filters`` {level: values} or ``filter_<level>``."""
    errors: dict[str, list[str]] = {}
    get = data.get

    mode = str(get("mode") or "sales")
    if mode not in MODES:
        raise InvalidInput(
            {
                "mode": [
                    _("Mode inconnu « %(value)s » : ventes (sales), commandes (orders) ou achats (purchases).")
                    % {"value": mode[:40]}
                ]
            }
        )

    measures = _as_list(_many(data, "measures")) or list(DEFAULT_MEASURES[mode])
    unknown = [m for m in measures if m not in MEASURES_OF[mode]]
    if unknown:
        errors["measures"] = [
            _("Mesure inconnue en mode %(mode)s : « %(value)s ». Mesures possibles : %(allowed)s.")
            % {"mode": MODES[mode], "value": unknown[0][:40], "allowed": ", ".join(MEASURES_OF[mode])}
        ]
    measures = list(dict.fromkeys(measures))

    levels = _as_list(_many(data, "levels"))
    if not levels:
        errors["levels"] = [_("Choisissez au moins un niveau d'analyse.")]
    elif len(levels) > MAX_LEVELS:
        errors["levels"] = [_("Trois niveaux d'analyse au plus (%(count)s demandés).") % {"count": len(levels)}]
    else:
        unknown = [level for level in levels if level not in LEVELS_OF[mode]]
        if unknown:
            errors["levels"] = [
                _("Niveau d'analyse inconnu en mode %(mode)s : « %(value)s ». Niveaux possibles : %(allowed)s.")
                % {"mode": MODES[mode], "value": unknown[0][:40], "allowed": ", ".join(LEVELS_OF[mode])}
            ]
        elif len(set(levels)) != len(levels):
            errors["levels"] = [_("Un niveau d'analyse ne peut être choisi deux fois.")]

    period = str(get("period") or "")
    start = end = None
    if period and period not in PERIODS:
        errors["period"] = [
            _("Période inconnue « %(value)s ». Périodes possibles : %(allowed)s.")
            % {"value": period[:40], "allowed": ", ".join(PERIODS)}
        ]
    elif period:  # the dates given, if any, are those of an earlier day: today's are computed
        start, end = period_dates(period, timezone.localdate())
    else:
        try:
            start = _date(data, "start", _("début"))
        except InvalidInput as exc:
            errors.update(exc.errors)
        try:
            end = _date(data, "end", _("fin"))
        except InvalidInput as exc:
            errors.update(exc.errors)
    if start and end:
        if end < start:
            errors["end"] = [
                _("La fin de la période (%(end)s) précède son début (%(start)s).")
                % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")}
            ]
        elif start.year < 1901 or end.year > 9998:
            errors["start" if start.year < 1901 else "end"] = [_("Choisissez une date entre 1901 et 9998.")]
        elif (end - start).days > MAX_DAYS:
            errors["end"] = [_("La période ne peut dépasser vingt ans.")]

    compare = str(get("compare") or "none")
    if compare not in COMPARISONS:
        errors["compare"] = [_("Comparaison inconnue « %(value)s » : none, previous ou last_year.") % {"value": compare[:40]}]

    depth_text = get("category_depth")
    depth = 0
    if depth_text not in (None, ""):
        try:
            depth = int(str(depth_text))
            if not 0 <= depth <= MAX_DEPTH:
                raise ValueError
        except ValueError:
            errors["category_depth"] = [_("La profondeur de catégorie est un nombre entier de 0 à %(max)s.") % {"max": MAX_DEPTH}]

    filters = {}
    raw_filters = dict(get("filters") or {}) if isinstance(get("filters"), dict) else {}
    for key in list(data.keys()):
        if isinstance(key, str) and key.startswith("filter_"):
            raw_filters[key.removeprefix("filter_")] = data.get(key) if not hasattr(data, "getlist") else data.getlist(key)
    if get("filters") not in (None, "", {}) and not isinstance(get("filters"), dict):
        errors["filters"] = [_("Les filtres sont un objet {niveau: [valeurs]}.")]
    for level, values in raw_filters.items():
        name = f"filter_{level}"
        if level not in FILTERABLE or level not in LEVELS_OF[mode]:
            errors[name] = [
                _("On ne filtre pas sur « %(value)s » en mode %(mode)s.") % {"value": str(level)[:40], "mode": MODES[mode]}
            ]
            continue
        values = _as_list(values)
        if len(values) > MAX_FILTER_VALUES:
            errors[name] = [_("Au plus %(max)s valeurs par filtre.") % {"max": MAX_FILTER_VALUES}]
            continue
        if level in ID_LEVELS and any(not value.isdigit() or len(value) > 18 for value in values):
            errors[name] = [_("Le filtre « %(level)s » attend des identifiants (nombres entiers).") % {"level": LEVELS[level]}]
            continue
        if any(len(value) > 40 or "\x00" in value for value in values):
            errors[name] = [_("Valeur de filtre trop longue ou invalide.")]
            continue
        if values:
            filters[level] = tuple(values)

    if errors:
        raise InvalidInput(errors)
    return Spec(
        mode=mode,
        measures=tuple(measures),
        levels=tuple(levels),
        start=start,
        end=end,
        filters=filters,
        compare=compare,
        category_depth=depth,
        period=period,
    )


def parse_limit(data, *, default: int = API_LIMIT) -> int:
    """The ``limit`` parameter (rows per level, the rest summed into « Autres »): 1 to ``MAX_LIMIT``."""
    text = data.get("limit")
    if text in (None, ""):
        return default
    try:
        value = int(str(text).strip())
        if not 1 <= value <= MAX_LIMIT:
            raise ValueError
    except ValueError:
        message = _("La limite (lignes par niveau) est un nombre entier de 1 à %(max)s.") % {"max": decimal_fr(MAX_LIMIT, 0)}
        raise InvalidInput({"limit": [message]}) from None
    return value


# Levels whose values are primary keys (the others are codes: a country, a VAT treatment…).
ID_LEVELS = ("product", "category", "customer", "channel", "sales_rep", "supplier", "warehouse")

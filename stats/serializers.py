"""Serializers of the stats API: the analysis' query parameters (documented; checked by
``stats.spec.parse``, whose French messages name the parameter), its answer, saved analyses."""

from rest_framework import serializers

from lmb.api import ModelSerializer, Serializer

from . import spec as specs
from .models import SavedAnalysis


def _choices(mapping) -> list:
    return [(key, str(label)) for key, label in mapping.items()]


class AnalysisParametersSerializer(Serializer):
    """``GET /api/v1/stats/analysis/``'s parameters."""

    mode = serializers.ChoiceField(choices=_choices(specs.MODES), required=False, help_text="Mode (ventes par défaut).")
    measures = serializers.CharField(
        required=False,
        max_length=300,
        help_text="Mesures séparées par des virgules : " + ", ".join(specs.MEASURES) + " (selon le mode).",
    )
    levels = serializers.CharField(
        max_length=200, help_text="Un à trois niveaux séparés par des virgules : " + ", ".join(specs.LEVELS) + "."
    )
    period = serializers.ChoiceField(
        choices=_choices(specs.PERIODS),
        required=False,
        help_text="Période glissante, calculée à partir d'aujourd'hui (remplace start et end) : une analyse "
        "enregistrée ainsi se rouvre sur les dates du jour.",
    )
    start = serializers.DateField(required=False, help_text="Début de la période (AAAA-MM-JJ), sans ``period``.")
    end = serializers.DateField(required=False, help_text="Fin de la période (incluse), sans ``period``.")
    compare = serializers.ChoiceField(choices=_choices(specs.COMPARISONS), required=False)
    category_depth = serializers.IntegerField(
        required=False, min_value=0, max_value=specs.MAX_DEPTH, help_text="Profondeur de l'arbre des catégories (0 : racines)."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=specs.MAX_LIMIT,
        help_text=f"Lignes par niveau (sous chaque ligne) : les plus grandes selon la première mesure, le reste "
        f"additionné en une ligne « Autres (n) » (``others`` = n, ``key`` nul ; nombre de documents et panier "
        f"moyen nuls), de sorte que sous-totaux et total restent exacts. Les périodes ne sont jamais coupées. "
        f"{specs.API_LIMIT} par défaut, {specs.MAX_LIMIT} au plus ; les exports xlsx/ods donnent toutes les lignes.",
    )


class LimitSerializer(Serializer):
    """The ``limit`` parameter of a saved analysis' ``run``."""

    limit = AnalysisParametersSerializer._declared_fields["limit"]


for _level in specs.FILTERABLE:
    AnalysisParametersSerializer._declared_fields[f"filter_{_level}"] = serializers.CharField(
        required=False,
        max_length=2000,
        help_text=f"Filtre sur « {specs.LEVELS[_level]} » : valeurs séparées par des virgules"
        + (" (identifiants)." if _level in specs.ID_LEVELS else " (codes)."),
    )


class ColumnSerializer(Serializer):
    measure = serializers.CharField()
    label = serializers.CharField()


class LevelSerializer(Serializer):
    level = serializers.CharField()
    label = serializers.CharField()


class PeriodSerializer(Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class AnalysisSerializer(Serializer):
    """The answer: ``rows`` nested (``children``), each with ``level``, ``key``, ``label``,
    ``values`` {measure: decimal as a string, or an integer for ``documents``, null for a ratio
    of nothing} and ``compare`` (the same for the compared period, when one is asked); beyond
    ``limit`` rows under a row, one « Autres (n) » row with ``others`` = n sums the rest."""

    spec = serializers.JSONField(help_text="Les paramètres retenus.")
    columns = ColumnSerializer(many=True)
    levels = LevelSerializer(many=True)
    total = serializers.JSONField(help_text="Total général {mesure: valeur}.")
    rows = serializers.JSONField(help_text="Lignes imbriquées avec leurs sous-totaux.")
    total_compare = serializers.JSONField(required=False, help_text="Total de la période comparée.")
    compare_period = PeriodSerializer(required=False)


class SavedAnalysisSerializer(ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    spec = serializers.JSONField(help_text="Les paramètres de l'analyse, comme ceux de GET /api/v1/stats/analysis/.")

    class Meta:
        model = SavedAnalysis
        fields = ["id", "name", "owner", "shared", "spec", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]

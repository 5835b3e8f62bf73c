"""The analysis form of the back office: the same parameters as the API (``stats.spec``), with
the levels as three drop-downs."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lmb.forms import Form

from . import spec as specs

LEVEL_CHOICES = [("", "—")] + [(key, str(label)) for key, label in specs.LEVELS.items()]


class AnalysisForm(Form):
    mode = forms.ChoiceField(label=_("Analyser"), choices=[(k, str(v)) for k, v in specs.MODES.items()], required=False)
    level1 = forms.ChoiceField(label=_("Niveau 1"), choices=LEVEL_CHOICES, required=False)
    level2 = forms.ChoiceField(label=_("Niveau 2"), choices=LEVEL_CHOICES, required=False)
    level3 = forms.ChoiceField(label=_("Niveau 3"), choices=LEVEL_CHOICES, required=False)
    category_depth = forms.IntegerField(
        label=_("Profondeur des catégories"), min_value=0, max_value=specs.MAX_DEPTH, required=False
    )
    period = forms.ChoiceField(
        label=_("Période"),
        choices=[("", _("Dates choisies"))] + [(key, str(label)) for key, label in specs.PERIODS.items()],
        required=False,
        help_text=_("Une période glissante se rouvre sur les dates du jour."),
    )
    start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), required=False)
    end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), required=False)
    compare = forms.ChoiceField(
        label=_("Comparer avec"), choices=[(k, str(v)) for k, v in specs.COMPARISONS.items()], required=False
    )
    measures = forms.MultipleChoiceField(
        label=_("Mesures"),
        choices=[(k, str(v)) for k, v in specs.MEASURES.items()],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )


class SaveAnalysisForm(Form):
    name = forms.CharField(label=_("Nom"), max_length=100)
    shared = forms.BooleanField(label=_("Partager avec les autres utilisateurs"), required=False)

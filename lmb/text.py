"""What text LMB accepts, and what it writes into XML.

A control character (BEL U+0007, a NUL, an escape sequence pasted from a terminal…) is invisible on
screen, means nothing on a legal document, and XML 1.0 forbids most of them: copied from a
customer's name onto an issued invoice, one would make its Factur-X impossible to build. So every
text field refuses them at the input — forms (``lmb.forms``), the API (``lmb.api``), imports
(through the forms) and services (``lmb.services.validate``, which connector payloads go through).
A text typed on several lines (a text area, a model ``TextField``) keeps its tabs and line breaks;
a single-line text (a name, a reference: a ``CharField``) refuses those too (they would break
the one-line places it is printed in, and the tab-separated FEC).

What was stored before these rules still has to print: ``xml_text`` drops what XML cannot carry.

A text longer than its column is refused with a message naming the field, never cut to fit in
silence (``require_max_length`` where a service moves a text into a column of its own).
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import InvalidInput
from .formats import decimal_fr

# C0 controls, DEL, C1 controls, and the two non-characters U+FFFE and U+FFFF.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"
_IN_SINGLE_LINE = re.compile(f"[{_CONTROL}\t\n\r]")
_IN_MULTILINE = re.compile(f"[{_CONTROL}]")
# What XML 1.0 cannot carry at all (its Char production), surrogates included.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_NAMES = {"\t": gettext_lazy("une tabulation"), "\n": gettext_lazy("un saut de ligne"), "\r": gettext_lazy("un retour chariot")}


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` a text field refuses, or None."""
    found = (_IN_MULTILINE if multiline else _IN_SINGLE_LINE).search(value)
    return found.group() if found else None


def _described(character: str) -> str:
    return str(_NAMES.get(character) or _("un caractère de contrôle invisible (U+%(code)04X)") % {"code": ord(character)})


def capitalized(text) -> str:
    """``text`` (a field's label, a lazy translation…) with its first letter capital, as it starts
    a message: « prix de vente » → « Prix de vente »; the rest as it is (« TVA », « e-mail »)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def refusal(character: str, label: str = "") -> str:
    """The message: « Ce texte contient … », or « Nom : ce texte contient … » with the field's label."""
    message = _("ce texte contient %(character)s : retirez-le.") % {"character": _described(character)}
    return f"{capitalized(label)} : {message}" if label else capitalized(message)


def validate_single_line(value):
    """Validator of a one-line text: no control character, no tab or line break."""
    if isinstance(value, str) and (character := control_character(value)):
        raise ValidationError(refusal(character), code="control_character")


def validate_multiline(value):
    """Validator of a text area: no control character; tabs and line breaks are fine."""
    if isinstance(value, str) and (character := control_character(value, multiline=True)):
        raise ValidationError(refusal(character), code="control_character")


def model_text_errors(instance, exclude=()) -> dict[str, list[str]]:
    """The text fields of a model instance that hold a character they refuse: {field: [message]}.
    ``TextField``s take several lines, other ``CharField``s one."""
    errors = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or not isinstance(field, models.CharField | models.TextField):
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str) and (character := control_character(value, multiline=isinstance(field, models.TextField))):
            errors[field.name] = [refusal(character, field.verbose_name)]
    return errors


def printable(value: str) -> str:
    """``value`` without its control characters (tabs and line breaks kept): what a PDF prints."""
    return _IN_MULTILINE.sub("", value)


def xml_text(value) -> str:
    """``value`` as text XML 1.0 can carry: the characters it forbids are dropped (they were never
    visible). For data stored before LMB refused them at the input."""
    return _NOT_XML.sub("", str(value))


def check_fields(instance, *names: str):
    """LMB's text rules on some fields of a model instance a service saves without ``full_clean``
    (a hot path): no control character, no more characters than the column holds. Refused naming
    the field, never cut."""
    errors = {}
    for name in names:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        if not isinstance(value, str):
            continue
        if character := control_character(value, multiline=isinstance(field, models.TextField)):
            errors[name] = [refusal(character, field.verbose_name)]
        elif field.max_length and len(value) > field.max_length:
            errors[name] = [too_long(field.verbose_name, len(value), field.max_length)]
    if errors:
        raise InvalidInput(errors)


def too_long(label, length: int, max_length: int) -> str:
    """« Motif : 10 000 caractères, c'est trop long (255 au plus). »"""
    return _("%(label)s : %(length)s caractères, c'est trop long (%(max)s au plus).") % {
        "label": capitalized(label),
        "length": decimal_fr(length, 0),
        "max": decimal_fr(max_length, 0),
    }


def require_max_length(value: str, max_length: int, *, field: str, label) -> str:
    """``value`` if it fits ``max_length`` characters; else the input is refused, naming the field."""
    if value is not None and len(value) > max_length:
        raise InvalidInput({field: [too_long(label, len(value), max_length)]})
    return value

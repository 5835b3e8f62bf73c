"""Write paths of the kernel: gapless numbers, the company identity, API tokens."""

import hashlib
import secrets

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone

from . import rows, text
from .errors import InvalidInput, messages_by_field
from .models import ApiToken, Company, Sequence


def validate_and_save(instance, **save_kwargs):
    """Run every model check (field validators, ``clean``, uniqueness) then save.

    Services call this instead of ``save()`` so a bad value is refused with a message naming the
    field, whatever edge it came from.
    """
    validate(instance)
    instance.save(**save_kwargs)
    return instance


def validate(instance, *, unique_checked_in_bulk=(), constraints_checked_by_clean=()):
    """The checks of ``validate_and_save``, for an object saved later (or in bulk). A service that
    checks the uniqueness of some fields for a whole batch in one query names them in
    ``unique_checked_in_bulk``: they are not asked about one object at a time. Fields whose
    database constraints the model's ``clean()`` checks already, with its own message, named in
    ``constraints_checked_by_clean``, spare Django's query per constraint (the database still
    enforces them)."""
    try:
        _full_clean(instance, unique_checked_in_bulk, constraints_checked_by_clean)
    except ValidationError as exc:
        raise InvalidInput(messages_by_field(exc)) from exc


def _full_clean(instance, unique_checked_in_bulk=(), constraints_checked_by_clean=()):
    """``Model.full_clean()``, less one query per foreign key whose object the caller handed over
    (``line.document = order``): that object was read or saved, so it exists, or is to be saved
    first, and the database's foreign-key constraint stands guard anyway. Saving a document line otherwise asks the database
    three times whether things it was just given exist. Plus LMB's own rule: no control character
    in a text field (``lmb.text``)."""
    errors = {}
    try:
        instance.clean_fields(exclude=_related_objects_in_hand(instance))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for name, messages in text.model_text_errors(instance, exclude=errors).items():
        errors.setdefault(name, []).extend(messages)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}  # checked no further, as full_clean does
    for check, exclude in (
        (instance.validate_unique, failed | set(unique_checked_in_bulk)),
        (instance.validate_constraints, failed | set(constraints_checked_by_clean)),
    ):
        try:
            check(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _related_objects_in_hand(instance) -> set[str]:
    """The foreign keys set from an object (not from a bare id): a saved one, or one built to be
    saved first — a batch's new customer and its orders, checked before anything is written
    (Django refuses to save a row whose related object is still unsaved: never a null key)."""
    in_hand = set()
    for field in instance._meta.concrete_fields:
        if isinstance(field, ForeignKey) and field.is_cached(instance):
            related = field.get_cached_value(instance)
            saved = not related._state.adding if related is not None else False
            if related is not None and related.pk == getattr(instance, field.attname) and (saved or related.pk is None):
                in_hand.add(field.name)
    return in_hand


def apply_changes(instance, changes: dict):
    """Set the given attributes, validate, save. Returns the instance."""
    for name, value in changes.items():
        setattr(instance, name, value)
    return validate_and_save(instance)


def next_value(code: str, *, period: str = "") -> int:
    """Take the next number of a gapless sequence.

    Must run inside the transaction that uses the number: the sequence row stays locked until that
    transaction ends, so numbers are handed out in commit order, and a rollback gives the number
    back. Concurrent callers wait on the lock (PostgreSQL) or on the write lock (SQLite).
    """
    return next_values((code, period))[0]


def next_values(*series: tuple[str, str]) -> list[int]:
    """The next number of several gapless sequences, ``(code, period)`` each, in one statement that
    locks their rows in the order given (always give them in the same order: no deadlock). Same
    rules as ``next_value``: inside the transaction that uses the numbers, held until it ends."""
    return [taken.start for taken in take_values(*((code, period, 1) for code, period in series))]


def take_values(*series: tuple[str, str, int]) -> list[range]:
    """``next_values`` for callers that number many documents at once (a page of web orders):
    ``(code, period, count)`` each, the ``count`` next numbers of each sequence as a range."""
    # One statement creates each series at its count or adds the count to it, and leaves its row
    # locked until the transaction ends (the UPDATE of ON CONFLICT takes the row lock; SQLite
    # locks the database).
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("A sequence number must be taken inside transaction.atomic().")
    rows = ", ".join(["(%s, %s, %s)"] * len(series))
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_VALUES_SQL.format(rows=rows), [part for triple in series for part in triple])
        last = {(code, period): value for code, period, value in cursor.fetchall()}
    return [range(last[code, period] - count + 1, last[code, period] + 1) for code, period, count in series]


# Rows are inserted (or their conflict updated, which locks them) in the order of VALUES.
_NEXT_VALUES_SQL = f"""
    INSERT INTO {Sequence._meta.db_table} (code, period, last_value) VALUES {{rows}}
    ON CONFLICT (code, period) DO UPDATE SET last_value = {Sequence._meta.db_table}.last_value + EXCLUDED.last_value
    RETURNING code, period, last_value
"""


def next_reference(code: str, *, prefix: str, width: int = 6, yearly: bool = False, on_date=None) -> str:
    """The next formatted number: ``C000042``, or ``FA2026-000123`` for a yearly series."""
    if yearly:
        year = str((on_date or timezone.localdate()).year)
        return reference(prefix, next_value(code, period=year), period=year, width=width)
    return reference(prefix, next_value(code), width=width)


def reference(prefix: str, value: int, *, period: str = "", width: int = 6) -> str:
    """A sequence's value as printed: ``C000042``, ``FA2026-000123`` with the period."""
    return f"{prefix}{period}-{value:0{width}d}" if period else f"{prefix}{value:0{width}d}"


def get_company() -> Company | None:
    """The seller's identity, or None before it is set up."""
    try:
        return rows.get_row(Company, 1)  # read by every document issued: compiled once
    except Company.DoesNotExist:
        return None


@transaction.atomic
def save_company(**fields) -> Company:
    """Create or update the seller's legal identity."""
    company = Company.objects.select_for_update().filter(pk=1).first() or Company(pk=1)
    return apply_changes(company, fields)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create an API token; returns it and the clear key, which is never stored nor shown again."""
    key = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=key[:8], key_hash=hash_api_key(key))
    validate_and_save(token)
    return token, key


def revoke_api_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token

"""Errors a user can cause. Services raise them; the edges turn them into a form error, an HTTP
400/409 with a JSON body, or a failed task with the message kept.
"""

from django.utils.translation import gettext_lazy as _

from .formats import french_params


class DomainError(Exception):
    """A business rule refused the action. ``field`` names the input at fault, when there is one."""

    status_code = 400
    default_message = _("Action refusée.")

    def __init__(self, message=None, *, field=None, code=None):
        self.message = message or self.default_message
        self.field = field
        self.code = code or type(self).__name__
        super().__init__(str(self.message))

    def as_dict(self):
        """The error as a field → messages mapping, like a form's or a serializer's errors."""
        return {self.field or "detail": [str(self.message)]}


class InvalidInput(DomainError):
    """Bad input: carries one message per field, like a Django ValidationError's message_dict."""

    def __init__(self, errors: dict):
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}
        field, messages = next(iter(self.errors.items()))
        super().__init__(messages[0], field=field)

    def as_dict(self):
        return self.errors


class TransitionNotAllowed(DomainError):
    """The object is not in a status that allows this action (HTTP 409)."""

    status_code = 409
    default_message = _("Cette action n'est pas possible dans l'état actuel du document.")


class Conflict(DomainError):
    """The action collides with the current state of other data (HTTP 409)."""

    status_code = 409


def messages_by_field(exc) -> dict:
    """A Django ValidationError as {field: [messages]}; errors without a field go under ``__all__``.
    Numbers in the messages read the French way (« 0,01 », not « 0.01 »)."""
    if hasattr(exc, "error_dict"):
        return {field: [_message(error) for error in errors] for field, errors in exc.error_dict.items()}
    return {"__all__": [_message(error) for error in exc.error_list]}


def _message(error) -> str:
    return str(error.message % french_params(error.params) if error.params else error.message)

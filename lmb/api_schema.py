"""The OpenAPI schema documents the error answers of every operation, once for all, the way
``lmb.api.exception_handler`` and DRF give them: an integrator reads which statuses an operation
may answer and the shape of their bodies (and schemathesis checks that nothing else comes back).

Named in ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# The body of 401, 403 and 404 answers (DRF's own): one message.
ERROR_DETAIL = {
    "type": "object",
    "description": "Une erreur qui n'est celle d'aucun champ.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}

# The body of 400 and 409 answers: the messages by field in fault, like a form's errors. An error
# of no field is under ``detail`` (a domain error, a request body that is not JSON) or
# ``non_field_errors`` (a serializer's ``validate``); the errors of a list of lines are a list with
# one such object per line.
FIELD_ERRORS = {
    "type": "object",
    "description": (
        "Les messages par champ en faute : {champ: [messages]}. Une erreur qui n'est celle d'aucun champ "
        "est sous « detail » ou « non_field_errors » ; les erreurs d'une liste de lignes sont une liste "
        "d'objets de ce type, un par ligne."
    ),
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {}}, {"type": "string"}, {"type": "object"}],
    },
    "example": {"quantity": ["Assurez-vous que cette valeur est supérieure ou égale à 0."]},
}

ERROR_RESPONSES = {
    "400": ("Requête refusée : données invalides ou règle métier non respectée.", "FieldErrors", FIELD_ERRORS),
    "401": ("Authentification absente ou invalide (jeton inconnu ou révoqué).", "ErrorDetail", ERROR_DETAIL),
    "403": ("Les rôles de l'utilisateur ne permettent pas cette action.", "ErrorDetail", ERROR_DETAIL),
    "404": ("Aucun objet avec cet identifiant, ou page au-delà de la dernière.", "ErrorDetail", ERROR_DETAIL),
    "415": ("Corps de requête d'un type non pris en charge (JSON, formulaire ou multipart).", "ErrorDetail", ERROR_DETAIL),
    "409": (
        "Action impossible dans l'état actuel (transition refusée, conflit, élément utilisé ailleurs, "
        "clé d'idempotence déjà servie).",
        "FieldErrors",
        FIELD_ERRORS,
    ),
}


def error_statuses(operation: dict, method: str) -> list[str]:
    """The error statuses an operation may answer, from what it takes:
    - 400 when it reads input (a body, a query parameter) or writes (a service may refuse);
    - 401 and 403 when it needs a signed-in user (permissions are checked for every role);
    - 404 when it names an object in its path, or lists in pages (a page past the last one);
    - 409 when it writes (a transition refused, an object still in use, a key replayed);
    - 415 when it reads a body (of another type than those documented, or unreadable)."""
    parameters = operation.get("parameters", [])
    query = [parameter["name"] for parameter in parameters if parameter.get("in") == "query"]
    in_path = any(parameter.get("in") == "path" for parameter in parameters)
    writes = method in WRITE_METHODS
    statuses = []
    if writes or query or "requestBody" in operation:
        statuses.append("400")
    if any(requirement for requirement in operation.get("security", [])):
        statuses += ["401", "403"]
    if in_path or "page" in query:
        statuses.append("404")
    if writes:
        statuses.append("409")
    if "requestBody" in operation:
        statuses.append("415")
    return statuses


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self):
        """DRF pages only what a viewset's ``list`` answers: another action answering several
        objects (a stock transfer's two moves) answers a plain array, and is documented so."""
        if getattr(self.view, "action", "list") != "list":
            return None
        return super()._get_paginator()

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for status in error_statuses(operation, self.method):
            if status in operation["responses"]:
                continue  # documented by the view itself
            description, name, schema = ERROR_RESPONSES[status]
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            self.registry.register_on_missing(component)
            operation["responses"][status] = {
                "content": {"application/json": {"schema": component.ref}},
                "description": description,
            }
        return operation

"""Who may open which page, said once, by the view.

A view declares the permissions it requires — ``permission_required`` on a class view
(Django's ``PermissionRequiredMixin``), or this module's ``permission_required`` decorator on a
function view, which keeps them readable on the view. Every link that offers a page (the menu,
a section's tabs) asks ``can_open``, which reads them from the view the URL resolves to. The link
and the page can therefore never disagree: there is no second place to write the permission in.
"""

from functools import cache, wraps

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import resolve, reverse


def permission_required(*permissions: str):
    """Refuse the view (403, the « Accès refusé » page) to a user lacking any of ``permissions``,
    and record them on the view for ``required_permissions``. Logging in is the middleware's job."""
    if not permissions or not all(isinstance(permission, str) for permission in permissions):
        raise ImproperlyConfigured("permission_required takes one or more 'app.codename' strings.")

    def decorator(view):
        @wraps(view)
        def checked_view(request, *args, **kwargs):
            if not request.user.has_perms(permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        checked_view.permission_required = permissions
        return checked_view

    return decorator


def view_permissions(view) -> tuple[str, ...] | None:
    """The permissions a view (the callable a URL resolves to) enforces, read where it enforces
    them (PermissionRequiredMixin, or this module's decorator); None when it declares none."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None and issubclass(view_class, PermissionRequiredMixin):
        return tuple(view_class(**getattr(view, "view_initkwargs", {})).get_permission_required())
    return getattr(view, "permission_required", None)


@cache
def required_permissions(url_name: str) -> tuple[str, ...]:
    """The permissions the page named ``url_name`` (no arguments) requires, read from its view."""
    permissions = view_permissions(resolve(reverse(url_name)).func)
    if permissions is None:
        raise ImproperlyConfigured(
            f"The view of « {url_name} » declares no permission: use lmb.access.permission_required "
            "or PermissionRequiredMixin, so that links to it can read it."
        )
    return permissions


def can_open(user, url_name: str) -> bool:
    """Whether ``user`` may open the page ``url_name``: what its view requires, nothing else."""
    return bool(user and user.is_authenticated) and user.has_perms(required_permissions(url_name))

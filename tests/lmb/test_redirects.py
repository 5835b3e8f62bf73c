"""Redirects chosen by the request (a form's ``next``) stay on the site: one helper reads them,
``lmb.views.safe_next``, and no other code of the project reads a redirect target from a request."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import RequestFactory

from lmb.views import safe_next

# Reading ``next`` (or the Referer) from a request: what an open redirect starts with.
REQUEST_TARGET = re.compile(
    r"request\.(GET|POST|data|query_params)(\.get\(|\[)\s*['\"]next['\"]|HTTP_REFERER|headers\.get\(\s*['\"]referer",
    re.IGNORECASE,
)
HELPER = Path("lmb/views.py")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/sales/invoices/?status=issued", "/sales/invoices/?status=issued"),
        ("https://evil.example/phish", "/home/"),
        ("//evil.example/", "/home/"),
        ("/\\evil.example", "/home/"),
        ("https:evil.example", "/home/"),
        ("javascript:alert(1)", "/home/"),
        ("http://testserver/sales/", "http://testserver/sales/"),
        ("", "/home/"),
    ],
)
def test_safe_next_keeps_only_targets_on_this_site(target, expected):
    request = RequestFactory().post("/x/", {"next": target})
    assert safe_next(request, "/home/") == expected


def test_no_code_reads_a_redirect_target_from_the_request_but_the_helper():
    base = Path(settings.BASE_DIR).resolve()
    offenders = []
    for app in apps.get_app_configs():
        path = Path(app.path).resolve()
        if not path.is_relative_to(base) or "site-packages" in path.parts:
            continue
        for source in path.rglob("*.py"):
            relative = source.relative_to(base)
            if relative == HELPER or "migrations" in relative.parts:
                continue
            for number, line in enumerate(source.read_text().splitlines(), start=1):
                if REQUEST_TARGET.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "use lmb.views.safe_next:\n" + "\n".join(offenders)

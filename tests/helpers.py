import html
import subprocess

from django.db import connection
from django.test.utils import CaptureQueriesContext


def page_text(response) -> str:
    """The page as a user reads it (HTML entities decoded), for asserting on French messages."""
    return html.unescape(response.content.decode())


def get_counting_queries(client, url):
    """GET ``url`` (it must answer 200): the response and the number of SQL queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, len(captured)


def walk_pages(client, url, params, *, link="next"):
    """The ids of a cursor-paged API list, every page read by following ``link`` from the first
    page (``previous``: backwards from the page the ``next`` links end on), and the number of
    pages read."""
    page = client.get(url, params).json()
    if link == "previous":
        while page["next"]:
            page = client.get(page["next"]).json()
    pages = [[row["id"] for row in page["results"]]]
    while page[link]:
        response = client.get(page[link])
        assert response.status_code == 200, response.json()
        page = response.json()
        pages.append([row["id"] for row in page["results"]])
    if link == "previous":
        pages.reverse()
    return [pk for ids in pages for pk in ids], len(pages)


def a_dead_process_id() -> int:
    """The id of a process that has ended (a worker process the OOM killer took)."""
    process = subprocess.Popen(["true"])
    process.wait()  # exited and reaped: no process has this id now (until the system reuses it)
    return process.pid

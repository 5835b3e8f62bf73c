"""What PostgreSQL plans for a list screen's page: the queryset built exactly as the view builds
it (request, filters, search, sort, page slice), explained, and the tables it reads whole."""

from django.db import connection
from django.test import RequestFactory

from lmb.lists import explain


def page_queryset(view_class, user, params: dict, *, page: int = 1):
    """The rows of page ``page`` of the list ``view_class`` answering a GET with ``params``."""
    request = RequestFactory().get("/", params)
    request.user = user
    view = view_class()
    view.setup(request)
    queryset = view.get_queryset()
    start = (page - 1) * view.paginate_by
    return queryset[start : start + view.paginate_by]


def plan_nodes(queryset):
    """Every node of the plan of ``queryset`` (EXPLAIN, not run)."""
    pending = [explain(*queryset.query.sql_with_params())]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.get("Plans", []))


def tables_read_whole(queryset, tables) -> set[str]:
    """Which of ``tables`` the plan reads by a sequential scan."""
    return {node["Relation Name"] for node in plan_nodes(queryset) if node["Node Type"] == "Seq Scan"} & set(tables)


# Nodes that read all their input before giving a row: a table read under one is read whole.
BLOCKING = {"Sort", "Aggregate", "Hash", "Materialize", "SetOp", "WindowAgg", "Gather Merge"}


def whole_table_reads(node, tables, *, bounded=False) -> list[str]:
    """The ``tables`` the plan (``lmb.lists.explain``) reads whole: a sequential scan, unless a LIMIT stops
    it early (nothing blocking between the two, and no filter that could make it read on and on)."""
    found = []
    read_whole = not (bounded and "Filter" not in node)
    if node["Node Type"] in ("Seq Scan", "Parallel Seq Scan") and node.get("Relation Name") in tables and read_whole:
        found.append(f"{node['Relation Name']} ({node.get('Filter', 'no filter')})")
    if node["Node Type"] == "Limit":
        bounded = True
    elif node["Node Type"] in BLOCKING:
        bounded = False
    for child in node.get("Plans", []):
        found += whole_table_reads(child, tables, bounded=bounded)
    return found


def analyze(*tables):
    """Fresh statistics, so the planner knows the tables are no longer empty (autovacuum may be off)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")

"""What PostgreSQL plans for a list screen's page: the queryset built exactly as the view builds
it (request, filters, search, sort, page slice), explained, and the tables it reads whole."""

import json

from django.db import connection
from django.test import RequestFactory


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
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    pending = [plan[0]["Plan"]]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.get("Plans", []))


def tables_read_whole(queryset, tables) -> set[str]:
    """Which of ``tables`` the plan reads by a sequential scan."""
    return {node["Relation Name"] for node in plan_nodes(queryset) if node["Node Type"] == "Seq Scan"} & set(tables)


def analyze(*tables):
    """Fresh statistics, so the planner knows the tables are no longer empty (autovacuum may be off)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")

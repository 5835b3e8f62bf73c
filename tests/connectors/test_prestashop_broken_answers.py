"""A push that meets a broken answer (issue #18, item 10): XML that does not parse, a PHP notice
printed before the body, JSON that is not — a recorded error naming how the answer starts, the
push kept pending and retried (bounded), never left pending with no message while later pushes
of the same stock skip it."""

from decimal import Decimal

import pytest

from connectors.prestashop import services, tasks
from connectors.prestashop.client import BrokenAnswer
from connectors.prestashop.models import Push
from stock import services as stock_services
from tests.connectors.test_prestashop_push import imported, processor, ship  # noqa: F401 — fixtures

# Each push reads the shop before writing: the state push reads the order as JSON, the tracking
# and stock pushes read the record as XML to PUT it back.
PUSHES = [
    ("state", "orders/1", "pas du JSON"),
    ("tracking", "order_carriers/1", "XML qui ne se lit pas"),
    ("stock", "stock_availables/24", "XML qui ne se lit pas"),
]


def _queued(action, django_capture_on_commit_callbacks) -> Push:
    """Run the business action and the event handlers, not the push tasks: the pushes wait, pending."""
    with django_capture_on_commit_callbacks(execute=False) as events:
        action()
    for handler in events:
        with django_capture_on_commit_callbacks(execute=False):
            handler()


def _trigger(kind, order, processor, main_warehouse):  # noqa: F811
    if kind == "stock":
        return lambda: stock_services.receive(product=processor, warehouse=main_warehouse, quantity=5, unit_cost=Decimal("121"))
    return lambda: ship(order)


@pytest.mark.parametrize("broken", ["notice", "cut"])
@pytest.mark.parametrize(("kind", "path", "why"), PUSHES)
def test_a_broken_answer_is_recorded_and_the_push_retried(
    imported,  # noqa: F811
    processor,  # noqa: F811
    main_warehouse,
    standin,
    django_capture_on_commit_callbacks,
    kind,
    path,
    why,
    broken,
):
    _queued(_trigger(kind, imported, processor, main_warehouse), django_capture_on_commit_callbacks)
    push = Push.objects.get(kind=kind)
    standin.inject(path, broken, times=1)

    with pytest.raises(BrokenAnswer) as error:
        services.send_push(push)

    assert isinstance(error.value, tasks.send_push.autoretry_for)  # the task retries it with backoff
    push.refresh_from_db()
    assert (push.status, push.attempts) == (Push.Status.PENDING, 1)
    assert "réponse illisible de la boutique" in push.last_error and why in push.last_error
    if broken == "notice":
        assert "<b>Notice</b>: Undefined index: id_shop" in push.last_error  # the operator sees what PHP said
    services.send_push(push)  # the retry: the shop answers properly this time
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == (Push.Status.SENT, 2, "")


def test_a_shop_that_keeps_answering_broken_fails_the_push_after_its_attempts(
    imported,  # noqa: F811
    processor,  # noqa: F811
    main_warehouse,
    standin,
    django_capture_on_commit_callbacks,
):
    _queued(_trigger("stock", imported, processor, main_warehouse), django_capture_on_commit_callbacks)
    push = Push.objects.get(kind="stock")
    standin.inject("stock_availables", "notice", times=100)
    for _attempt in range(services.PUSH_MAX_ATTEMPTS):
        with pytest.raises(BrokenAnswer):
            services.send_push(push)
    push.refresh_from_db()
    assert (push.status, push.attempts) == (Push.Status.FAILED, services.PUSH_MAX_ATTEMPTS)
    assert "Notice" in push.last_error
    assert services.send_push(push).status == Push.Status.FAILED  # bounded: no sixth call to the shop
    standin.faults.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_push(push)  # « Renvoyer »
    push.refresh_from_db()
    assert push.status == Push.Status.SENT


def test_a_stock_move_after_a_broken_answer_is_sent_by_the_pending_push_with_the_newest_level(
    imported,  # noqa: F811
    processor,  # noqa: F811
    main_warehouse,
    standin,
    django_capture_on_commit_callbacks,
):
    _queued(_trigger("stock", imported, processor, main_warehouse), django_capture_on_commit_callbacks)
    push = Push.objects.get(kind="stock")
    standin.inject("stock_availables/24", "cut", times=1)
    with pytest.raises(BrokenAnswer):
        services.send_push(push)

    _queued(_trigger("stock", imported, processor, main_warehouse), django_capture_on_commit_callbacks)  # 5 more
    assert Push.objects.filter(kind="stock").count() == 1  # the pending push sends the level of when it runs
    services.send_push(push)  # its retry

    push.refresh_from_db()
    assert (push.status, push.attempts) == (Push.Status.SENT, 2)
    assert standin.records["stock_availables"]["24"]["quantity"] == "19"  # 10 + 5 + 5 received, 1 reserved

"""Reference data kept for a run: read once inside it, afresh outside."""

import pytest

from lmb import run_cache


def _reader():
    calls = []

    def read():
        calls.append(1)
        return len(calls)

    return read, calls


def test_outside_a_run_every_call_reads():
    read, calls = _reader()
    assert [run_cache.remembered("key", read) for _ in range(3)] == [1, 2, 3]
    assert len(calls) == 3


def test_within_a_run_the_first_read_is_kept_in_the_callers_store():
    read, calls = _reader()
    store = {}
    with run_cache.kept_in(store):
        assert [run_cache.remembered("key", read) for _ in range(3)] == [1, 1, 1]
    assert store == {"key": 1} and len(calls) == 1
    with run_cache.kept_in(store):  # the same run goes on: still no read
        assert run_cache.remembered("key", read) == 1
    with run_cache.kept_in({}):  # another run reads again
        assert run_cache.remembered("key", read) == 2
    assert run_cache.remembered("key", read) == 3  # and none is active any more


@pytest.mark.smoke
def test_a_fact_is_asked_again_until_it_is_true_then_no_more_within_the_run():
    answers = iter([False, False, True, False])
    asked = []

    def check():
        asked.append(1)
        return next(answers)

    with run_cache.kept_in({}):
        assert [run_cache.once_true("passed", check) for _ in range(4)] == [False, False, True, True]
    assert len(asked) == 3  # not asked after the first True
    assert run_cache.once_true("passed", check) is False  # outside a run: asked every time

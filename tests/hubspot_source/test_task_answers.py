"""Which created task is which in HubSpot's answer to a tasks batch create: the answer's
order is not the inputs', its instants are spelt as HubSpot prints them, and a result
echoes its input's objectWriteTraceId."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.hubspot.portal import _created_tasks
from bot.workflows.hubspot_portal import NewTask


def _task(key: str, subject: str = "Call", due: str = "2026-03-02T09:00:00.000Z") -> NewTask:
    properties = {"hs_task_subject": subject, "hs_timestamp": due, "hubspot_owner_id": "7"}
    return NewTask(key, properties, "deals", key.removeprefix("k"))


def _result(task_id: str, properties: dict[str, Any], trace: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"id": task_id, "properties": properties}
    if trace is not None:
        answer["objectWriteTraceId"] = trace
    return answer


def test_a_due_instant_written_back_without_its_zero_fraction_still_matches() -> None:
    sent = _task("k1")
    printed = {**sent.properties, "hs_timestamp": "2026-03-02T09:00:00Z"}

    created = _created_tasks([sent], {"results": [_result("99", printed, None)]}, {})

    assert created == {"k1": "99"}


def test_the_trace_id_decides_between_tasks_alike_in_their_properties() -> None:
    first, second = _task("k1"), _task("k2")
    results = [
        _result("202", dict(second.properties), "k2"),
        _result("101", dict(first.properties), "k1"),
    ]

    assert _created_tasks([first, second], {"results": results}, {}) == {
        "k1": "101",
        "k2": "202",
    }


def test_a_refused_input_gets_no_id_even_when_a_result_looks_like_it() -> None:
    first, second = _task("k1"), _task("k2", subject="Email")
    results = [_result("101", dict(first.properties), None)]

    assert _created_tasks([first, second], {"results": results}, {"k1": "read-only"}) == {}


@given(
    order=st.permutations(range(5)),
    traced=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_every_created_task_is_matched_once_whatever_the_order_and_echo(
    order: list[int], traced: list[bool]
) -> None:
    wanted = [_task(f"k{i}", subject=f"Call {i % 2}") for i in range(5)]
    results = [
        _result(
            f"{900 + i}",
            {**wanted[i].properties, "hs_timestamp": "2026-03-02T09:00:00Z"},
            wanted[i].key if traced[i] else None,
        )
        for i in order
    ]

    created = _created_tasks(wanted, {"results": results}, {})

    assert set(created) == {task.key for task in wanted}
    assert sorted(created.values()) == sorted(f"{900 + i}" for i in range(5))
    for i in range(5):
        if traced[i]:
            assert created[wanted[i].key] == f"{900 + i}"

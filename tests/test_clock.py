"""The clock: the synchronous runner inside a running loop, cancellation, and real time against virtual time."""

from __future__ import annotations

import asyncio
import threading

import pytest

import voicelab
from voicelab.clock import Clock, DeadlockError, run


def test_simulate_works_inside_a_running_event_loop():
    """As in a notebook cell: the caller's loop is running and is neither patched nor re-entered."""
    expected = voicelab.simulate(pipeline="original").metrics(0)

    async def cell() -> tuple[dict, bool]:
        loop = asyncio.get_running_loop()
        metrics = voicelab.simulate(pipeline="original").metrics(0)
        return metrics, asyncio.get_running_loop() is loop

    metrics, same_loop = asyncio.run(cell())
    assert metrics == expected and same_loop


def test_run_inside_a_running_loop_uses_another_thread_and_loop():
    async def probe(clock: Clock) -> tuple[int, int]:
        await clock.sleep(1.0)
        return threading.get_ident(), id(asyncio.get_running_loop())

    async def cell() -> tuple[tuple[int, int], int]:
        return run(probe), id(asyncio.get_running_loop())

    (thread, inner_loop), outer_loop = asyncio.run(cell())
    assert thread != threading.get_ident() and inner_loop != outer_loop


def test_virtual_time_jumps_and_stays_on_the_nanosecond_grid():
    async def main(clock: Clock) -> list[float]:
        seen = []
        for _ in range(10):
            await clock.sleep(0.1)
            seen.append(clock.now())
        await clock.sleep_until(5.0)
        seen.append(clock.now())
        await clock.sleep_until(1.0)  # in the past: returns at once
        seen.append(clock.now())
        return seen

    assert run(main) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 5.0, 5.0]


def test_a_cancelled_sleep_leaves_no_timer_behind():
    async def main(clock: Clock) -> tuple[float, int]:
        task = asyncio.create_task(clock.sleep(100.0))
        await clock.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await clock.sleep(0.5)
        return clock.now(), sum(not h._cancelled for h in asyncio.get_running_loop()._scheduled)

    assert run(main) == (1.5, 0)


def test_a_deadlocked_virtual_run_raises_instead_of_hanging():
    async def main(clock: Clock) -> None:
        await asyncio.Event().wait()

    with pytest.raises(DeadlockError):
        run(main)


def test_tasks_sleeping_to_the_same_instant_all_wake_then():
    async def main(clock: Clock) -> list[float]:
        async def sleeper(seconds: float) -> float:
            await clock.sleep(seconds)
            return clock.now()
        return list(await asyncio.gather(*(sleeper(s) for s in (0.3, 0.1, 0.3, 0.2))))

    assert run(main) == [0.3, 0.1, 0.3, 0.2]


def test_real_time_follows_the_virtual_timeline_on_a_short_run():
    """Correctness, not speed: every event of a short real-time run lands near its virtual time."""
    text = ["Hi there."]
    virtual = voicelab.simulate(text, pipeline="original", clock="virtual")
    real = voicelab.simulate(text, pipeline="original", clock="realtime")
    v_marks = {(m.turn, m.name): m.t for m in virtual.trace.marks if m.name != "chunk_delivered"}
    r_marks = {(m.turn, m.name): m.t for m in real.trace.marks if m.name != "chunk_delivered"}
    assert v_marks.keys() == r_marks.keys()
    worst = max(abs(v_marks[key] - r_marks[key]) for key in v_marks)
    assert worst < 0.05, f"an event is {worst * 1000:.1f} ms off its virtual time"
    assert real.trace.turns[0].response == virtual.trace.turns[0].response

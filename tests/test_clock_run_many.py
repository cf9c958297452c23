"""clock.run_many: many runs on one loop give what each run gives on a fresh one (the Monte Carlo's engine), and
the Monte Carlo plays any pipeline exactly as simulate() does. Only clock.py touches asyncio's private loop state."""

from __future__ import annotations

import asyncio
import re
from functools import partial
from pathlib import Path

import pytest

import voicelab
from voicelab.analysis.experiments import monte_carlo
from voicelab.engine.clock import Clock, run, run_many
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.simulate import simulate
from voicelab.turntaking.interruptions import BargeIn


async def _untidy(k: int, clock: Clock) -> tuple[float, ...]:
    """A run that leaves a task sleeping, a timer set and a callback queued behind it."""
    times = [clock.now()]
    asyncio.get_running_loop().create_task(clock.sleep(100.0))
    asyncio.get_running_loop().call_later(50.0, print, "never")
    asyncio.get_running_loop().call_soon(lambda: None)
    for step in range(k + 1):
        await clock.sleep(0.1 * (step + 1) + 0.01 * k)
        times.append(clock.now())
    return tuple(times)


def test_each_run_gives_what_it_gives_on_a_fresh_loop_whatever_the_last_left_behind():
    mains = [partial(_untidy, k) for k in range(6)]
    assert run_many(mains) == [run(main) for main in mains]
    assert run_many(mains)[0][0] == 0.0 and all(times[0] == 0.0 for times in run_many(mains))


def test_an_error_in_one_run_is_raised_and_nothing_is_left_running(recwarn):
    seen: list[int] = []

    async def broken(clock: Clock) -> None:
        raise ValueError("run 2 broke")

    async def fine(k: int, clock: Clock) -> int:
        seen.append(k)
        asyncio.get_running_loop().create_task(clock.sleep(10.0))
        return k

    with pytest.raises(ValueError, match="run 2 broke"):
        run_many([partial(fine, 0), partial(fine, 1), broken, partial(fine, 3)])
    assert seen == [0, 1]
    assert not [w for w in recwarn if "never awaited" in str(w.message) or "destroyed" in str(w.message)]


def test_in_real_time_each_run_has_its_own_loop():
    async def stamp(clock: Clock) -> float:
        await clock.sleep(0.01)
        return clock.now()

    times = run_many([stamp, stamp], clock="realtime")
    assert all(0.009 <= t < 0.5 for t in times)
    with pytest.raises(ValueError, match="clock must be one of"):
        run_many([stamp], clock="wall")


@pytest.mark.parametrize("pipeline", ["original", "streaming", partial(StreamingPipeline, barge_in=None)])
def test_the_monte_carlo_plays_any_pipeline_as_simulate_does(pipeline):
    result = monte_carlo(12, seed=4, jitter=2.0, pipeline=pipeline, keep_traces=True, progress=False)
    name = pipeline if isinstance(pipeline, str) else "streaming"
    for turn in (0, 7):
        alone = simulate([result.text_of(turn)], pipeline=name, stages=result.stages, seed=int(result.seeds[turn]))
        assert result.traces[turn].to_dict() == alone.trace.to_dict()
        assert result.traces[turn].meta["pipeline"] == name


def test_a_pipeline_is_checked_before_anything_runs():
    with pytest.raises(ConfigError, match=r"pipeline must be one of original, streaming or a function"):
        monte_carlo(5, pipeline="fast")
    with pytest.raises(ConfigError, match=r"barge_in needs a pipeline that takes one"):
        monte_carlo(5, pipeline="original", barge_in=BargeIn(0.4))


def test_only_the_clock_touches_the_event_loops_private_state():
    private = re.compile(r"\._(ready|scheduled|stopping|timer_cancelled_count|run_once)\b")
    package = Path(voicelab.__file__).parent
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py")
                 if path.name != "clock.py" and private.search(path.read_text())]
    assert offenders == []

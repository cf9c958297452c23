"""The clock: the synchronous runner inside a running loop, cancellation, and real time against virtual time."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest

import voicelab
from voicelab.engine.clock import Clock, DeadlockError, run


def test_simulate_works_inside_a_running_event_loop():
    """As in a notebook cell: the caller's loop is running and is neither patched nor re-entered."""
    expected = voicelab.simulate(pipeline="original").metrics(0)

    async def cell() -> tuple[dict, bool]:
        loop = asyncio.get_running_loop()
        metrics = voicelab.simulate(pipeline="original").metrics(0)
        return metrics, asyncio.get_running_loop() is loop

    metrics, same_loop = asyncio.run(cell())
    assert metrics == expected and same_loop


def test_run_inside_a_running_loop_runs_inline_on_its_own_loop():
    """Same thread, a loop of its own; afterwards the caller's loop and current task are as they were."""
    async def probe(clock: Clock) -> tuple[int, int]:
        await clock.sleep(1.0)
        return threading.get_ident(), id(asyncio.get_running_loop())

    async def cell() -> tuple[tuple[int, int], int, bool]:
        me = asyncio.current_task()
        inner = run(probe)
        return inner, id(asyncio.get_running_loop()), asyncio.current_task() is me

    (thread, inner_loop), outer_loop, same_task = asyncio.run(cell())
    assert thread == threading.get_ident() and inner_loop != outer_loop and same_task


def test_runs_nest_without_threads(monkeypatch):
    """A simulation inside an ``extract`` of a Monte Carlo inside ``asyncio.run``, with thread creation disabled."""
    from voicelab.analysis.experiments import monte_carlo

    started = []

    def no_threads(self):
        started.append(self.name)
        raise RuntimeError("can't start new thread")  # what Pyodide says

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    alone = voicelab.simulate(["What time is it?"], seed=3).metrics(0)["voice_to_voice"]

    def extract(trace, turn):
        return {"nested_v2v": voicelab.simulate(["What time is it?"], seed=3).metrics(0)["voice_to_voice"]}

    async def cell():
        return monte_carlo(4, extract=extract, progress=False)

    result = asyncio.run(cell())
    assert list(result.extra["nested_v2v"]) == [alone] * 4 and started == []


def test_a_run_cut_short_by_ctrl_c_leaves_nothing_pending(capsys):
    """KeyboardInterrupt mid-run: every task is cancelled and awaited, async generators closed, the loop closed."""
    import gc

    seen: dict = {}

    async def ticker(clock: Clock):
        try:
            while True:
                await clock.sleep(0.1)
                yield clock.now()
        finally:
            seen["generator closed"] = True

    async def stage(clock: Clock) -> None:
        try:
            async for t in ticker(clock):
                if t >= 1.0:
                    raise KeyboardInterrupt
        finally:
            seen["stage finished"] = True

    async def bystander(clock: Clock) -> None:
        try:
            await clock.sleep(100.0)
        except asyncio.CancelledError:
            seen["bystander cancelled"] = True
            raise

    async def main(clock: Clock) -> None:
        seen["loop"] = asyncio.get_running_loop()
        await asyncio.gather(stage(clock), bystander(clock))

    with pytest.raises(KeyboardInterrupt):
        run(main)
    gc.collect()
    assert seen["loop"].is_closed() and not asyncio.all_tasks(seen["loop"])
    assert {"generator closed", "stage finished", "bystander cancelled"} <= seen.keys()
    assert capsys.readouterr().err == ""


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


def _wake_order(sleep_kinds: str, seed: int) -> list[tuple[float, str]]:
    """Who resumes when, in order: tasks sleeping in many ties (0.1 s steps), some cancelling others mid-sleep.
    ``sleep_kinds`` picks each task's sleep: "c" ``Clock.sleep``, "a" ``asyncio.sleep`` (a timer that sets a
    future, whose task then resumes one pass later: the two-step order the clock's one-step alarms keep)."""
    rng = random.Random(seed)
    plans = [[rng.choice((1, 2, 3)) / 10 for _ in range(12)] for _ in sleep_kinds]
    victims = [rng.randrange(len(sleep_kinds)) for _ in sleep_kinds]

    async def main(clock: Clock) -> list[tuple[float, str]]:
        log: list[tuple[float, str]] = []
        tasks: list[asyncio.Task] = []

        async def sleeper(k: int) -> None:
            sleep = clock.sleep if sleep_kinds[k] == "c" else asyncio.sleep
            try:
                for step, seconds in enumerate(plans[k]):
                    await sleep(seconds)
                    log.append((clock.now(), f"{k} woke"))
                    if step == 5 and victims[k] != k:
                        tasks[victims[k]].cancel()
            except asyncio.CancelledError:
                log.append((clock.now(), f"{k} cancelled"))
                raise

        tasks += [asyncio.create_task(sleeper(k)) for k in range(len(sleep_kinds))]
        await asyncio.gather(*tasks, return_exceptions=True)
        return log

    return run(main)


@pytest.mark.parametrize("seed", range(20))
def test_one_step_alarms_wake_tasks_in_the_order_of_a_timer_and_a_future(seed):
    """Clock.sleep resumes its task in the step its timer fires; the order of every wake-up and cancellation
    is still that of asyncio's timer-then-future sleep, alone and mixed with asyncio.sleep in the same run."""
    reference = _wake_order("aaaaaa", seed)
    assert any(what.endswith("cancelled") for _, what in reference)
    assert _wake_order("cccccc", seed) == reference
    assert _wake_order("cacaca", seed) == reference


def test_time_passes_without_a_loop_step_only_when_nothing_else_could_happen_first():
    """pass_time moves time on at once only with nothing ready and no timer due by then (a tie waits its turn)."""
    from voicelab.engine.clock import VirtualEventLoop

    loop = VirtualEventLoop()
    try:
        assert loop.pass_time(0.5) and loop.time() == 0.5  # nothing else at all
        timer = loop.call_at(1.0, lambda: None)
        assert loop.pass_time(0.75) and loop.time() == 0.75 and loop._scheduled == [timer]
        assert not loop.pass_time(1.0) and not loop.pass_time(1.5)  # the timer comes at once or first
        handle = loop.call_soon(lambda: None)
        assert not loop.pass_time(0.9) and loop.time() == 0.75  # something is ready
        handle.cancel()
    finally:
        loop.close()


def test_a_lone_sleeper_that_never_yields_to_the_loop_still_stops_at_ctrl_c():
    """A task alone on the loop passes its sleeps without a loop step; Ctrl-C (interrupt_run) still reaches it."""
    from voicelab.engine.clock import interrupt_run

    async def forever(clock: Clock) -> None:
        while True:
            await clock.sleep(1.0)

    threading.Timer(0.2, interrupt_run).start()
    with pytest.raises(KeyboardInterrupt):
        run(forever)


def test_a_sleep_cancelled_early_raises_at_once_not_at_its_deadline():
    async def main(clock: Clock) -> list[tuple[str, float]]:
        seen = []

        async def sleeper() -> None:
            try:
                await clock.sleep(10.0)
            except asyncio.CancelledError:
                seen.append(("cancelled", clock.now()))
                raise

        task = asyncio.create_task(sleeper())
        await clock.sleep(0.25)
        task.cancel()
        task.cancel()  # a second cancel before it resumes changes nothing
        await asyncio.gather(task, return_exceptions=True)
        seen.append(("after", clock.now()))
        return seen

    assert run(main) == [("cancelled", 0.25), ("after", 0.25)]


class SchedulerProbe:
    """Measures, beside a real-time run, how late this process gets woken: a thread that sleeps 2 ms at a time
    and keeps the worst overshoot. On an idle machine that is a fraction of a millisecond; under load it is the
    scheduler's delay that every wake-up of the run suffered too."""

    def __init__(self, step_s: float = 0.002) -> None:
        self.step_s, self.worst_s = step_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            time.sleep(self.step_s)
            self.worst_s = max(self.worst_s, time.perf_counter() - start - self.step_s)

    def __enter__(self) -> SchedulerProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# An event's real time may trail its virtual time by each hand-off on its way (microphone → ASR → LLM → TTS →
# playback in the original pipeline), and each hand-off is a wake-up the scheduler may delay.
HOPS = 5
FIDELITY_S = 0.05


def fidelity_bound(worst_wakeup_s: float) -> float:
    """How far a real-time event may land from its virtual time: 50 ms, plus the scheduler's worst delay per hop."""
    return FIDELITY_S + HOPS * worst_wakeup_s


def event_times(run: voicelab.RunResult) -> dict[tuple[int, str], float]:
    """When each event of the run happened (turn, mark name) -> seconds, without the per-chunk marks."""
    return {(m.turn, m.name): m.t for m in run.trace.marks if m.name != "chunk_delivered"}


def worst_offset(virtual: dict[tuple[int, str], float], real: dict[tuple[int, str], float]) -> float:
    """The largest |real - virtual| time over the events both runs recorded (the same set, or AssertionError)."""
    assert virtual.keys() == real.keys()
    return max(abs(virtual[key] - real[key]) for key in virtual)


def test_real_time_follows_the_virtual_timeline_on_a_short_run():
    """Correctness, not speed: every event of a short real-time run lands within 50 ms of its virtual time, plus
    what a loaded machine measurably added (SchedulerProbe, sampled during the run itself, not retried)."""
    text = ["Hi there."]
    virtual = voicelab.simulate(text, pipeline="original", clock="virtual")
    with SchedulerProbe() as probe:
        real = voicelab.simulate(text, pipeline="original", clock="realtime")
    worst, bound = worst_offset(event_times(virtual), event_times(real)), fidelity_bound(probe.worst_s)
    assert worst < bound, (f"an event is {worst * 1000:.1f} ms off its virtual time (bound {bound * 1000:.1f} ms: "
                           f"the scheduler woke this process up to {probe.worst_s * 1000:.1f} ms late)")
    assert real.trace.turns[0].response == virtual.trace.turns[0].response


def test_the_fidelity_check_fails_a_clock_that_runs_fast():
    """The bound is not so loose that a wrong clock passes: a timeline 10 % fast (0.25 s off at this run's last
    event, 2.52 s in) fails on an idle machine, and on one whose scheduler wakes it 25 ms late."""
    virtual = event_times(voicelab.simulate(["Hi there."], pipeline="original", clock="virtual"))
    fast = {key: t * 0.9 for key, t in virtual.items()}
    assert worst_offset(virtual, fast) > fidelity_bound(0.0)
    assert worst_offset(virtual, fast) > fidelity_bound(0.025)


@pytest.mark.parametrize("code", [
    "vl.simulate(clock='realtime', pipeline=StreamingPipeline(barge_in=BargeIn(0.5)))",
    "sweep('asr.rtf', [0.1, 0.2, 0.3], 100_000, progress=False)",
], ids=["realtime barge-in", "virtual sweep"])
def test_sigint_mid_run_prints_only_the_interrupt(code):
    """No 'Task was destroyed but it is pending', 'Event loop is closed' or 'never awaited' after Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys
    import time

    # Ctrl-C as a terminal delivers it: a test run started in the background (`pytest &` in a script) hands its
    # children SIGINT ignored, and a child that cannot be interrupted runs to its end instead of testing anything.
    program = ("import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
               "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
               "import voicelab as vl\nfrom voicelab.pipelines import StreamingPipeline\n"
               "from voicelab.turntaking.interruptions import BargeIn\n"
               "from voicelab.analysis.experiments import sweep\n"
               f"print('go', flush=True)\n{code}\n")
    child = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert child.stdout.readline() == "go\n"
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    noise = [line for line in err.splitlines() if line.strip() and not line.startswith((" ", "Traceback"))]
    assert noise == ["KeyboardInterrupt"], err

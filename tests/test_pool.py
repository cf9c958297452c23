"""The Monte Carlo's worker processes: the same values for any number of them, the in-process path for what
they cannot take, progress and cancelling through ``progress``, and a clean Ctrl-C that leaves no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest

from voicelab.analysis import pool
from voicelab.analysis.experiments import _chunks, monte_carlo, speculation_tradeoff, sweep
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.stages.speculative import Speculation, speculation_metrics
from voicelab.turntaking.interruptions import BargeIn

pytestmark = pytest.mark.skipif(not pool.available(), reason="no worker processes here")


def _arrays(result) -> dict[str, tuple[list[str], bytes]]:
    return {part: (list(values), b"".join(v.tobytes() for v in values.values()))
            for part, values in (("metrics", result.metrics), ("budgets", result.budget_values),
                                 ("extra", result.extra), ("components", result.components))}


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    {"jitter": 2.0, "tail": "pareto"},
    {"barge_in": BargeIn(0.4, burst_s=0.15)},
    {"preset": "production", "extract": speculation_metrics,
     "pipeline": partial(StreamingPipeline, speculation=Speculation(0.3))},
], ids=["pareto", "barge-in noise", "speculation extract"])
def test_the_values_do_not_depend_on_the_number_of_processes(options):
    one = monte_carlo(150, seed=7, progress=False, workers=1, **options)
    two = monte_carlo(150, seed=7, progress=False, workers=2, **options)
    three = monte_carlo(150, seed=7, progress=False, workers=3, **options)
    assert _arrays(one) == _arrays(two) == _arrays(three)
    assert len(pool.pids()) >= 3  # the processes really ran (and stay for the next call)


def test_a_sweep_over_processes_gives_the_in_process_points():
    assert (sweep("asr.rtf", [0.2, 1.2], 60, progress=False, workers=2).as_dict()
            == sweep("asr.rtf", [0.2, 1.2], 60, progress=False, workers=1).as_dict())


class _Counting(ThreadPoolExecutor):
    """A thread pool that counts the calls it is given and the most of them outstanding at once."""

    def __init__(self) -> None:
        super().__init__(2)
        self.calls, self.outstanding, self.most = 0, 0, 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        self.outstanding += 1
        self.most = max(self.most, self.outstanding)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, future) -> None:
        self.outstanding -= 1


def test_a_sweep_and_a_speculation_tradeoff_share_all_their_turns_in_one_go():
    with _Counting() as executor:
        swept = sweep("asr.rtf", [0.2, 0.6, 1.2], 40, progress=False, workers=2, executor=executor)
        assert executor.calls == len(_chunks([40] * 3, 2)) > 3  # every value's turns, cut into chunks
        assert executor.most > 3  # handed over together, not one value after another
    assert swept.as_dict() == sweep("asr.rtf", [0.2, 0.6, 1.2], 40, progress=False, workers=1).as_dict()
    with _Counting() as executor:
        two = speculation_tradeoff([0.1, 0.3], 30, workers=2, executor=executor)
        assert executor.calls == len(_chunks([30] * 3, 2))
    assert vars(two) == vars(speculation_tradeoff([0.1, 0.3], 30, workers=1))


@pytest.mark.parametrize(("sizes", "workers"), [([1000], 2), ([150] * 5, 2), ([7, 300, 2], 3), ([5000], 1)])
def test_chunks_cover_every_turn_once_in_order_and_shrink_toward_the_end(sizes, workers):
    chunks = _chunks(sizes, workers)
    for run, size in enumerate(sizes):
        mine = [(first, count) for index, first, count in chunks if index == run]
        assert [first for first, _ in mine] == list(np.cumsum([0] + [count for _, count in mine[:-1]]))
        assert sum(count for _, count in mine) == size
    counts = [count for _, _, count in chunks]
    assert max(counts) <= 2_000 and counts[0] >= counts[-1]
    assert len(chunks) > 2 * workers or sum(sizes) < 40 * workers  # enough chunks for the workers to even out


@pytest.mark.parametrize("bad", [0, 65, 1.5, "2", True, -1])
def test_workers_outside_its_range_is_refused_naming_it(bad):
    with pytest.raises(ConfigError, match=r"workers must be an integer in \[1, 64\]"):
        monte_carlo(10, workers=bad)
    with pytest.raises(ConfigError, match="workers must be"):
        sweep("asr.rtf", [0.2], 10, workers=bad)


def test_a_bad_progress_is_refused():
    with pytest.raises(ConfigError, match="progress must be"):
        monte_carlo(10, progress="yes")


class _Local:
    """Stands for a class defined in a notebook cell (its module is ``__main__``)."""


_Local.__module__ = "__main__"


def test_what_a_worker_cannot_take_stays_in_this_process():
    assert pool.payload(lambda trace, turn: {}) is None
    assert pool.payload(_Local) is None
    assert pool.payload(speculation_metrics) is not None
    seen: list[int] = []

    def extract(trace, turn):  # a closure: runs in this process, so it sees every turn
        seen.append(turn)
        return {"one": 1.0}

    result = monte_carlo(40, seed=2, progress=False, workers=2, extract=extract)
    assert len(seen) == 40 and list(result.extra["one"]) == [1.0] * 40
    plain = monte_carlo(40, seed=2, progress=False, workers=1)
    assert result.metrics["voice_to_voice"].tobytes() == plain.metrics["voice_to_voice"].tobytes()


class _Enough(Exception):
    pass


def test_progress_reports_every_worker_and_raising_from_it_stops_the_run():
    counts: list[int] = []
    monte_carlo(200, seed=1, workers=2, progress=counts.append)
    assert counts == sorted(counts) and counts[-1] == 200

    def stop(done: int) -> None:
        if done:
            raise _Enough

    started = time.monotonic()
    with pytest.raises(_Enough):
        monte_carlo(20_000, seed=1, workers=2, progress=stop)
    assert time.monotonic() - started < 30  # stopped long before 20,000 turns
    again = monte_carlo(60, seed=3, workers=2, progress=False)  # the pool still serves
    assert again.metrics["voice_to_voice"].tobytes() == monte_carlo(
        60, seed=3, workers=1, progress=False).metrics["voice_to_voice"].tobytes()


def failing_extract(trace, turn):
    raise ValueError("broken extract")


def test_an_error_in_a_worker_is_raised_here():
    with pytest.raises(ValueError, match="broken extract"):
        monte_carlo(100, workers=2, progress=False, extract=failing_extract)
    assert monte_carlo(60, workers=2, progress=False).turns == 60


def test_ctrl_c_stops_the_workers_quietly_and_leaves_no_process():
    script = textwrap.dedent("""
        import sys
        from voicelab.analysis import pool
        from voicelab.analysis.experiments import monte_carlo
        def started(done):
            if done and not started.said:
                started.said = True
                print(*pool.pids(), flush=True)
        started.said = False
        try:
            monte_carlo(200_000, workers=2, progress=started)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert process.stdout is not None
    pids = [int(p) for p in process.stdout.readline().split()]
    assert len(pids) == 2
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert out.strip() == "stopped"
    assert err == ""
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_seeds_and_order_are_kept_across_chunks():
    result = monte_carlo(130, seed=9, workers=2, progress=False, keep_traces=False)
    assert np.array_equal(result.seeds, monte_carlo(130, seed=9, workers=1, progress=False).seeds)
    assert result.turns == 130 and all(len(v) == 130 for v in result.metrics.values())


@pytest.mark.parametrize(("argv", "message"), [
    (["montecarlo", "--turns", "10", "--workers", "0"], "--workers must be an integer in [1, 64]; got 0"),
    (["montecarlo", "--turns", "10", "--workers", "65"], "--workers must be an integer in [1, 64]; got 65"),
    (["montecarlo", "--turns", "10", "--workers", "1.5"], "--workers must be an integer; got '1.5'"),
    (["sweep", "--param", "asr.rtf", "--values", "0.2", "--turns", "10", "--workers", "two"],
     "--workers must be a number; got 'two'"),
])
def test_the_cli_refuses_a_bad_workers_in_one_line(capsys, argv, message):
    from voicelab.cli.main import main

    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip().endswith(message) and len(err.strip().splitlines()) == 1


def test_the_cli_gives_the_same_numbers_with_any_workers(capsys):
    import json

    from voicelab.cli.main import main

    docs = []
    for workers in ("1", "2"):
        assert main(["montecarlo", "--turns", "120", "--seed", "4", "--workers", workers, "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        docs.append({k: v for k, v in doc.items() if k not in ("wall_s", "turns_per_s")})
    assert docs[0] == docs[1]


def test_in_the_browser_a_run_stays_in_this_process(monkeypatch):
    monkeypatch.setattr(pool, "in_browser", lambda: True)
    assert not pool.available()

    def no_process(*args, **kwargs):
        raise AssertionError("a process was started in the browser")

    monkeypatch.setattr(pool, "_start", no_process)
    browser = monte_carlo(600, seed=5, progress=False, workers=2)
    assert browser.metrics["voice_to_voice"].tobytes() == monte_carlo(
        600, seed=5, progress=False, workers=1).metrics["voice_to_voice"].tobytes()

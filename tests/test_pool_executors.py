"""Any concurrent.futures Executor runs a Monte Carlo, a sweep or a speculation trade-off with the values of one
process: a thread pool, the project's own worker pool, and a dask.distributed cluster (two worker processes on
this machine, as a cluster of machines would run it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from voicelab.analysis import pool
from voicelab.analysis.experiments import monte_carlo, speculation_tradeoff, sweep
from voicelab.engine.validation import ConfigError
from voicelab.turntaking.interruptions import BargeIn


def _bytes(result) -> bytes:
    return b"".join(values.tobytes() for part in (result.metrics, result.budget_values, result.components,
                                                  result.extra) for values in part.values())


@pytest.fixture(scope="module")
def dask_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        yield client.get_executor()


@pytest.mark.slow
def test_a_sweep_on_a_dask_cluster_gives_the_values_of_one_process(dask_executor):
    options = {"seed": 3, "jitter": 2.0, "progress": False}
    here = sweep("llm.ttft_s", [0.2, 0.5, 0.9], 80, workers=1, **options)
    counts: list[int] = []
    there = sweep("llm.ttft_s", [0.2, 0.5, 0.9], 80, executor=dask_executor, **{**options, "progress": counts.append})
    assert there.as_dict() == here.as_dict()
    assert counts == sorted(counts) and counts[-1] == 240  # progress moves as the chunks come back
    barge = monte_carlo(120, seed=5, barge_in=BargeIn(0.4), executor=dask_executor, progress=False)
    assert _bytes(barge) == _bytes(monte_carlo(120, seed=5, barge_in=BargeIn(0.4), workers=1, progress=False))


class _Enough(Exception):
    pass


def test_raising_from_progress_cancels_a_run_on_a_dask_cluster(dask_executor):
    def stop(done: int) -> None:
        if done:
            raise _Enough

    started = time.monotonic()
    with pytest.raises(_Enough):
        monte_carlo(200_000, seed=1, executor=dask_executor, progress=stop)
    assert time.monotonic() - started < 60  # long before 200,000 turns
    assert monte_carlo(40, executor=dask_executor, progress=False).turns == 40  # and the cluster still serves


def test_a_thread_pool_gives_the_values_of_one_process():
    with ThreadPoolExecutor(3) as executor:
        threads = monte_carlo(150, seed=7, jitter=2.0, tail="pareto", executor=executor, workers=3, progress=False)
        tradeoff = speculation_tradeoff([0.2], 40, executor=executor)
    assert _bytes(threads) == _bytes(monte_carlo(150, seed=7, jitter=2.0, tail="pareto", workers=1, progress=False))
    assert vars(tradeoff) == vars(speculation_tradeoff([0.2], 40, workers=1))


@pytest.mark.skipif(not pool.available(), reason="no worker processes here")
def test_a_worker_pool_of_ones_own_keeps_traces_and_closes():
    executor = pool.WorkerPool(2)
    with executor:
        kept = monte_carlo(60, seed=2, keep_traces=True, executor=executor, progress=False)
        pids = executor.pids()
        assert len(pids) == 2
    assert executor.pids() == []
    alone = monte_carlo(60, seed=2, keep_traces=True, workers=1, progress=False)
    assert [t.to_dict() for t in kept.traces] == [t.to_dict() for t in alone.traces]


@pytest.mark.parametrize("bad", ["pool", 2, True, ThreadPoolExecutor])
def test_an_executor_that_is_not_one_is_refused_naming_it(bad):
    with pytest.raises(ConfigError, match=r"executor must be a concurrent.futures.Executor .*; got"):
        monte_carlo(10, executor=bad)
    with pytest.raises(ConfigError, match="executor must be"):
        sweep("asr.rtf", [0.2], 10, executor=bad)
    with pytest.raises(ConfigError, match="executor must be"):
        speculation_tradeoff([0.2], 10, executor=bad)


@pytest.mark.parametrize(("options", "field"), [({"max_workers": 0}, "max_workers"), ({"max_workers": 65},
                                                                                         "max_workers"),
                                                 ({"max_workers": "2"}, "max_workers"),
                                                 ({"deadline_s": 0.1}, "deadline_s"),
                                                 ({"deadline_s": True}, "deadline_s")])
def test_a_worker_pool_refuses_bad_settings_naming_them(options, field):
    with pytest.raises(ConfigError, match=f"{field} must be"):
        pool.WorkerPool(**options)


_CTRL_C_TRIALS = textwrap.dedent("""
    import os, random, signal, threading, time
    from concurrent.futures import ThreadPoolExecutor
    from voicelab.analysis.experiments import _share

    def interrupt(*_):
        raise KeyboardInterrupt

    rng, stuck = random.Random(0), 0
    for _ in range(15):
        executor = ThreadPoolExecutor(2)
        signal.signal(signal.SIGALRM, interrupt)
        signal.setitimer(signal.ITIMER_REAL, rng.uniform(0.01, 0.15))
        try:
            _share(executor, [(time.sleep, 0.0002)] * 3000, [1] * 3000, lambda done: None)
        except KeyboardInterrupt:
            pass
        signal.setitimer(signal.ITIMER_REAL, 0)
        ender = threading.Thread(target=executor.shutdown, kwargs={"cancel_futures": True}, daemon=True)
        ender.start()
        ender.join(3)
        stuck += ender.is_alive()
    print(stuck, flush=True)
    os._exit(0)  # a stuck executor's threads would keep the interpreter from exiting
""")


def test_a_ctrl_c_at_any_moment_of_a_run_leaves_the_executor_free_to_finish():
    # concurrent.futures.wait takes every future's lock in a Python loop: a Ctrl-C inside it left some held, and
    # the executor's threads blocked on them for ever (8 of these 15 runs, before).
    process = subprocess.run([sys.executable, "-c", _CTRL_C_TRIALS], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert process.stdout.split() == ["0"], process.stdout + process.stderr

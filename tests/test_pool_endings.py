"""The worker pool's bad endings, checked by process id: a worker killed or stopped (SIGSTOP) mid-run fails the
run with one line naming it, and no worker outlives any ending (a result, an error, Ctrl-C, SIGTERM, a lost
worker). Each run is long (hundreds of thousands of turns) and is cut short, so each test takes a few seconds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from voicelab.analysis import pool
from voicelab.analysis.experiments import monte_carlo
from voicelab.analysis.pool import WorkerLost, WorkerPool

pytestmark = pytest.mark.skipif(not pool.available() or not Path("/proc").is_dir(),
                                reason="needs worker processes and /proc")

LONG = 300_000  # turns: far more than a test waits for


def _alive(pid: int) -> bool:
    """A process that runs (or is stopped): not gone, not a zombie nobody collected."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _all_gone(pids: list[int], within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(pid) for pid in pids)


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (the workers of a command run in a subprocess)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _said(err: str) -> list[str]:
    """What a command printed on stderr, without its progress bar."""
    lines = (line.strip() for line in err.replace("\r", "\n").splitlines())
    return [line for line in lines if line and not line.startswith("Monte Carlo:")]


def _when_running(executor: WorkerPool, then):
    """A progress callback that calls ``then(pids)`` once, when both workers have started turns."""
    def progress(done: int) -> None:
        if done and not progress.fired and len(executor.pids()) == 2:
            progress.fired = True
            then(executor.pids())
    progress.fired = False
    return progress


def test_a_worker_killed_mid_run_fails_it_in_one_line_naming_the_worker_and_the_other_is_reaped():
    executor = WorkerPool(2)
    seen: list[int] = []
    killed = _when_running(executor, lambda pids: (seen.extend(pids), os.kill(pids[0], signal.SIGKILL)))
    started = time.monotonic()
    with pytest.raises(WorkerLost) as lost:
        monte_carlo(LONG, workers=2, executor=executor, progress=killed)
    assert time.monotonic() - started < 30
    message = str(lost.value)
    assert re.fullmatch(rf"worker process \d \(pid {seen[0]}\) died \(killed by SIGKILL\)", message), message
    assert _all_gone(seen)
    with pytest.raises(WorkerLost, match="died"):  # a broken pool says why, and runs nothing more
        executor.submit(print)


def test_a_stopped_worker_is_found_by_its_heartbeat_and_fails_the_run_in_one_line():
    executor = WorkerPool(2, deadline_s=1.0)
    seen: list[int] = []
    stopped = _when_running(executor, lambda pids: (seen.extend(pids), os.kill(pids[1], signal.SIGSTOP)))
    started = time.monotonic()
    try:
        with pytest.raises(WorkerLost) as lost:
            monte_carlo(LONG, workers=2, executor=executor, progress=stopped)
    finally:
        for pid in seen:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)  # only if the pool failed to
    assert time.monotonic() - started < 30
    assert re.fullmatch(rf"worker process \d \(pid {seen[1]}\) stopped answering \(no heartbeat for \d+\.\d s; "
                        r"stopped or hung\)", str(lost.value)), str(lost.value)
    assert _all_gone(seen)


def test_the_shared_pool_starts_afresh_after_a_lost_worker():
    monte_carlo(600, workers=2, progress=False)
    victim = pool.shared(2).pids()[0]
    os.kill(victim, signal.SIGKILL)  # between runs: the next run gets a fresh worker
    # Dead once the pool can reap it: its leader shows as a zombie while its other threads still exit (the socket
    # open, nothing to reap), and a call handed to it then is a death mid-run, which fails that run by design.
    deadline = time.monotonic() + 10
    while victim in pool.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert victim not in pool.pids() and _all_gone([victim])
    again = monte_carlo(600, seed=4, workers=2, progress=False)
    assert again.metrics["voice_to_voice"].tobytes() == monte_carlo(
        600, seed=4, workers=1, progress=False).metrics["voice_to_voice"].tobytes()


def test_cancelling_a_call_stops_it_in_its_worker():
    executor = WorkerPool(1)
    try:
        future = executor.submit(_count_forever)
        deadline = time.monotonic() + 20
        while future.progress == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert future.progress > 0  # running, and reporting
        assert future.cancel()
        assert executor.submit(pow, 2, 10).result(timeout=20) == 1024  # the worker is free again
        assert len(executor.pids()) == 1
    finally:
        executor.shutdown()
    assert executor.pids() == []


def _count_forever() -> None:
    done = 0
    while True:
        done += 1
        pool.report(done)
        time.sleep(0.001)


# -- every ending of a program, by the workers' process ids -----------------------------------------------------

_PROGRAM = textwrap.dedent("""
    import operator, sys
    from voicelab.analysis import pool
    from voicelab.analysis.experiments import monte_carlo
    try:
        if sys.argv[1] == "result":
            monte_carlo(600, workers=2, progress=False)
        else:  # extract(trace, 0) raises TypeError in the workers (itemgetter takes one argument)
            monte_carlo(600_000, workers=2, progress=False, extract=operator.itemgetter(5))
    finally:
        print(*pool.pids(), flush=True)
""")


@pytest.mark.parametrize("how", ["result", "error"])
def test_no_worker_outlives_a_program_that_ends(how):
    process = subprocess.run([sys.executable, "-c", _PROGRAM, how], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    pids = [int(p) for p in process.stdout.split()]
    assert len(pids) == 2, process.stderr
    assert process.returncode == (0 if how == "result" else 1)
    if how == "error":
        assert "TypeError: itemgetter expected 1 argument, got 2" in process.stderr
    assert _all_gone(pids)


def _command(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "voicelab", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _workers_of(process: subprocess.Popen[str], count: int = 2) -> list[int]:
    deadline = time.monotonic() + 30
    while len(pids := _children(process.pid)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == count
    time.sleep(1.0)  # well into the run
    return pids


def test_the_command_line_says_which_worker_died_in_one_line_and_reaps_the_other():
    process = _command("montecarlo", "--turns", "1000000", "--workers", "2")
    pids = _workers_of(process)
    os.kill(pids[0], signal.SIGKILL)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    said = _said(err)
    assert len(said) == 1 and re.fullmatch(rf"python -m voicelab montecarlo: error: worker process \d \(pid "
                                           rf"{pids[0]}\) died \(killed by SIGKILL\)", said[0]), err
    assert _all_gone(pids)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_no_worker_outlives_a_stopped_command(sig):
    process = _command("montecarlo", "--turns", "1000000", "--workers", "2")
    pids = _workers_of(process)
    process.send_signal(sig)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert _said(err) == ["python -m voicelab montecarlo: interrupted"]
    assert _all_gone(pids)


def test_no_stopped_worker_outlives_a_stopped_command():
    process = _command("montecarlo", "--turns", "1000000", "--workers", "2")
    pids = _workers_of(process)
    os.kill(pids[0], signal.SIGSTOP)
    try:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        assert process.returncode == 130
        assert _all_gone(pids)
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_pool_whose_thread_is_stuck_still_has_its_workers_killed_at_exit():
    workers = WorkerPool(1)
    future = workers.submit(time.sleep, 60)
    deadline = time.monotonic() + 60
    while not workers.pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = workers.pids()
    future._condition.acquire()  # what a Ctrl-C in the middle of concurrent.futures.wait used to leave held
    try:
        workers.shutdown(wait=False, cancel_futures=True)
        workers.kill_after(0.5)  # its thread now waits for that lock: the exit does not
        assert len(pids) == 1 and _all_gone(pids, within_s=0.0)
    finally:
        future._condition.release()

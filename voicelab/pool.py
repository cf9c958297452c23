"""Worker processes for long Monte Carlo runs: both cores, and results that do not depend on how many.

The pool starts lazily and stays for later calls, so a dashboard's slider move does not pay process
start-up. Each worker is a fresh interpreter (never a fork of a process that may hold threads, so nothing
warns in a notebook kernel, and the caller's script or notebook is not re-imported) that imports voicelab
and serves chunks over a socket. A job is split into chunks that the workers take in turn; a chunk's result
depends only on its own inputs, so the assembled result is the same for any number of workers.

The caller's thread drives it with no thread of its own: it waits on the workers' sockets, relays their
progress, and on Ctrl-C or an error tells them to stop (they check between turns) before it raises. Workers
run in their own session and ignore Ctrl-C (the caller stops them, so a terminal's Ctrl-C prints nothing
from them) and exit quietly when the caller goes away. In the browser there are no processes: callers run
in-process (:func:`available`).
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .jupyterlite import in_browser

MAX_WORKERS = 64
_STOP_GRACE_S = 2.0  # a worker that has not stopped this long after being told is terminated
_POLL_S = 0.05  # how often the caller relays progress (and lets its callback cancel) while it waits
_PROGRESS_S = 0.025  # how often a worker reports its progress (it checks for "stop" at every report)

# A chunk function: ``function(payload, args, report)`` returns the chunk's result; it calls ``report(done)``
# every few items, which may raise to stop it (the worker passes it on every few hundredths of a second, and
# the last count with the result).
ChunkFunction = Callable[[Any, Any, Callable[[int], None]], Any]


class _Stop(Exception):
    """The caller asked this worker to stop its chunk."""


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def available() -> bool:
    """Whether worker processes can run here: not in the browser, and a POSIX system (where a socket can be
    handed to a child process)."""
    return not in_browser() and os.name == "posix" and bool(sys.executable)


def payload(value: Any) -> bytes | None:
    """``value`` pickled for the workers, or None when they could not use it: it does not pickle (a lambda, a
    closure) or it names something from ``__main__`` (a class defined in a notebook cell or a script)."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return None
    return None if b"__main__" in data else data


class _Reporter:
    """A chunk's ``report(done)`` in a worker: passes the count on every ``_PROGRESS_S`` (not at every call: each
    message wakes the caller, which shares the cores with the workers) and stops the chunk when told to."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.done, self.sent = conn, 0, time.monotonic()

    def __call__(self, done: int) -> None:
        self.done = done
        if time.monotonic() - self.sent >= _PROGRESS_S:
            self.conn.send(("progress", done))
            self.sent = time.monotonic()
        if self.conn.poll():
            self.conn.recv()  # the only message a busy worker gets is "stop"
            raise _Stop


def _serve(conn: Connection) -> None:
    """A worker: run chunks until the caller says None or goes away."""
    cached: tuple[bytes, Any] = (b"", None)
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            if job == "stop":  # it had finished before the stop arrived
                conn.send(("stopped",))
                continue
            function, data, args = job
            if data != cached[0]:
                cached = (data, pickle.loads(data))

            report = _Reporter(conn)
            started = time.process_time()
            try:
                result = function(cached[1], args, report)
            except _Stop:
                conn.send(("stopped",))
                continue
            except Exception as exc:
                conn.send(("error", exc if payload(exc) is not None else RuntimeError(repr(exc))))
                continue
            conn.send(("done", result, time.process_time() - started, report.done))
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the caller went away: leave quietly


def main(fd: int) -> None:
    """A worker process's entry point: serve on the socket ``fd`` (``python -c``, see :func:`_start`)."""
    _serve(Connection(fd))


# Ctrl-C is ignored before anything else, so even one during start-up prints nothing.
_BOOT = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import json, sys; "
         "sys.path[:0] = json.loads(sys.argv[2]); from voicelab.pool import main; main(int(sys.argv[1]))")


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection


_lock = threading.Lock()
_workers: list[_Worker] = []
cpu_s = 0.0  # CPU seconds the workers spent in chunks, over all jobs (benchmarks read it)


def _start() -> _Worker:
    ours, theirs = socket.socketpair()
    try:
        path = [str(Path(__file__).resolve().parents[1]), *sys.path]
        process = subprocess.Popen([sys.executable, "-c", _BOOT, str(theirs.fileno()), json.dumps(path)],
                                   pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        theirs.close()
    return _Worker(process, Connection(ours.detach()))


def _grow(count: int) -> list[_Worker]:
    """At least ``count`` live workers (the dead are dropped); the first ``count`` of them."""
    for worker in [w for w in _workers if w.process.poll() is not None]:
        _drop(worker)
    while len(_workers) < count:
        _workers.append(_start())
    return _workers[:count]


def pids() -> list[int]:
    """The process ids of the live workers."""
    return [w.process.pid for w in _workers if w.process.poll() is None]


def _drop(worker: _Worker) -> None:
    if worker in _workers:
        _workers.remove(worker)
    if worker.process.poll() is None:
        worker.process.terminate()
    try:
        worker.process.wait(1.0)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
    worker.conn.close()


def _stop(busy: dict[Connection, tuple[_Worker, int]]) -> None:
    """Tell every busy worker to stop and wait until each says so (or drop it after a grace period)."""
    for conn, (worker, _) in list(busy.items()):
        try:
            conn.send("stop")
        except OSError:
            _drop(worker)
            del busy[conn]
    deadline = time.monotonic() + _STOP_GRACE_S
    while busy:
        left = deadline - time.monotonic()
        ready: list[Any] = wait(list(busy), timeout=max(left, 0.0))
        if not ready:
            for worker, _ in busy.values():
                _drop(worker)
            return
        for conn in ready:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = ("stopped",)
                _drop(busy[conn][0])
            if message[0] == "stopped":
                del busy[conn]


def run_chunks(function: ChunkFunction, data: bytes, chunks: Sequence[Any], workers: int,
               on_progress: Callable[[int], None] | None = None) -> list[Any]:
    """``[function(unpickled data, chunk, report) for chunk in chunks]``, computed by ``workers`` processes.

    ``on_progress(done)`` gets the sum of what the chunks reported, every few hundredths of a second; whatever
    it raises (or a KeyboardInterrupt) stops the workers and is raised here. An error in a chunk is raised
    here too, after the other workers stopped.
    """
    global cpu_s
    results: list[Any] = [None] * len(chunks)
    with _lock:
        pool = _grow(min(workers, len(chunks)))
        done = [0] * len(chunks)
        todo = deque(range(len(chunks)))
        busy: dict[Connection, tuple[_Worker, int]] = {}

        def give(worker: _Worker) -> None:
            index = todo.popleft()
            worker.conn.send((function, data, chunks[index]))
            busy[worker.conn] = (worker, index)

        try:
            for worker in pool:
                if todo:
                    give(worker)
            while busy:
                ready: list[Any] = wait(list(busy), timeout=_POLL_S)
                for conn in ready:
                    worker, index = busy[conn]
                    try:
                        message = conn.recv()
                    except (EOFError, OSError):
                        del busy[conn]
                        _drop(worker)
                        raise RuntimeError(f"a worker process stopped unexpectedly (exit code "
                                           f"{worker.process.returncode})") from None
                    if message[0] == "progress":
                        done[index] = message[1]
                        continue
                    del busy[conn]
                    if message[0] == "error":
                        error: BaseException = message[1]
                        raise error
                    results[index], done[index] = message[1], message[3]
                    cpu_s += message[2]
                    if todo:
                        give(worker)
                if on_progress is not None:
                    on_progress(sum(done))
        except BaseException:
            _stop(busy)
            raise
    return results


def shutdown() -> None:
    """Stop every worker (at exit, or to free the processes)."""
    if not _lock.acquire(timeout=1.0):  # a run still in progress (in a daemon thread): the OS ends its workers
        return
    try:
        for worker in list(_workers):
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in list(_workers):
            try:
                worker.process.wait(1.0)
            except subprocess.TimeoutExpired:
                pass
            _drop(worker)
    finally:
        _lock.release()


atexit.register(shutdown)

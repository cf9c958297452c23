"""Worker processes behind the standard :class:`concurrent.futures.Executor` interface: :class:`WorkerPool`.

Long Monte Carlo runs share their turns over every core through any Executor (``executor=``: this pool, a
``ThreadPoolExecutor``, a ``dask.distributed`` client's ``get_executor()``); this one is the default. Each
worker is a fresh interpreter (never a fork of a process that may hold threads, and the caller's script or
notebook is not re-imported) that imports voicelab and runs the calls it is sent over a socket. The pool
starts its workers lazily and keeps them for later calls (:func:`shared`), so a dashboard's slider move does
not pay process start-up.

What it adds to the interface, and why:

- A call reports progress with :func:`report` (a no-op outside a worker); its future's ``progress`` holds the
  last count. ``future.cancel()`` also stops a call that is already running, at its next report.
- A busy worker says it is alive every :data:`HEARTBEAT_S` (a thread of its own). A worker that dies, or that
  stays silent for ``deadline_s`` (stopped, hung), breaks the pool: its workers are killed and reaped, and every
  call fails with :class:`WorkerLost`, one line naming the worker and what happened to it.
- Nothing is left behind: workers run in their own session and ignore Ctrl-C (the caller stops them), leave
  when the caller goes away (their socket closes), and on Linux are killed by the kernel if it dies outright.

In the browser there are no processes: callers run in-process (:func:`available`).
"""

from __future__ import annotations

import atexit
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..engine.jupyterlite import in_browser
from ..engine.validation import check_number

MAX_WORKERS = 64
HEARTBEAT_S = 0.2  # a busy worker says it is alive this often
DEADLINE_S = 10.0  # a busy worker silent for this long is taken for stopped or hung
START_S = 60.0  # the same for a worker still starting (an interpreter importing voicelab on a loaded machine)
_STOP_GRACE_S = 2.0  # a worker that has not stopped this long after being told is killed
EXIT_S = 10.0  # at exit, the pool's thread has this long to stop its workers before they are killed outright
_PROGRESS_S = 0.025  # how often a worker passes its call's progress on (it checks for "stop" then)


class WorkerLost(RuntimeError):
    """A worker process died or stopped answering: the pool is broken and its calls failed (the message is one
    line naming the worker and what happened to it)."""


class _Stop(Exception):
    """The caller asked this worker to stop its call."""


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


# -- the worker's side ------------------------------------------------------------------------------------------

_reporter: Callable[[int], None] | None = None  # set in a worker process while it runs a call


def report(done: int) -> None:
    """A call running in a worker passes on its progress (``done`` items so far); it raises to stop the call when
    the caller cancelled it. Does nothing elsewhere (in-process, or on another Executor)."""
    if _reporter is not None:
        _reporter(done)


class _Link:
    """A worker's end of its socket: sends from the call and from the heartbeat thread, one at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.lock, self.busy = conn, threading.Lock(), threading.Event()
        self.done, self.sent = 0, time.monotonic()

    def send(self, message: Any) -> None:
        with self.lock:
            self.conn.send(message)

    def beat(self) -> None:
        """The heartbeat thread: "alive" every HEARTBEAT_S while a call runs; the caller gone, leave at once."""
        while True:
            time.sleep(HEARTBEAT_S)
            if self.busy.is_set():
                try:
                    self.send(("alive",))
                except OSError:
                    os._exit(0)

    def progress(self, done: int) -> None:
        """:func:`report` in this worker: the count every _PROGRESS_S, and a "stop" from the caller raised."""
        self.done = done
        if time.monotonic() - self.sent >= _PROGRESS_S:
            self.send(("progress", done))
            self.sent = time.monotonic()
        if self.conn.poll():
            self.conn.recv()  # the only message a busy worker gets is "stop"
            raise _Stop


def _serve(link: _Link) -> None:
    """A worker: run calls until the caller says None or goes away."""
    global _reporter
    threading.Thread(target=link.beat, daemon=True).start()
    _reporter = link.progress
    try:
        link.send(("alive",))  # started: from now on its heartbeat counts
        while True:
            job = link.conn.recv()
            if job is None:
                return
            if job == "stop":  # it had finished before the stop arrived (and said so): nothing to stop
                continue
            link.done, link.sent = 0, time.monotonic()
            link.busy.set()
            started = time.process_time()
            try:
                function, args, kwargs = pickle.loads(job)
                result = function(*args, **kwargs)
            except _Stop:
                message: tuple[Any, ...] = ("stopped",)
            except Exception as exc:
                message = ("error", exc if payload(exc) is not None else RuntimeError(repr(exc)))
            else:
                message = ("done", result, time.process_time() - started, link.done)
            link.busy.clear()
            try:
                link.send(message)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # before any byte was sent
                link.send(("error", RuntimeError(f"the call's outcome cannot be sent back: {exc}")))
    except (EOFError, OSError, KeyboardInterrupt):
        return  # the caller went away: leave quietly


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the thread that started it ends (the caller died)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before that took effect
        os._exit(0)


def main(fd: int, parent: int = 0) -> None:
    """A worker process's entry point: serve on the socket ``fd`` (``python -c``, see :func:`_start`)."""
    if parent:
        _die_with_parent(parent)
    _serve(_Link(Connection(fd)))


# Ctrl-C is ignored before anything else, so even one during start-up prints nothing.
_BOOT = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); import json, sys; "
         "sys.path[:0] = json.loads(sys.argv[3]); from voicelab.analysis.pool import main; "
         "main(int(sys.argv[1]), int(sys.argv[2]))")


# -- the caller's side ------------------------------------------------------------------------------------------


class PoolFuture(Future):
    """A :class:`WorkerPool` call's future; ``progress`` is the last count the call passed to :func:`report`."""

    progress: int = 0


@dataclass(eq=False)
class _Call:
    future: PoolFuture
    data: bytes
    worker: _Worker | None = None
    stopping: float | None = None  # when the worker was told to stop it


@dataclass(eq=False)
class _Worker:
    number: int
    process: subprocess.Popen[bytes]
    conn: Connection
    call: _Call | None = None
    seen: float = field(default_factory=time.monotonic)  # the last word from it while busy
    started: bool = False  # it has said it is up

    def name(self) -> str:
        return f"worker process {self.number} (pid {self.process.pid})"


def _start(number: int) -> _Worker:
    ours, theirs = socket.socketpair()
    try:
        path = [str(Path(__file__).resolve().parents[1]), *sys.path]
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(theirs.fileno()), str(os.getpid()), json.dumps(path)],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        theirs.close()
    return _Worker(number, process, Connection(ours.detach()))


def exit_status(returncode: int | None) -> str:
    """A process's end in words: "exit status 3", "killed by SIGKILL"."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _reap(worker: _Worker, kill: bool = False) -> None:
    """End ``worker``'s process (at once with ``kill``, else after a second's grace) and collect its status."""
    if worker.process.poll() is None:
        worker.process.kill() if kill else worker.process.terminate()
    try:
        worker.process.wait(1.0)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
    worker.conn.close()


class WorkerPool(Executor):
    """An Executor on up to ``max_workers`` worker processes (default: one per core), started as calls come.

    ``submit(fn, *args)`` pickles the call (``fn`` must be importable by name in a fresh interpreter: nothing
    from ``__main__``) and returns a :class:`PoolFuture`. A busy worker silent for ``deadline_s`` seconds, or
    one that dies, breaks the pool (:class:`WorkerLost`). A thread of the pool's own talks to the workers.
    """

    def __init__(self, max_workers: int | None = None, *, deadline_s: float = DEADLINE_S) -> None:
        self.max_workers = cpu_count() if max_workers is None else int(
            check_number("max_workers", max_workers, 1, MAX_WORKERS, integer=True, unit="(processes)"))
        self.deadline_s = check_number("deadline_s", deadline_s, 4 * HEARTBEAT_S, 3600.0, unit="s")
        self.cpu_s = 0.0  # CPU seconds the workers spent in calls (benchmarks read it)
        self._lock = threading.RLock()
        self._queue: deque[_Call] = deque()
        self._calls: set[_Call] = set()  # in a worker
        self._workers: list[_Worker] = []
        self._started = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread: threading.Thread | None = None
        self._closing = False
        self.broken: str | None = None  # why the pool stopped serving

    # -- the Executor interface --------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> PoolFuture:
        """Run ``fn(*args, **kwargs)`` in a worker process; its future."""
        data = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        future = PoolFuture()
        with self._lock:
            if self.broken is not None:
                raise WorkerLost(self.broken)
            if self._closing:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._queue.append(_Call(future, data))
            if self._thread is None:
                self._thread = threading.Thread(target=self._drive, name="voicelab-pool", daemon=True)
                self._thread.start()
        future.add_done_callback(self._on_done)
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers once their calls are done (``cancel_futures``: drop the calls not started, stop the
        running ones); ``wait``: return only when every worker has exited."""
        with self._lock:
            self._closing = True
            calls = list(self._queue) + list(self._calls) if cancel_futures else []
            thread = self._thread
        for call in calls:
            call.future.cancel()
        self._wake()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def kill_after(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for the pool's thread to end, then kill and reap any worker still running
        (its list is read without the lock, which a stuck thread may hold)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        for worker in list(self._workers):
            _reap(worker, kill=True)

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.poll() is None]

    # -- the pool's thread -------------------------------------------------------------------------------------
    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or the pool is closed

    def _on_done(self, future: Future) -> None:
        if future.cancelled():
            self._wake()  # the thread tells the worker to stop it

    def _drive(self) -> None:
        """The pool's thread: hands out calls, relays what the workers say, watches their heartbeats."""
        try:
            while self._step():
                pass
        except WorkerLost as lost:
            self._break(str(lost))
        except BaseException as exc:  # a bug here must not leave callers waiting for ever
            self._break(f"the worker pool failed: {exc!r}")
        finally:
            self._close()

    def _step(self) -> bool:
        """One round; False when the pool is closing and every call is over."""
        with self._lock:
            self._dispatch()
            if self._closing and not self._queue and not self._calls:
                return False
            workers = {w.conn: w for w in self._workers}
        for call in list(self._calls):
            if call.future.cancelled() and call.stopping is None and call.worker is not None:
                self._send(call.worker, "stop")
                call.stopping = time.monotonic()
        for ready in wait([*workers, self._wake_r], timeout=HEARTBEAT_S):
            if ready is self._wake_r:
                try:
                    while self._wake_r.recv(4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
            elif isinstance(ready, Connection):
                self._hear_all(workers[ready])
        self._watch()
        return True

    def _dispatch(self) -> None:
        """Give queued calls to idle workers, starting workers up to ``max_workers`` (with the lock held)."""
        while self._queue:
            idle = next((w for w in self._workers if w.call is None), None)
            if idle is None:
                if len(self._workers) >= self.max_workers or self._closing:
                    return
                self._started += 1
                idle = _start(self._started)
                self._workers.append(idle)
            call = self._queue.popleft()
            if call.future.cancelled():
                call.future.set_running_or_notify_cancel()
                continue
            if idle.process.poll() is not None:  # it died while idle: replaced
                self._queue.appendleft(call)
                self._workers.remove(idle)
                _reap(idle)
                continue
            call.worker, idle.call, idle.seen = idle, call, time.monotonic()
            self._calls.add(call)
            self._send(idle, call.data)

    def _send(self, worker: _Worker, message: Any) -> None:
        try:
            worker.conn.send(message)
        except OSError:
            self._lost(worker)

    def _hear_all(self, worker: _Worker) -> None:
        """Everything ``worker`` said (before any deadline is judged)."""
        while True:
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                self._lost(worker)
                return
            self._hear(worker, message)
            if not worker.conn.poll():
                return

    def _hear(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        worker.seen, worker.started = time.monotonic(), True
        call = worker.call
        kind = message[0]
        if call is None or kind == "alive":
            return
        if kind == "progress":
            call.future.progress = message[1]
            return
        with self._lock:
            worker.call = None
            self._calls.discard(call)
        if not call.future.set_running_or_notify_cancel():
            return  # cancelled: whatever it says now is not wanted
        if kind == "done":
            call.future.progress = message[3]
            self.cpu_s += message[2]
            call.future.set_result(message[1])
        elif kind == "error":
            call.future.set_exception(message[1])
        else:  # stopped without being asked to (cannot happen): say so rather than wait for ever
            call.future.set_exception(RuntimeError(f"{worker.name()} stopped its call unasked"))

    def _lost(self, worker: _Worker) -> None:
        """``worker``'s socket closed: it died. Between calls that costs nothing (it is replaced); in one, the
        pool breaks."""
        worker.process.poll()
        if worker.process.returncode is None:
            try:
                worker.process.wait(1.0)
            except subprocess.TimeoutExpired:
                pass
        if worker.call is None or worker.call.stopping is not None:
            with self._lock:
                self._workers.remove(worker)
                if worker.call is not None:
                    self._calls.discard(worker.call)
                    worker.call.future.set_running_or_notify_cancel()
            _reap(worker, kill=True)
            return
        raise WorkerLost(f"{worker.name()} died ({exit_status(worker.process.returncode)})")

    def _watch(self) -> None:
        """Busy workers silent past the deadline break the pool; one that ignores a stop is killed."""
        now = time.monotonic()
        for worker in list(self._workers):
            call = worker.call
            if call is None:
                continue
            if now - worker.seen > (self.deadline_s if worker.started else max(START_S, self.deadline_s)):
                raise WorkerLost(f"{worker.name()} stopped answering (no heartbeat for {now - worker.seen:.1f} s; "
                                 f"stopped or hung)")
            if call.stopping is not None and now - call.stopping > _STOP_GRACE_S:
                with self._lock:
                    self._workers.remove(worker)
                    self._calls.discard(call)
                call.future.set_running_or_notify_cancel()
                _reap(worker, kill=True)

    def _break(self, why: str) -> None:
        """Kill and reap every worker, fail every call with :class:`WorkerLost` (``why``)."""
        with self._lock:
            self.broken = why
            workers, self._workers = self._workers, []
            calls = [*self._calls, *self._queue]
            self._calls.clear()
            self._queue.clear()
        for worker in workers:
            _reap(worker, kill=True)
        for call in calls:
            if call.future.set_running_or_notify_cancel():
                call.future.set_exception(WorkerLost(why))

    def _close(self) -> None:
        """Every worker told to leave, and waited for (killed after a grace period)."""
        with self._lock:
            workers, self._workers = self._workers, []
            self._thread = None
            self._closing = True
            self._wake_r.close()
            self._wake_w.close()
        for worker in workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + _STOP_GRACE_S
        for worker in workers:
            try:
                worker.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _reap(worker, kill=True)


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared(workers: int | None = None) -> WorkerPool:
    """The process's own pool of ``workers`` processes (default: one per core), kept for later calls; a new one
    when it broke, was shut down, or has a different size (the old one's workers then leave)."""
    global _shared
    workers = cpu_count() if workers is None else workers
    with _shared_lock:
        old = _shared
        if old is not None and old.broken is None and not old._closing and old.max_workers == workers:
            return old
        _shared = WorkerPool(workers)
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        return _shared


def pids() -> list[int]:
    """The process ids of the shared pool's live workers."""
    return [] if _shared is None else _shared.pids()


def cpu_s() -> float:
    """CPU seconds the shared pool's workers spent in calls (0 when there is none)."""
    return 0.0 if _shared is None else _shared.cpu_s


def shutdown() -> None:
    """Stop the shared pool's workers (at exit, or to free the processes). Bounded: should the pool's thread not
    finish within :data:`EXIT_S` (blocked on a lock a Ctrl-C left held in this thread), its workers are killed
    and reaped all the same, and the program exits."""
    if _shared is not None:
        _shared.shutdown(wait=False, cancel_futures=True)
        _shared.kill_after(EXIT_S)


atexit.register(shutdown)

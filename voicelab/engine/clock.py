"""The run's single source of time: virtual (deterministic, instant) or real.

Every stage asks its :class:`Clock` for the time and sleeps through it, never
through ``time.time()``. ``run(main, clock="virtual")`` executes ``main(clock)``
on an event loop whose clock jumps straight to the next timer when nothing is
ready, so a 5 s turn takes about a millisecond of wall time and gives the same
timeline every time. ``clock="realtime"`` runs on a normal loop and aims every
sleep at an absolute deadline, so sleep overshoot does not accumulate.

Both run inline, in the caller's thread, even inside a running event loop (a
notebook cell, the browser's page loop, or another run): no worker thread and,
for virtual time, no selector or self-pipe, so it also runs in Pyodide.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import signal
import sys
import threading
from asyncio.events import Handle as _Handle
from asyncio.events import TimerHandle as _TimerHandle
from asyncio.events import _get_running_loop, _set_running_loop
from asyncio.tasks import _enter_task, _leave_task
from asyncio.tasks import current_task as _current_task
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Literal, TypeVar

from .units import to_ns_grid  # virtual timestamps are kept on the nanosecond grid: 0.1 + 0.08 stays 0.18

T = TypeVar("T")
ClockMode = Literal["virtual", "realtime"]
CLOCK_MODES: tuple[str, ...] = ("virtual", "realtime")

# In real time, a task that sleeps again within this much of waking from its previous
# sleep keeps counting from that sleep's deadline (absolute scheduling), however late
# the wake-up was, so overshoot never accumulates; a task that spent longer since then
# (computing, or waiting on something else) counts from now.
_ANCHOR_SLACK_S = 0.003

_new = object.__new__
_copy_context = contextvars.copy_context

# (deadline of this task's last sleep, loop time when it woke from it)
_anchor: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("voicelab_anchor", default=None)


class DeadlockError(RuntimeError):
    """A virtual run in which every task waits for something that can never happen."""


class VirtualEventLoop(asyncio.BaseEventLoop):
    """An asyncio loop on virtual time: when nothing is ready, its clock jumps to the next timer.

    Idle waiting costs nothing and is exact. It has no selector and no self-pipe (so it runs
    where sockets and threads don't exist, such as Pyodide). With no timer pending it waits
    for work handed to threads (``run_in_executor``); with none of that either, the run is
    deadlocked and :class:`DeadlockError` says so instead of hanging.
    """

    # BaseEventLoop internals this loop drives (not in typeshed); tests/test_clock_asyncio_internals.py checks them.
    # (their handles' private fields, _when, _scheduled, _cancelled, are not in typeshed either: Any)
    _ready: deque[Any]
    _scheduled: list[Any]
    _stopping: bool
    _timer_cancelled_count: int

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._threads_running = 0
        self._woken = threading.Event()  # set by call_soon_threadsafe: a thread handed work back
        self._mark: Any = _new(_TimerHandle)  # stands in for a timer pass_time never makes, on the heap for a moment
        # Every future asks its loop get_debug() when it is made; a C callable answering False saves a
        # Python call per future (a virtual loop never runs in debug mode).
        self.get_debug = itertools.repeat(False).__next__  # type: ignore[method-assign]

    def run_in_executor(self, executor, func, *args):
        future = super().run_in_executor(executor, func, *args)
        self._threads_running += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _future: asyncio.Future) -> None:
        self._threads_running -= 1

    def _write_to_self(self) -> None:
        self._woken.set()

    def _process_events(self, event_list) -> None:
        """No selector, so no I/O events: threads hand work back through ``call_soon_threadsafe``."""

    def time(self) -> float:
        return self._now

    # The hot path of a simulation: handles are built without the debug bookkeeping of
    # BaseEventLoop (a virtual loop never runs in debug mode), which roughly halves their cost.
    def call_soon(self, callback, *args, context=None):
        handle = _new(_Handle)
        handle._context = _copy_context() if context is None else context
        handle._loop, handle._callback, handle._args = self, callback, args
        handle._cancelled, handle._repr, handle._source_traceback = False, None, None
        self._ready.append(handle)
        return handle

    def call_at(self, when, callback, *args, context=None):
        timer = _new(_TimerHandle)
        timer._context = _copy_context() if context is None else context
        timer._loop, timer._callback, timer._args = self, callback, args
        timer._cancelled, timer._repr, timer._source_traceback = False, None, None
        timer._when, timer._scheduled = to_ns_grid(when), True
        heapq.heappush(self._scheduled, timer)
        return timer

    def rewind(self) -> None:
        """Start virtual time over at 0 for the next independent run on this loop (a Monte Carlo turn).

        The next run's times are then computed exactly as on a fresh loop (the loop's absolute time enters
        the float arithmetic and the nanosecond rounding). Nothing may be pending: no ready callback and
        no live timer; cancelled timers are dropped.
        """
        if self._ready or any(not timer._cancelled for timer in self._scheduled):
            raise RuntimeError("rewind: callbacks or timers are still pending on this loop")
        for timer in self._scheduled:
            timer._scheduled = False
        self._scheduled.clear()
        self._timer_cancelled_count = 0
        self._now = 0.0

    def pass_time(self, when: float) -> bool:
        """Move virtual time on to ``when`` (on the nanosecond grid) at once, when nothing else can happen before
        then: no callback ready and no timer due by then. The running task's sleep then ends without leaving
        it, as a timer would have woken it in the loop's next step with nothing else run in between (the same
        timeline, one loop step fewer). False, and time untouched, when anything else comes first or at once."""
        scheduled = self._scheduled
        if self._ready or self._stopping or (scheduled and scheduled[0]._when <= when):
            return False
        if scheduled:  # leave the heap as that timer's push and pop would: the layout breaks later ties
            self._mark._when = when
            heapq.heappush(scheduled, self._mark)
            heapq.heappop(scheduled)
            if scheduled[0]._cancelled:
                self._drop_cancelled()  # as the loop does after a lone alarm
        self._now = when
        return True

    def _run_once(self) -> None:
        # Nearly every pass of a simulation has one handle ready and no timer due, or nothing ready and one timer
        # due: those run their handle straight away. Any other pass is run in full by _pass.
        ready, scheduled = self._ready, self._scheduled
        popleft, heappop = ready.popleft, heapq.heappop
        while not self._stopping:
            if scheduled and scheduled[0]._cancelled:
                self._drop_cancelled()
            if ready:
                if len(ready) > 1 or (scheduled and scheduled[0]._when <= self._now):
                    self._pass(len(ready), True)
                    continue
                handle = popleft()
                if handle._cancelled:
                    continue
            elif scheduled:
                handle = heappop(scheduled)
                handle._scheduled = False
                if handle._when > self._now:
                    self._now = handle._when
                if scheduled and scheduled[0]._when <= self._now:
                    ready.append(handle)
                    self._pass(0, type(handle) is _Alarm)
                    continue
                if type(handle) is _Alarm and scheduled and scheduled[0]._cancelled:
                    self._drop_cancelled()  # a lone alarm: see _pass
            elif self._threads_running:
                self._woken.wait()
                self._woken.clear()
                continue
            else:
                raise DeadlockError(f"every task is waiting and nothing can wake them (virtual t={self._now:g} s)")
            try:  # Handle._run, inlined (a task's wake-up takes one argument, its step none: called without a *)
                args = handle._args
                if not args:
                    handle._context.run(handle._callback)
                elif len(args) == 1:
                    handle._context.run(handle._callback, args[0])
                else:
                    handle._context.run(handle._callback, *args)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._failed(handle, exc)

    def _pass(self, waiting: int, alone: bool) -> None:
        """One pass in full: the ``waiting`` handles ready before it, then every timer due (some already moved to
        the ready queue after them; ``alone``: those were all alarms)."""
        ready, scheduled, now = self._ready, self._scheduled, self._now
        while scheduled and scheduled[0]._when <= now:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            ready.append(handle)
            alone = alone and type(handle) is _Alarm
        # An alarm wakes its task in the step it fires. That is the order of a timer setting a future whose
        # task resumes one pass later when the pass holds nothing but alarms, once the heap is cleaned as that
        # later pass would have begun; otherwise the alarms wait a pass.
        if len(ready) > waiting:
            if waiting or not alone:
                for i in range(waiting, len(ready)):
                    if type(ready[i]) is _Alarm:
                        ready[i] = _defer(ready, ready[i])
            elif scheduled and scheduled[0]._cancelled:
                self._drop_cancelled()
        for _ in range(len(ready)):
            handle = ready.popleft()
            if not handle._cancelled:
                try:
                    handle._context.run(handle._callback, *handle._args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:
                    self._failed(handle, exc)
        # A cancelled sleep's traceback holds this frame (its f_back) long after the pass: it should not hold a
        # handle too, which could lead back to the cancelled task (a reference cycle, left to the garbage collector)
        del handle

    def _drop_cancelled(self) -> None:
        """Take the cancelled timers off the top of the heap."""
        scheduled = self._scheduled
        while scheduled and scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            heapq.heappop(scheduled)._scheduled = False

    def _failed(self, handle: Any, exc: BaseException) -> None:
        self.call_exception_handler({"message": f"Exception in callback {handle._callback!r}", "exception": exc,
                                     "handle": handle})


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class _Fired:
    """What a fired alarm hands its task's wake-up, as a done future would: its result is None."""

    __slots__ = ()
    result = staticmethod(itertools.repeat(None).__next__)  # a C callable: no Python frame per wake-up


# (a shared tuple: an alarm holding itself in its arguments would be cyclic garbage on every sleep)
_FIRED = (_Fired(),)


class _Alarm(_TimerHandle):
    """A virtual sleep: a timer that is also the future its task awaits, so one handle wakes the task.

    The task hands it its wake-up (``add_done_callback``), which goes on the loop's timer heap as
    this timer's callback: when virtual time reaches it, the task resumes in that same step, where
    a future woken by a timer would take two (the timer sets the result, then the task's wake-up
    runs). :meth:`VirtualEventLoop._run_once` keeps the order of the two-step version exactly.
    """

    __slots__ = ("_asyncio_future_blocking", "_woken_by_cancel")
    _loop: Any  # (Handle's private slots are not in typeshed)
    _asyncio_future_blocking: bool
    _woken_by_cancel: bool

    def __await__(self) -> Generator[_Alarm, None, None]:
        # A tuple's iterator, not a generator (none to make and resume): the task gets the alarm, then it is over.
        return iter((self,))  # type: ignore[return-value]

    def add_done_callback(self, callback: Any, *, context: Any = None) -> None:
        """The awaiting task's wake-up becomes the timer's callback: the timer goes on the heap."""
        self._callback, self._args, self._context, self._scheduled = callback, _FIRED, context, True
        heapq.heappush(self._loop._scheduled, self)

    def cancel(self, msg: Any = None) -> bool:  # type: ignore[override]
        """Future.cancel, as the task calls it: wake the task now to raise CancelledError; False once fired."""
        if not self._scheduled or self._woken_by_cancel:
            return False  # fired already: the wake-up is on its way, and the task raises when it resumes
        self._woken_by_cancel = True
        self._loop.call_soon(self._callback, self, context=self._context)
        return True

    def result(self) -> None:
        """Asked by the task woken by :meth:`cancel`: the timer stops, and the sleep raises CancelledError."""
        _TimerHandle.cancel(self)
        raise asyncio.CancelledError


def _alarm(loop: VirtualEventLoop, when: float) -> _Alarm:
    """An alarm at virtual time ``when`` (on the nanosecond grid already), built without a constructor call."""
    alarm: Any = _new(_Alarm)
    alarm._loop, alarm._when, alarm._asyncio_future_blocking = loop, when, True
    alarm._callback, alarm._args, alarm._context, alarm._repr, alarm._source_traceback = None, None, None, None, None
    alarm._cancelled = alarm._scheduled = alarm._woken_by_cancel = False
    return alarm


def _defer(ready: deque[Any], alarm: _Alarm) -> _Handle:
    """A handle that puts ``alarm`` back on the ready queue: its task then resumes one pass later."""
    handle: Any = _new(_Handle)
    handle._context, handle._loop, handle._callback, handle._args = alarm._context, alarm._loop, ready.append, (alarm,)
    handle._cancelled, handle._repr, handle._source_traceback = False, None, None
    return handle


class Clock:
    """Time for one run: ``now()`` in seconds since the run started, and sleeps."""

    def __init__(self, mode: ClockMode, loop: asyncio.AbstractEventLoop) -> None:
        self.mode = mode
        self._loop: Any = loop  # a VirtualEventLoop is read directly (its _now), for speed
        self._t0 = loop.time()
        self._virtual = isinstance(loop, VirtualEventLoop)
        # A virtual loop starting at 0 keeps its time on the nanosecond grid already.
        self._on_grid = self._virtual and self._t0 == 0.0

    def now(self) -> float:
        """Seconds since the run started (nanosecond grid, so no float noise)."""
        if self._on_grid:
            return self._loop._now
        return to_ns_grid((self._loop._now if self._virtual else self._loop.time()) - self._t0)

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``; in real time, counted from this task's previous deadline when it just woke from it.

        Counting from the deadline rather than from "now" keeps a task's schedule
        exact in real time: each sleep's overshoot is absorbed by the next.
        Virtual sleeps are exact, so there "now" is always the base. Shown in notebook 02.
        """
        loop = self._loop
        if self._virtual:  # the common case, inlined: time passes at once, or one future woken by one timer
            if seconds > 0:
                when = to_ns_grid(loop._now + seconds)
                if not loop.pass_time(when):
                    await _alarm(loop, when)
            else:
                await asyncio.sleep(0)
            return
        now = loop.time()
        anchor = _anchor.get()
        base = anchor[0] if anchor is not None and 0.0 <= now - anchor[1] <= _ANCHOR_SLACK_S else now
        await self._sleep_to(base + max(0.0, seconds))

    async def sleep_until(self, t: float) -> None:
        """Sleep until run time ``t`` (seconds since the start); returns at once if past."""
        loop = self._loop
        if self._virtual:  # _sleep_to inlined (the caller's microphone sleeps here every chunk)
            deadline = self._t0 + t
            if deadline <= loop._now:
                await asyncio.sleep(0)
            elif not loop.pass_time(deadline := to_ns_grid(deadline)):
                await _alarm(loop, deadline)
            return
        await self._sleep_to(self._t0 + t)

    async def _sleep_to(self, deadline: float) -> None:
        loop = self._loop
        if deadline <= loop.time():
            await asyncio.sleep(0)
        else:
            # asyncio.sleep without its call_later detour: one future woken by one timer.
            future = loop.create_future()
            timer = loop.call_at(deadline, _wake, future)
            try:
                await future
            except BaseException:
                timer.cancel()
                raise
        if self.mode == "realtime":
            _anchor.set((deadline, loop.time()))


def _new_loop(mode: ClockMode) -> asyncio.AbstractEventLoop:
    return VirtualEventLoop() if mode == "virtual" else asyncio.new_event_loop()


async def _as_task(main: Callable[[Clock], Awaitable[T]], clock: Clock) -> T:
    return await main(clock)


def _finish(loop: asyncio.AbstractEventLoop, main: asyncio.Task) -> None:
    """Leave nothing behind, however the run ended (result, error, Ctrl-C): cancel and await every task
    still pending, close the async generators, close the loop."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            try:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            except DeadlockError:  # a task that ignores its cancellation and waits forever: abandon it
                pass
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        if main.done() and not main.cancelled():
            main.exception()  # the caller gets it raised; never logged as "never retrieved"
        loop.close()


# The runs in progress in each thread (by thread id), innermost last, and whether Ctrl-C asked the main thread's
# to stop (runs in other threads, e.g. an Executor's, are not Ctrl-C's to stop).
_runs: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Task]]] = {}
_interrupted = False


def interrupt_run() -> bool:
    """Stop the main thread's innermost run in progress as Ctrl-C does: its main task is cancelled, every stage
    unwinds at its next await, and ``run`` then raises KeyboardInterrupt. False when no run is in progress.

    Raising KeyboardInterrupt from a signal handler instead would land between two bytecodes of a stage,
    e.g. after an ``async with`` made its ``__aexit__`` coroutine and before awaiting it ("never awaited").
    """
    global _interrupted
    runs = _runs.get(threading.main_thread().ident or 0)
    if not runs:
        return False
    _interrupted = True
    loop, task = runs[-1]
    loop.call_soon_threadsafe(task.cancel)
    return True


def _on_sigint(signum: int, frame: object) -> None:
    """First Ctrl-C: :func:`interrupt_run`. A second Ctrl-C, or one outside any run, raises KeyboardInterrupt."""
    if _interrupted or not interrupt_run():
        raise KeyboardInterrupt


def _catch_sigint() -> Any:
    """Route Ctrl-C through :func:`_on_sigint` while a run is in progress, when nobody else handles it (the
    CLI has its own handler); returns the handler to put back, or None when this run installed nothing."""
    global _interrupted
    if threading.current_thread() is not threading.main_thread() or len(_runs.get(threading.get_ident(), ())) > 1:
        return None
    try:
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None
        _interrupted = False
        return signal.signal(signal.SIGINT, _on_sigint)
    except (ValueError, OSError, AttributeError):  # no signals here (e.g. the browser)
        return None


def _uncatch_sigint(restore: Any) -> None:
    global _interrupted
    signal.signal(signal.SIGINT, restore)
    _interrupted = False


def _run_inline(main: Callable[[Clock], Awaitable[T]], mode: ClockMode) -> T:
    """Run ``main`` on a fresh loop in this thread, to completion, even while another loop is running here.

    The other loop (a notebook kernel's, Pyodide's, or an outer virtual run) is paused for the
    duration: its running-loop marker and current task are set aside and restored afterwards,
    so it is neither patched nor re-entered, and no thread is needed.
    """
    outer = _get_running_loop()
    outer_task = _current_task(outer) if outer is not None else None
    if outer is not None and outer_task is not None:
        _leave_task(outer, outer_task)
    _set_running_loop(None)
    thread = threading.get_ident()
    in_main = thread == threading.main_thread().ident
    try:
        loop = _new_loop(mode)
        task = loop.create_task(_as_task(main, Clock(mode, loop)))
        runs = _runs.setdefault(thread, [])
        runs.append((loop, task))
        restore = _catch_sigint()
        try:
            try:
                result = loop.run_until_complete(task)
            except asyncio.CancelledError:
                if _interrupted and in_main:
                    raise KeyboardInterrupt from None
                raise
            finally:
                runs.pop()
                if not runs:
                    del _runs[thread]
                _finish(loop, task)
            if _interrupted and in_main:
                raise KeyboardInterrupt
            return result
        finally:
            if restore is not None:
                _uncatch_sigint(restore)
    finally:
        _set_running_loop(outer)
        if outer is not None and outer_task is not None:
            _enter_task(outer, outer_task)


async def _fresh_start(loop: VirtualEventLoop) -> None:
    """Leave ``loop`` as a fresh one for the next run on it: what the last run left running is cancelled and
    awaited (as :func:`run` does when a run ends), and virtual time starts over at 0 (:meth:`VirtualEventLoop.rewind`).
    """
    if loop._ready or any(not timer._cancelled for timer in loop._scheduled):
        current = asyncio.current_task()
        left = [task for task in asyncio.all_tasks(loop) if task is not current]
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
        while loop._ready:
            await asyncio.sleep(0)
        for timer in loop._scheduled:
            timer.cancel()
    loop.rewind()


def run_many(mains: Iterable[Callable[[Clock], Awaitable[T]]], clock: ClockMode = "virtual") -> list[T]:
    """``[run(main, clock) for main in mains]``, with the same results, at a fraction of the cost per run.

    In virtual time the runs share one loop: before each one, whatever the previous run left running is
    cancelled and awaited and time starts over at 0, so each run computes exactly what it would on a fresh loop
    (a Monte Carlo's turns, :func:`voicelab.analysis.experiments.monte_carlo`). However it ends (results, an error,
    Ctrl-C), everything is cleaned up as by :func:`run`. In real time each run gets a loop of its own.
    """
    _check_clock(clock)
    if clock == "realtime":
        return [run(main, clock) for main in mains]

    async def each(first: Clock) -> list[T]:
        loop = first._loop
        results: list[T] = []
        for main in mains:
            await _fresh_start(loop)
            results.append(await main(Clock("virtual", loop)))  # its times start at 0
        return results

    return _run_inline(each, clock)


def _check_clock(clock: Any) -> None:
    if clock not in CLOCK_MODES:
        raise ValueError(f"clock must be one of {', '.join(CLOCK_MODES)}; got {clock!r}")
    if clock == "realtime" and sys.platform == "emscripten":
        raise RuntimeError("the real-time clock cannot run in the browser (its page loop cannot block); "
                           "use clock='virtual'")


def run(main: Callable[[Clock], Awaitable[T]], clock: ClockMode = "virtual") -> T:
    """Run ``main(clock)`` to completion on a fresh loop and return its result.

    Works from plain code and from inside a running event loop (a notebook cell,
    the browser's page loop, another run's task): the run happens inline, in the
    caller's thread, and the caller's loop simply waits until it is over. So runs
    nest (a simulation inside a Monte Carlo's ``extract``), and no thread is started.
    However the run ends (result, error, Ctrl-C), every task it started is cancelled
    and awaited and its loop closed before ``run`` returns or raises.
    """
    _check_clock(clock)
    return _run_inline(main, clock)

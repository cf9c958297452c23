"""Channel: the bounded FIFO between two pipeline stages, a lean ``asyncio.Queue``.

Same waking order as ``asyncio.Queue`` (so timelines are identical), without
``task_done``/``join`` bookkeeping. Frames pass through several of these per audio
chunk, so the fast paths matter to Monte Carlo speed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol


class Inbox(Protocol):
    """Where a stage loop takes its frames from: a :class:`Channel`, an ``asyncio.Queue``, a test's script."""

    async def get(self) -> Any:
        """The next frame, waiting for one."""
        ...


class Outbox(Protocol):
    """Where a stage loop puts its frames: a :class:`Channel`, an ``asyncio.Queue``, a test's recorder."""

    async def put(self, item: Any) -> None:
        """Pass ``item`` on, waiting for room."""
        ...

_Future = asyncio.Future


def _wake_first(waiters: deque[asyncio.Future]) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return


def _abandon(waiter: asyncio.Future, waiters: deque[asyncio.Future], still_blocked: bool) -> None:
    """A waiting put/get was cancelled: forget its future, and pass on a wake-up it can no longer use."""
    waiter.cancel()
    if waiter in waiters:
        waiters.remove(waiter)
    if not still_blocked and not waiter.cancelled():
        _wake_first(waiters)


class Channel:
    """A FIFO of at most ``maxsize`` items (0: unbounded); ``put`` waits while full, ``get`` while empty."""

    __slots__ = ("maxsize", "_items", "_getters", "_putters", "_loop")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._items: deque[Any] = deque()
        self._getters: deque[asyncio.Future] = deque()
        self._putters: deque[asyncio.Future] = deque()
        self._loop: Any = None

    def _loop_now(self) -> Any:
        """The loop the channel's waiters live on: the running loop, asked for once and kept until it is closed (a
        channel may serve one run after another). Asking every time costs a system call (getpid) on Python 3.11.
        An asyncio loop is kept (``put`` and ``get`` read its ``_closed`` at each wait); any other is asked for
        every time."""
        loop = asyncio.get_running_loop()
        self._loop = loop if isinstance(loop, asyncio.BaseEventLoop) else None
        return loop

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def put_nowait(self, item: Any) -> None:
        """Add ``item`` now; ``asyncio.QueueFull`` if there is no room."""
        if 0 < self.maxsize <= len(self._items):
            raise asyncio.QueueFull
        self._items.append(item)
        if self._getters:
            _wake_first(self._getters)

    def get_nowait(self) -> Any:
        """Take the oldest item now; ``asyncio.QueueEmpty`` if there is none."""
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        if self._putters:
            _wake_first(self._putters)
        return item

    async def put(self, item: Any) -> None:
        """Add ``item``, waiting for room first."""
        while 0 < self.maxsize <= len(self._items):
            loop = self._loop
            waiter: asyncio.Future[None] = _Future(loop=self._loop_now() if loop is None or loop._closed else loop)
            self._putters.append(waiter)
            try:
                await waiter
            except BaseException:
                _abandon(waiter, self._putters, self.full())
                raise
        self._items.append(item)
        getters = self._getters
        while getters:  # _wake_first, inlined
            waiter = getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    async def get(self) -> Any:
        """Take the oldest item, waiting for one first."""
        items = self._items
        while not items:
            loop = self._loop
            waiter: asyncio.Future[None] = _Future(loop=self._loop_now() if loop is None or loop._closed else loop)
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                _abandon(waiter, self._getters, not items)
                raise
        item = items.popleft()
        if self._putters:
            _wake_first(self._putters)
        return item

    def clear(self) -> list[Any]:
        """Drop every waiting item (for example when the caller interrupts) and return them."""
        dropped = list(self._items)
        self._items.clear()
        while self._putters and not self.full():
            _wake_first(self._putters)
        return dropped

"""Run a blocking producer (a library with a callback) on a worker thread and consume it as an async iterator."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


async def stream_from_thread(produce: Callable[[Callable[[T], bool]], None],
                             on_stop: Callable[[], None] | None = None) -> AsyncIterator[T]:
    """Call ``produce(emit)`` on a worker thread and yield each item it emits, as it emits it.

    ``emit(item)`` returns False once the consumer has stopped, so the producer can abort
    early; ``on_stop()`` is called then too, to unblock a producer waiting on I/O. An
    exception raised by ``produce`` is raised here, in the consumer; the event loop keeps
    running meanwhile.
    """
    loop = asyncio.get_running_loop()
    items: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def emit(item: T) -> bool:
        loop.call_soon_threadsafe(items.put_nowait, item)
        return not stop.is_set()

    def work() -> None:
        try:
            produce(emit)
        except BaseException as exc:  # handed to the event loop, raised there
            loop.call_soon_threadsafe(items.put_nowait, exc)
        else:
            loop.call_soon_threadsafe(items.put_nowait, _DONE)

    worker = loop.run_in_executor(None, work)
    try:
        while (item := await items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        if on_stop is not None:
            on_stop()
        await asyncio.shield(worker)

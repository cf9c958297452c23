"""The asyncio internals the virtual clock relies on still exist: a Python upgrade that moves one fails here, by name.

:mod:`voicelab.engine.clock` drives ``asyncio.BaseEventLoop`` itself (its ready queue and timer heap), builds handles
without their constructors, and sets the running loop and current task aside to run inline inside another loop.
"""

from __future__ import annotations

import asyncio
import asyncio.events
import asyncio.tasks
import collections
import inspect

import pytest

from voicelab.engine.clock import VirtualEventLoop


@pytest.mark.parametrize("name", ["_get_running_loop", "_set_running_loop"])
def test_running_loop_hooks(name):
    assert callable(getattr(asyncio.events, name))


@pytest.mark.parametrize("name", ["_enter_task", "_leave_task", "current_task"])
def test_current_task_hooks(name):
    assert callable(getattr(asyncio.tasks, name))


def test_the_loop_fields_the_virtual_loop_drives():
    loop = VirtualEventLoop()
    try:
        assert isinstance(loop._ready, collections.deque)
        assert isinstance(loop._scheduled, list)
        assert loop._stopping is False
        assert isinstance(loop._timer_cancelled_count, int)
        # the methods it overrides are still BaseEventLoop's hooks of those names
        for name in ("_run_once", "_process_events", "_write_to_self", "call_soon", "call_at", "time"):
            assert hasattr(asyncio.BaseEventLoop, name), name
    finally:
        loop.close()


def test_the_handle_fields_it_sets_directly():
    """Handles are built with ``object.__new__`` and these slots filled in, as their constructors would."""
    loop = asyncio.new_event_loop()
    try:
        handle = asyncio.events.Handle(print, (), loop)
        timer = asyncio.events.TimerHandle(1.0, print, (), loop)
    finally:
        loop.close()
    for obj, fields in ((handle, ("_context", "_loop", "_callback", "_args", "_cancelled", "_repr",
                                  "_source_traceback")),
                        (timer, ("_when", "_scheduled"))):
        for field in fields:
            assert hasattr(obj, field), f"{type(obj).__name__}.{field}"
    assert "_run" in dict(inspect.getmembers(asyncio.events.Handle))

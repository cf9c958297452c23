"""The engine against commit 1bcf903's: every virtual result byte-identical, computed inline with no thread.

``tests/data/engine_golden.json`` holds the digests 1bcf903 produced for the cases in ``engine_cases.py``
(demos, Monte Carlo, barge-in, speculation, sweeps). Here they are recomputed as a notebook would: inside
a running event loop, with thread creation disabled (as in Pyodide).
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import engine_cases
import pytest

GOLDEN = json.loads((Path(__file__).parent / "data" / "engine_golden.json").read_text())


@pytest.mark.slow
def test_every_virtual_result_matches_the_old_engine_inline_and_thread_free(monkeypatch):
    started: list[str] = []

    def no_threads(self: threading.Thread) -> None:
        started.append(self.name)
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)

    async def cell() -> dict[str, str]:
        return engine_cases.digests()

    got = asyncio.run(cell())
    assert started == []
    assert got.keys() == GOLDEN.keys()
    assert [name for name in GOLDEN if got[name] != GOLDEN[name]] == []


def test_the_asyncio_internals_the_virtual_loop_relies_on_still_exist():
    """The runner and the virtual loop use private asyncio names; a Python upgrade that moves one fails here."""
    from asyncio import base_events, events, tasks

    for module, name in [(events, "_get_running_loop"), (events, "_set_running_loop"), (tasks, "_enter_task"),
                         (tasks, "_leave_task"), (events, "Handle"), (events, "TimerHandle")]:
        assert callable(getattr(module, name, None)), f"asyncio lost {module.__name__}.{name}"
    loop = base_events.BaseEventLoop()
    for name in ("_ready", "_scheduled", "_stopping", "_timer_cancelled_count", "_run_once", "_write_to_self",
                 "_process_events", "_call_soon"):
        assert hasattr(loop, name), f"BaseEventLoop lost {name}"
    handle = events.TimerHandle(1.0, print, (), loop)
    expected = {"_context", "_loop", "_callback", "_args", "_cancelled", "_repr", "_source_traceback", "_when",
                "_scheduled"}
    slots = {s for cls in type(handle).__mro__ for s in getattr(cls, "__slots__", ())}
    assert slots <= expected | {"__weakref__"}, f"Handle grew slots the virtual loop does not set: {slots - expected}"
    assert expected <= slots
    assert callable(handle._run)

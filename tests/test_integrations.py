"""The live integrations write what ``analyze`` reads: the Pipecat observer is Pipecat's own latency observer,
fed the breakdowns of the real Pipecat run (as Pipecat's event machinery delivers them); the LiveKit hook runs on
a real ``AgentSession`` whose history is the real LiveKit run's, closed as LiveKit closes it. Each file written
imports into the same turns as the fixture it came from."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import requires

from voicelab.importers import load
from voicelab.integrations import append_line

pytestmark = requires("frameworks")
FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def _same_turns(written: Path, fixture: Path) -> None:
    a, b = load(written), load(fixture)
    assert a.format == b.format
    assert [(r.kind, r.voice_to_voice, r.components, r.events) for r in a.records] == [
        (r.kind, r.voice_to_voice, r.components, r.events) for r in b.records]


def test_the_pipecat_observer_writes_each_breakdown_as_it_comes(tmp_path: Path) -> None:
    from pipecat.observers.user_bot_latency_observer import LatencyBreakdown, UserBotLatencyObserver

    from voicelab.integrations.pipecat import VoicelabObserver

    lines = (FIXTURES / "pipecat_breakdowns.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "breakdowns.jsonl"
    observer = VoicelabObserver(path)
    assert isinstance(observer, UserBotLatencyObserver)

    async def run() -> None:
        for k, line in enumerate(lines):
            await observer._call_event_handler("on_latency_breakdown", LatencyBreakdown.model_validate_json(line))
            await asyncio.sleep(0.01)  # Pipecat may run a handler as a task
            assert len(path.read_text(encoding="utf-8").splitlines()) == k + 1  # flushed turn by turn

    asyncio.run(run())
    assert observer.turns == len(lines)
    _same_turns(path, FIXTURES / "pipecat_breakdowns.jsonl")


def test_the_livekit_hook_writes_the_history_when_the_session_closes(tmp_path: Path) -> None:
    from livekit.agents import AgentSession, llm
    from livekit.agents.voice.events import CloseEvent

    from voicelab.integrations.livekit import record_session

    first = (FIXTURES / "livekit_history.json").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "history.jsonl"

    async def run() -> None:
        session = AgentSession()
        record_session(session, path)
        history = llm.ChatContext.from_dict(json.loads(first))
        session._chat_ctx = history  # what a real call leaves in session.history
        assert not path.exists()
        session.emit("close", CloseEvent(reason="user_initiated"))

    asyncio.run(run())
    fixture = tmp_path / "fixture.json"
    fixture.write_text(first + "\n", encoding="utf-8")
    _same_turns(path, fixture)


def test_append_line_refuses_more_than_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one line"):
        append_line(tmp_path / "x.jsonl", '{"a": 1}\n{"b": 2}')


def test_the_collector_configuration_sends_otlp_spans_to_a_json_file() -> None:
    """The Collector's own schema for these keys: a receiver on the OTLP ports, the file exporter in JSON, a traces
    pipeline joining them (the Collector refuses a component that no pipeline uses)."""
    import yaml

    from voicelab.integrations.otlp import COLLECTOR_CONFIG

    config = yaml.safe_load(COLLECTOR_CONFIG)
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert config["exporters"]["file"] == {"path": "./spans.jsonl", "format": "json"}
    traces = config["service"]["pipelines"]["traces"]
    assert traces == {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["file"]}
    used = {name for kind in ("receivers", "processors", "exporters") for name in traces[kind]}
    assert used == {*config["receivers"], *config["processors"], *config["exporters"]}

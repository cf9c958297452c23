"""Frozen dataclasses with a quick __init__: built, compared, copied and refused exactly as before."""

import copy
import dataclasses
import inspect
import pickle

import numpy as np
import pytest

from voicelab.engine import frames, trace
from voicelab.engine.records import quick_init

QUICK = [cls for module in (frames, trace) for cls in vars(module).values()
         if isinstance(cls, type) and cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls)
         and cls.__dataclass_params__.frozen]


def _plain(cls: type) -> type:
    """The same dataclass with the __init__ dataclasses generates."""
    spec = [(f.name, f.type, f) for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, [(n, t, dataclasses.field(default=f.default,
                                                                              default_factory=f.default_factory))
                                                     for n, t, f in spec], frozen=True, slots=True)


def test_the_records_and_frames_are_all_quick():
    names = {cls.__name__ for cls in QUICK}
    assert {"Span", "Mark", "StateChange", "AudioFrame", "Transcript", "Token", "SpeechAudio"} <= names
    assert all(cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__" for cls in QUICK)


@pytest.mark.parametrize("cls", QUICK, ids=lambda cls: cls.__name__)
def test_a_quick_init_takes_what_the_generated_one_takes(cls):
    def params(c: type) -> list[tuple[str, object, str]]:
        return [(p.name, p.kind, repr(p.default)) for p in inspect.signature(c).parameters.values()]

    assert params(cls) == params(_plain(cls))
    assert cls.__init__.__annotations__ == _annotations(cls)


def _annotations(cls: type) -> dict[str, object]:
    return {f.name: f.type for f in dataclasses.fields(cls)} | {"return": None}


def test_a_span_is_built_compared_copied_and_frozen_as_a_dataclass():
    span = trace.Span("asr", "chunk", 0.1, 0.25, 0)
    assert (span.stage, span.name, span.start, span.end, span.turn, span.attrs) == ("asr", "chunk", 0.1, 0.25, 0, {})
    other = trace.Span(stage="asr", name="chunk", start=0.1, end=0.25, turn=0)
    assert span == other and span.attrs is not other.attrs  # a fresh dict each
    assert trace.Span("asr", "chunk", 0.1, 0.25, 0, None).attrs is None  # given, even None, is kept
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.end = 1.0  # type: ignore[misc]
    assert dataclasses.replace(span, end=0.5).end == 0.5 and dataclasses.asdict(span)["attrs"] == {}
    assert pickle.loads(pickle.dumps(span)) == span and copy.copy(span) == span
    with pytest.raises(TypeError):
        trace.Span("asr", "chunk", 0.1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        trace.Mark("asr", "x", 0.1, 0, {}, extra=1)  # type: ignore[call-arg]


def test_a_frames_default_is_used_when_not_given():
    samples = np.zeros(160, dtype=np.float32)
    assert frames.AudioFrame(samples, 16_000, 0.0, 0).levels is None
    assert frames.AudioFrame(samples, 16_000, 0.0, 0, levels=samples).levels is samples


def test_only_frozen_dataclasses_with_slots_get_a_quick_init():
    @dataclasses.dataclass(slots=True)
    class Mutable:
        x: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int

    for cls in (Mutable, NoSlots, int):
        with pytest.raises(TypeError, match="frozen dataclass with slots"):
            quick_init(cls)

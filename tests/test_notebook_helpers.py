"""voicelab.notebook: exercise checks, library source display, small tables, figure setup."""

from __future__ import annotations

import matplotlib as mpl
import pytest

import voicelab as vl
from voicelab import notebook
from voicelab.engine.clock import Clock
from voicelab.notebook import FIGURE_DPI, check, setup, source_of, table
from voicelab.pipelines import OriginalPipeline
from voicelab.stages.llm import scripted_reply


def test_check_numbers_within_tolerance() -> None:
    assert check(2.19, 2.19)
    assert check(2.195, 2.19, tol=0.01)
    assert not check(2.3, 2.19, tol=0.01)


def test_check_messages_never_reveal_the_expected_value() -> None:
    wrong = check(1.5, 2.19, what="voice-to-voice", hint="from the end of speech")
    assert repr(wrong).startswith("✗ voice-to-voice: 1.5")
    assert "2.19" not in repr(wrong) and "hint: from the end of speech" in repr(wrong)
    assert repr(check(2.19, 2.19, what="voice-to-voice")).startswith("✓ voice-to-voice")


def test_check_unanswered_strings_bools_and_lists() -> None:
    assert "no answer yet" in repr(check(..., 1.0))
    assert check(" Original ", "original")
    assert not check(1, True)  # a bool answer must be a bool
    assert check(False, False) and not check(True, False)
    assert check([0.1, "a"], (0.1, "A")) and not check([0.1], [0.1, 0.2])


def test_check_with_a_predicate_that_simulates() -> None:
    def fast_enough(preset: str) -> bool:
        return vl.simulate("What's the weather like?", preset=preset).metrics(0)["voice_to_voice"] < 0.8

    assert check("production", fast_enough)
    assert not check("seed", fast_enough)
    broken = check("turbo", fast_enough)  # ConfigError from simulate: wrong, with the reason
    assert not broken and "could not be checked" in repr(broken) and "turbo" in repr(broken)


def test_check_html_is_escaped() -> None:
    assert "&lt;b&gt;" in check("<b>", "x")._repr_html_()


def test_source_of_functions_classes_and_methods() -> None:
    func = source_of(scripted_reply)
    assert func.startswith("# voicelab/stages/llm.py\ndef scripted_reply(")
    method = source_of(OriginalPipeline._synthesize)
    assert method.splitlines()[1].startswith("async def _synthesize(")  # dedented out of its class
    assert "TTS_TEXT_DROPPED" in method
    assert "class OriginalPipeline" in source_of(OriginalPipeline)


def test_source_of_rejects_objects_without_source() -> None:
    with pytest.raises(TypeError, match="function, class or method"):
        source_of(len)


def test_table_text_and_html() -> None:
    shown = table([{"metric": "voice_to_voice", "s": 2.19, "ok": False}, {"metric": "<x>", "s": None, "ok": True}])
    lines = repr(shown).splitlines()
    assert lines[0].split() == ["metric", "s", "ok"]
    assert lines[2].split() == ["voice_to_voice", "2.190", "✗"]
    assert lines[3].split() == ["<x>", "—", "✓"]
    assert "&lt;x&gt;" in shown.data and "<x>" not in shown.data
    with pytest.raises(ValueError):
        table([])


def test_setup_sets_compact_figures() -> None:
    with mpl.rc_context():
        setup(dpi=72)
        assert mpl.rcParams["figure.dpi"] == 72 and mpl.rcParams["savefig.dpi"] == 72
    with mpl.rc_context():
        setup()
        assert mpl.rcParams["savefig.dpi"] == FIGURE_DPI


@pytest.mark.parametrize(("platform", "link"),
                         [("linux", "../voicelab/engine/clock.py"), ("emscripten", "voicelab/engine/clock.py")])
def test_an_excerpt_links_to_its_whole_source_where_the_notebook_is(monkeypatch, platform, link):
    """On a desktop the notebooks sit beside voicelab/; on the JupyterLite site the source is staged beside them."""
    shown: list = []
    monkeypatch.setattr(notebook, "display", shown.append)
    monkeypatch.setattr(notebook.sys, "platform", platform)
    notebook.show_source(Clock.sleep, keep=["Sleep ``seconds``"])
    assert shown[-1].data == f"Excerpt; the whole of it is in [voicelab/engine/clock.py]({link})."

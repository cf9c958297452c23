"""Every dashboard reads without a kernel and in a room: its static fallback (and notebook 07's snapshot) is the
chart with the verdict table as an HTML table under it; the projector toggle sets the root's projector class; a
slider move that changes nothing says why."""

from __future__ import annotations

import re

import pytest

from voicelab.dashboards import budget_dashboard, interruption_dashboard, tail_dashboard, turn_taking_dashboard
from voicelab.dashboards.chart_view import LAYOUT_CSS
from voicelab.dashboards.dashboard import PROJECTOR_FONT_PX, static_html
from voicelab.engine.validation import ConfigError


def _image_then_table(html: str) -> None:
    image, table = html.find("<img "), html.find("<table")
    assert 0 <= image < table, f"no chart image followed by an HTML table: {html[:200]}"
    assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)


def test_the_snapshot_shows_its_verdict_table_as_html_under_the_chart() -> None:
    dash = budget_dashboard("production")
    dash.set({"llm.ttft_s": 0.6})
    bundle = dash.snapshot()._repr_mimebundle_()
    _image_then_table(bundle["text/html"])
    assert bundle["text/html"].count("<tr>") == len(dash.rows) + 1  # the head and one row per check
    assert "MISS" in bundle["text/html"] and "MISS" in bundle["text/plain"]


@pytest.mark.parametrize("make", [lambda: budget_dashboard(), lambda: interruption_dashboard(),
                                  lambda: turn_taking_dashboard(), lambda: tail_dashboard(turns=100)],
                         ids=["budget", "barge-in", "turn-taking", "tail"])
def test_every_dashboards_static_fallback_is_the_chart_with_a_table_under_it(make) -> None:
    bundle = make()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    _image_then_table(bundle["text/html"])


def test_static_html_escapes_the_title() -> None:
    assert 'alt="a &lt;b&gt;"' in static_html(b"png", "a <b>", "<table></table>")


@pytest.mark.parametrize("make", [budget_dashboard, interruption_dashboard, turn_taking_dashboard,
                                  lambda projector: tail_dashboard(turns=100, projector=projector)],
                         ids=["budget", "barge-in", "turn-taking", "tail"])
def test_the_projector_toggle_sets_the_projector_class(make) -> None:
    dash = make(projector=True)
    assert "vl-projector" in dash.widget._dom_classes and dash.projector.value
    dash.projector.value = False
    assert "vl-projector" not in dash.widget._dom_classes and "vl-dash" in dash.widget._dom_classes


def test_projector_mode_sets_text_of_20_px_and_a_full_width_chart() -> None:
    rules = LAYOUT_CSS[LAYOUT_CSS.index(".vl-dash.vl-projector {"):]
    assert f"{PROJECTOR_FONT_PX}px)" in rules and PROJECTOR_FONT_PX >= 20  # 20 px on a 1920 px wide screen
    assert '"chart chart"' in rules


@pytest.mark.parametrize("make", [budget_dashboard, interruption_dashboard, turn_taking_dashboard, tail_dashboard])
def test_projector_must_be_a_bool(make) -> None:
    with pytest.raises(ConfigError, match="projector must be True or False; got 'yes'"):
        make(projector="yes")


def test_a_move_inside_one_chunk_says_it_was_rounded_to_the_chunk_grid() -> None:
    dash = interruption_dashboard()
    slider = dash.sliders["vad.min_speech_s"]
    slider.value = 0.25  # from 0.2 s: two 100 ms chunks to three
    assert "nothing changed" not in dash.notice.value
    png = dash.png
    slider.value = 0.3  # still three chunks
    assert dash.png == png
    assert "vad.min_speech_s = 0.3 s: nothing changed, rounded to the 100 ms chunk grid" in dash.notice.value
    slider.value = 0.35
    assert "nothing changed" not in dash.notice.value


def test_a_move_from_code_is_not_called_a_dead_key() -> None:
    dash = interruption_dashboard()
    dash.set({"vad.min_speech_s": 0.2})
    assert "nothing changed" not in dash.notice.value

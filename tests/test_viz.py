"""Structural checks of the charts: they must show what the trace says, where it says it."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

import voicelab as vl
from voicelab import palette, viz
from voicelab.engine.validation import ConfigError
from voicelab.report import budget_table


@pytest.fixture(scope="module")
def original() -> vl.RunResult:
    return vl.simulate(pipeline="original")


@pytest.fixture(scope="module")
def streaming() -> vl.RunResult:
    return vl.simulate(pipeline="streaming")


def _by_gid(fig: Figure, prefix: str) -> list:
    return [a for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)]


def _ytick_labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def test_backend_is_agg_and_import_leaves_rcparams_alone():
    import importlib

    assert matplotlib.get_backend().lower() == "agg"
    before = dict(matplotlib.rcParams)
    importlib.reload(palette)
    importlib.reload(viz)
    viz.gantt(vl.simulate(pipeline="original"), turn=0)
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("pipeline", ["original", "streaming"])
def test_voice_to_voice_label_shows_the_metric_of_the_trace(pipeline):
    run = vl.simulate(pipeline=pipeline)
    fig = viz.gantt(run, turn=0)
    label = _by_gid(fig, "v2v_label:0")
    assert len(label) == 1
    assert f"{run.metrics(0)['voice_to_voice']:.2f} s" in label[0].get_text()
    assert "voice-to-voice" in label[0].get_text()


def test_gap_spans_speech_end_to_first_audio(streaming):
    fig = viz.gantt(streaming, turn=0)
    m = streaming.metrics(0)
    (gap,) = _by_gid(fig, "gap:0")
    xs = gap.get_paths()[0].vertices[:, 0]
    assert xs.min() == pytest.approx(m["speech_end"])
    assert xs.max() == pytest.approx(m["tts_first_chunk"])
    (line,) = _by_gid(fig, "speech_end:0")
    assert line.get_xdata()[0] == pytest.approx(m["speech_end"])


@pytest.mark.parametrize("preset", ["seed", "production"])
def test_budget_lines_sit_at_their_origin_plus_budget(preset):
    run = vl.simulate(pipeline="streaming", preset=preset)
    fig = viz.gantt(run, turn=0)
    m = run.metrics(0)
    (v2v,) = _by_gid(fig, "budget:voice_to_voice:0")
    assert v2v.get_xdata()[0] == pytest.approx(m["speech_end"] + run.budgets.voice_to_voice)
    (ttfa,) = _by_gid(fig, "budget:time_to_first_audio:0")
    assert ttfa.get_xdata()[0] == pytest.approx(m["asr_complete"] + run.budgets.time_to_first_audio)


def test_custom_budgets_move_the_line(streaming):
    budgets = streaming.budgets.replace(voice_to_voice=0.3)
    fig = viz.gantt(streaming, turn=0, budgets=budgets)
    (v2v,) = _by_gid(fig, "budget:voice_to_voice:0")
    assert v2v.get_xdata()[0] == pytest.approx(streaming.metrics(0)["speech_end"] + 0.3)


def test_bare_trace_has_no_budget_lines(streaming):
    fig = viz.gantt(streaming.trace, turn=0)
    assert _by_gid(fig, "budget:") == []
    assert len(_by_gid(fig, "v2v_label:0")) == 1


@pytest.mark.parametrize("pipeline", ["original", "streaming"])
def test_one_row_per_stage_with_data_plus_state_band(pipeline):
    run = vl.simulate(pipeline=pipeline)
    fig = viz.gantt(run, turn=0)
    stages = {s.stage for s in run.trace.spans_of(0)}
    stages |= {m.stage for m in run.trace.marks_of(0) if m.name in palette.MARKERS}
    expected = [palette.stage_label(s) for s in palette.STAGE_ORDER if s in stages] + ["agent state"]
    assert _ytick_labels(fig.axes[0]) == expected
    assert ("playback" in _ytick_labels(fig.axes[0])) == (pipeline == "streaming")


def test_whole_run_covers_every_turn(streaming):
    run = vl.simulate(["Hi there.", "What's the weather like?", "Thanks, bye."], pipeline="streaming")
    fig = viz.gantt(run)
    lo, hi = fig.axes[0].get_xlim()
    assert lo <= 0.0
    assert hi >= run.trace.duration
    assert hi >= max(t.end for t in run.trace.turns)
    assert len(_by_gid(fig, "speech_end:")) == len(run.trace.turns)
    assert {a.get_gid() for a in _by_gid(fig, "v2v_label:")} == {f"v2v_label:{i}" for i in range(3)}


def test_turn_view_is_relative_to_the_turn_start(streaming):
    fig = viz.gantt(streaming, turn=2)
    m = streaming.metrics(2)
    (line,) = _by_gid(fig, "speech_end:2")
    assert line.get_xdata()[0] == pytest.approx(m["speech_end"])
    lo, hi = fig.axes[0].get_xlim()
    turn = streaming.trace.turns[2]
    assert lo <= 0 and hi >= turn.end - turn.start


def test_state_band_uses_the_palette(streaming):
    fig = viz.gantt(streaming, turn=0)
    thinking = _by_gid(fig, "state:thinking")
    assert thinking
    assert matplotlib.colors.to_hex(thinking[0].get_facecolor()[0]) == palette.state_color("thinking").lower()


def test_first_token_and_first_audio_markers(original):
    fig = viz.gantt(original, turn=0)
    m = original.metrics(0)
    (token,) = _by_gid(fig, "mark:llm_first_token")
    (audio,) = _by_gid(fig, "mark:tts_first_chunk")
    assert token.get_xdata()[0] == pytest.approx(m["llm_first_token"])
    assert audio.get_xdata()[0] == pytest.approx(m["tts_first_chunk"])


def test_draws_on_a_given_axes(streaming):
    fig = Figure()
    ax = fig.add_subplot()
    assert viz.gantt(streaming, turn=0, ax=ax) is fig
    assert "agent state" in _ytick_labels(ax)


def test_bad_turn_names_the_range(streaming):
    with pytest.raises(ValueError, match="turn must be an integer from 0 to 2"):
        viz.gantt(streaming, turn=3)
    with pytest.raises(ConfigError, match="run must be a RunResult .* or a Trace; got {'not': 'a run'}"):
        viz.gantt({"not": "a run"})


def test_compare_shares_one_time_axis(original, streaming):
    fig = viz.compare({"original": original, "streaming": streaming})
    a, b = fig.axes[:2]
    assert a.get_xlim() == b.get_xlim()
    assert a.get_xlim()[1] >= original.trace.turns[0].end
    assert a.get_title(loc="left").startswith("original") and b.get_title(loc="left").startswith("streaming")
    labels = [t.get_text() for t in a.get_legend().get_texts()]
    assert "first audio" in labels and "caller's speech ends" in labels


def test_figure_size_and_png_weight(tmp_path, streaming):
    fig = viz.gantt(streaming, turn=0)
    assert fig.get_figwidth() == viz.FIGURE_WIDTH and fig.dpi == viz.FIGURE_DPI
    path = tmp_path / "g.png"
    fig.savefig(path)
    assert path.stat().st_size < 150_000


def test_distribution_marks_percentiles_and_misses():
    rng = np.random.default_rng(1)
    samples = {"voice_to_voice": rng.lognormal(0, 0.3, 500), "llm_first_token": rng.lognormal(-1, 0.2, 500)}
    fig = viz.distribution(samples, {"voice_to_voice": 1.2})
    (p95,) = _by_gid(fig, "p95:voice_to_voice")
    assert p95.get_xdata()[0] == pytest.approx(np.percentile(samples["voice_to_voice"], 95))
    (budget,) = _by_gid(fig, "budget:voice_to_voice")
    assert budget.get_xdata()[0] == 1.2
    miss = np.mean(samples["voice_to_voice"] > 1.2)
    assert f"{miss:.0%} over 1.2 s" in fig.axes[0].get_title(loc="left")
    assert _by_gid(fig, "budget:llm_first_token") == []


def test_sweep_chart_plots_given_points():
    fig = viz.sweep_chart("vad.endpoint_silence_s", [0.2, 0.5, 0.8], [0.5, 0.8, 1.1], [0.7, 1.0, 1.4], budget=0.8)
    ax = fig.axes[0]
    (p95,) = _by_gid(fig, "p95")
    assert list(p95.get_ydata()) == [0.7, 1.0, 1.4]
    assert ax.get_xlabel() == "vad.endpoint_silence_s (s)"
    with pytest.raises(ValueError, match="same length"):
        viz.sweep_chart("asr.rtf", [1, 2], [1], [1, 2])


def test_budget_table_matches_the_report(original):
    table = budget_table(original, 0)
    report = original.report(0)
    assert [r.metric for r in table.rows] == list(report)
    v2v = next(r for r in table.rows if r.metric == "voice_to_voice")
    assert v2v.value == report["voice_to_voice"].value and v2v.ok is False
    html = table._repr_html_()
    assert "2.190" in html and "✗ over" in html and palette.MISS_COLOR in html
    assert f"{table.passed} of 8 budgets met" in str(table)
    with pytest.raises(ValueError, match="turn must be"):
        budget_table(original, 5)


def test_legend_can_be_left_out(streaming):
    with_legend = viz.gantt(streaming, turn=0)
    without = viz.gantt(streaming, turn=0, legend=False)
    assert with_legend.axes[0].get_legend() is not None
    assert without.axes[0].get_legend() is None
    assert len(_by_gid(without, "v2v_label:0")) == 1


def _barge_in_trace() -> vl.Trace:
    """A hand-made turn cut short by the caller: cancelled LLM and TTS work, an INTERRUPTED state."""
    from voicelab.engine.trace import _FrozenClock

    trace = vl.Trace(_FrozenClock(0.0), pipeline="streaming")
    trace.begin_turn("Tell me a long story.")
    trace.add_span("caller", "speech", 0.0, 1.6)
    trace.mark("caller", "speech_end", at=1.6)
    trace.add_span("llm", "generate", 2.0, 2.9, cancelled=True)
    trace.add_span("tts", "synthesize", 2.3, 2.9, cancelled=True)
    trace.mark("tts", "tts_first_chunk", at=2.3)
    trace.add_span("playback", "play", 2.3, 2.9)
    for t, state in [(0.0, vl.AgentState.LISTENING), (2.3, vl.AgentState.SPEAKING),
                     (2.9, vl.AgentState.INTERRUPTED), (3.0, vl.AgentState.LISTENING)]:
        trace.clock.t = t
        trace.set_state(state)
    trace.clock.t = 3.0
    trace.end_turn(trace.turns[0])
    return trace


def test_cancelled_work_and_interruptions_are_drawn():
    fig = viz.gantt(_barge_in_trace(), turn=0)
    assert {a.get_gid() for a in _by_gid(fig, "cancelled:")} == {"cancelled:llm", "cancelled:tts"}
    assert _by_gid(fig, "state:interrupted")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "cancelled" in labels and "interrupted" in labels
    assert "0.70 s" in _by_gid(fig, "v2v_label:0")[0].get_text()


@settings(max_examples=12, deadline=None)
@given(texts=st.lists(st.text(alphabet="abc ,.?", min_size=1, max_size=30).filter(str.strip), min_size=1,
                      max_size=3),
       pipeline=st.sampled_from(["original", "streaming"]),
       preset=st.sampled_from(["seed", "naive", "production", "aggressive"]),
       seed=st.integers(0, 2**32 - 1))
def test_any_run_charts_without_error(texts, pipeline, preset, seed):
    run = vl.simulate(texts, pipeline=pipeline, preset=preset, seed=seed)
    whole = viz.gantt(run)
    assert whole.axes[0].get_xlim()[1] >= run.trace.duration
    for i in range(len(texts)):
        fig = viz.gantt(run, turn=i)
        labels = [a.get_text() for a in _by_gid(fig, f"v2v_label:{i}")]
        v2v = run.metrics(i)["voice_to_voice"]
        assert labels == ([] if v2v is None else [labels[0]]) and all(f"{v2v:.2f} s" in t for t in labels)


def _texts(fig: Figure) -> list:
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def test_no_chart_text_is_smaller_than_11_css_px(streaming):
    import voicelab.analysis.experiments as ex
    from voicelab.analysis.whole_path import barge_in_path
    from voicelab.transport.legs import TRANSPORTS
    from voicelab.turntaking.measures import tradeoff
    from voicelab.viz.architecture import architecture_chart

    mc = ex.monte_carlo(100, progress=False)
    webrtc = vl.simulate(pipeline=vl.pipelines.StreamingPipeline(transport=TRANSPORTS["webrtc"]))
    figures = [viz.gantt(streaming, turn=0), viz.gantt(streaming), viz.compare({"a": streaming, "b": streaming}),
               viz.distribution({"voice_to_voice": mc.metrics["voice_to_voice"]}, budgets=mc.budgets),
               viz.tail_chart(mc.tail_attribution()),
               viz.sweep_chart("asr.rtf", [0.5, 1.0], [1.0, 1.2], [1.3, 1.6], budget=1.2),
               viz.false_interruption_chart([0.1, 0.2], [0.5, 0.0], [0.1, 0.2], current=0.2, latency=[0.2, 0.3]),
               viz.speculation_chart([0.1, 0.2], [0.1, 0.05], [0.5, 0.2], [1.0, 0.8]),
               viz.energy_chart(np.full(8000, 0.05), 16_000, [10, 100], threshold=0.01, events={"speech ends": 0.2}),
               viz.tradeoff_chart(tradeoff(turns=100, progress=False), ("fixed", 0.5, 0.1)),
               viz.cutoff_gantt(streaming, 0), viz.path_waterfall(webrtc, 0),
               viz.barge_in_chart([barge_in_path(TRANSPORTS["local"])[0], barge_in_path(TRANSPORTS["webrtc"])[0]]),
               architecture_chart()]
    for fig in figures:
        assert fig.dpi == viz.FIGURE_DPI  # notebooks show it as a PNG at DISPLAY_DPI, 1 px = 1 CSS px
        for text in _texts(fig):
            assert text.get_fontsize() * viz.style.DISPLAY_DPI / 72 >= 11, (text.get_text(), text.get_fontsize())


def test_notebook_figures_are_shown_at_display_dpi_without_a_smaller_width():
    """The inline backend that notebook.setup() configures writes PNGs at DISPLAY_DPI with no width metadata:
    JupyterLab shows them at their pixel size (1 px = 1 CSS px at 100 % zoom), so 8 pt text is 11 px."""
    import json
    import subprocess
    import sys

    script = """
import base64, json, struct
from IPython.terminal.interactiveshell import TerminalInteractiveShell
import voicelab as vl
shell = TerminalInteractiveShell.instance()
vl.notebook.setup()
printer = shell.display_formatter.formatters["image/png"].lookup_by_type("matplotlib.figure.Figure")
png = base64.b64decode(printer(vl.viz.gantt(vl.simulate(), turn=0)))
print(json.dumps({"dpi": printer.keywords.get("dpi"), "metadata": printer.keywords.get("metadata", {}),
                  "width": struct.unpack(">I", png[16:20])[0]}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert shown["dpi"] == viz.style.DISPLAY_DPI
    assert "width" not in shown["metadata"] and "height" not in shown["metadata"]
    assert 0.9 * viz.FIGURE_WIDTH * viz.style.DISPLAY_DPI <= shown["width"] <= 1000  # fits a laptop's output


def _overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of texts drawn in the same axes (bar labels, gap label, budget tags, title) whose boxes overlap."""
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        texts = [t for t in [*ax.texts, ax.title, ax._left_title] if t.get_visible() and t.get_text().strip()]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
        for k, (a, box_a) in enumerate(boxes):
            found += [(a, b) for b, box_b in boxes[k + 1:] if box_a.overlaps(box_b)]
    return found


def test_no_gantt_text_overlaps_another(streaming):
    """The caller's sentence stops before the voice-to-voice label, state names stay in their stretch, in
    notebook figures and in dashboards at the laptop and projector boxes of the browser tests."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from voicelab import dashboards

    for fig in [viz.gantt(streaming, turn=0), viz.gantt(streaming, turn=2), viz.gantt(streaming),
                viz.compare({"a": streaming, "b": streaming})]:
        FigureCanvasAgg(fig)
        assert not _overlaps(fig)
    dash = dashboards.budget_dashboard()
    for box, dpr, font in [([1300, 250], 1.0, 13.0), ([1064, 238], 1.5, 13.0), ([786, 560], 1.0, 15.0),
                           ([722, 530], 1.5, 15.0)]:
        dash.chart.box, dash.chart.dpr, dash.chart.font_px = box, dpr, font
        for moved in ({}, {"vad.endpoint_silence_s": 1.0}, {"llm.ttft_s": 2.0}, {"turn": 1}):
            dash.set({**{k: c.value for k, c in dash.controls.items()}, **moved})
            assert not _overlaps(dash._canvas.figure), (box, moved)


def test_agent_states_are_named_in_their_band_and_left_out_of_the_legend(streaming):
    fig = viz.gantt(streaming, turn=0)
    named = [t.get_text() for t in _by_gid(fig, "state_label:")]
    assert "processing speech" in named and "speaking" in named
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert not set(named) & set(legend)
    drawn = {a.get_gid().split(":")[1] for a in _by_gid(fig, "state:")}
    listed = {palette.STATE_LABELS[vl.engine.trace.AgentState(s)] for s in drawn}
    assert listed <= set(named) | set(legend)  # every state shown is named somewhere


def test_legend_is_grouped_with_few_entries_per_group_and_only_what_occurs(streaming):
    fig = viz.gantt(streaming, turn=0)
    texts = fig.axes[0].get_legend().get_texts()
    bold = [t.get_text() for t in texts if t.get_fontweight() == "bold"]
    assert bold == ["events", "stage bars", "budget lines", "agent states"]
    groups, current = {}, None
    for t in texts:
        if t.get_text() in bold:
            current = t.get_text()
        elif t.get_text():
            groups.setdefault(current, []).append(t.get_text())
    assert all(len(entries) <= 8 for entries in groups.values()), groups
    assert len(fig.axes[0].get_legend().get_texts()) == sum(map(len, groups.values())) + len(bold)  # one column
    assert "playback underrun" not in groups["stage bars"] and "cancelled" not in groups["stage bars"]
    assert "interrupted" not in groups["agent states"]

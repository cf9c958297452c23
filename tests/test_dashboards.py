"""Drive every dashboard from code: move sliders (extremes included) and check the chart and verdicts follow."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import voicelab as vl
from voicelab import dashboards
from voicelab.engine.validation import ConfigError

DASHBOARDS = {
    "budget": dashboards.budget_dashboard,
    "chunk": dashboards.chunk_dashboard,
    "endpoint": dashboards.endpoint_dashboard,
    "tts": dashboards.tts_dashboard,
}


@pytest.fixture(scope="module", params=list(DASHBOARDS))
def dash(request) -> dashboards.Dashboard:
    return DASHBOARDS[request.param]()


@pytest.fixture(scope="module")
def budget() -> dashboards.Dashboard:
    return dashboards.budget_dashboard()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _reset(d: dashboards.Dashboard) -> None:
    d.reset()


# -- the generic mechanism --------------------------------------------------------------------------------

def test_sliders_come_from_param_info_and_budget_ranges(budget):
    for key, control in budget.controls.items():
        slider = budget.sliders[key]
        if key.startswith(dashboards.BUDGET_PREFIX):
            lo, hi = 0.0, 60.0
        elif key in vl.engine.config.param_names():
            lo, hi = vl.engine.config.param_info(key)["range"]
            assert control.unit == vl.engine.config.param_info(key)["unit"]
        else:
            continue
        assert lo <= slider.min <= control.value <= slider.max <= hi, key
        assert slider.description == control.description and control.description
        assert slider.continuous_update is False  # debounced: a drag reports once, on release


def test_starting_values_are_the_preset(budget):
    preset = vl.presets.get_preset("seed")
    assert budget.values["llm.ttft_s"] == preset.stages.llm.ttft_s
    assert budget.values["budget.voice_to_voice"] == preset.budgets.voice_to_voice
    assert budget.values["caller.chunk_ms"] == preset.stages.caller.chunk_ms


def test_verdicts_match_an_independent_simulation(budget):
    budget.set({"llm.ttft_s": 0.9, "tts.rtf": 1.4, "budget.voice_to_voice": 1.5, "turn": 1})
    stages = vl.StageConfigs().with_params({"llm.ttft_s": 0.9, "tts.rtf": 1.4})
    budgets = vl.presets.get_preset("seed").budgets.replace(voice_to_voice=1.5)
    report = vl.simulate(stages=stages, budgets=budgets).report(1)
    expected = {name: ("PASS" if v.ok else "MISS") for name, v in report.items()}
    assert report["voice_to_voice"].value > 0
    assert budget.verdicts == expected
    _reset(budget)


def test_raising_llm_ttft_past_the_budget_flips_it_to_miss(budget):
    _reset(budget)
    budget.set({"llm.ttft_s": 0.0, "budget.voice_to_voice": 3.0})
    assert budget.verdicts["llm_first_token"] == "PASS"
    assert budget.verdicts["voice_to_voice"] == "PASS"
    low_png = budget.png
    budget.set({"llm.ttft_s": budget.sliders["llm.ttft_s"].max})  # 3 s: past the 3 s voice-to-voice budget
    assert budget.verdicts["llm_first_token"] == "MISS"
    assert budget.verdicts["voice_to_voice"] == "MISS"
    assert budget.png != low_png
    _reset(budget)


def test_a_budget_slider_changes_the_verdict_not_the_run(budget):
    _reset(budget)
    before = budget.result.trace.to_dict()
    budget.set({"budget.voice_to_voice": 0.0})
    assert budget.verdicts["voice_to_voice"] == "MISS"
    budget.set({"budget.voice_to_voice": 3.0})
    assert budget.verdicts["voice_to_voice"] == "PASS"
    assert budget.result.trace.to_dict() == before
    _reset(budget)


def test_agent_talking_over_the_caller_misses_voice_to_voice(budget):
    budget.set({"caller.pause_s": 0.6, "vad.endpoint_silence_s": 0.2, "budget.voice_to_voice": 3.0})
    assert budget.result.metrics(0)["voice_to_voice"] < 0
    assert budget.result.report(0)["voice_to_voice"].ok  # the bare budget check cannot see it...
    assert budget.verdicts["voice_to_voice"] == "MISS"  # ...the dashboard does
    _reset(budget)


def test_reset_button_restores_the_starting_values(budget):
    start = budget.values
    budget.set({"llm.ttft_s": 2.0, "seed": 5})
    budget.reset_button.click()
    assert budget.values == start


def test_same_settings_same_chart_bytes(budget):
    _reset(budget)
    first = budget.png
    budget.set({"asr.rtf": 1.5})
    assert budget.png != first
    _reset(budget)
    assert budget.png == first


def test_jitter_and_seed_change_the_run_only_with_jitter(budget):
    _reset(budget)
    fixed = budget.png
    budget.set({"seed": 7})
    assert budget.png == fixed  # no jitter: the seed draws nothing
    budget.set({"jitter": 3.0})
    jittered = budget.png
    assert jittered != fixed
    budget.set({"seed": 8})
    assert budget.png != jittered
    _reset(budget)


def test_turn_slider_shows_that_turn(budget):
    _reset(budget)
    budget.set({"turn": 2})
    assert budget._canvas.ax.get_title(loc="left").endswith(f"“{vl.presets.TUTORIAL_INPUTS[2]}”")
    _reset(budget)


def test_moving_a_slider_widget_redraws(budget):
    _reset(budget)
    renders, png = budget.renders, budget.png
    budget.sliders["tts.first_chunk_s"].value = 1.2
    assert budget.renders == renders + 1
    assert budget.png != png
    assert budget.chart.png == budget.png
    assert "MISS" in budget.table.value
    _reset(budget)


def test_every_slider_at_both_extremes_renders(dash):
    _reset(dash)
    for key in dash.controls:
        for value in (dash.sliders[key].min, dash.sliders[key].max):
            dash.set({key: value})
            assert dash.error is None, (key, value, dash.error)
            assert _image(dash.png).size == dashboards.canvas.DEFAULT_SIZE
            assert set(dash.verdicts.values()) <= {"PASS", "MISS", "n/a"}
    _reset(dash)


def test_all_sliders_at_their_minimum_then_maximum(dash):
    for end in ("min", "max"):
        dash.set({key: getattr(s, end) for key, s in dash.sliders.items()})
        assert dash.error is None, (end, dash.error)
        _image(dash.png)
    _reset(dash)


def test_set_rejects_unknown_controls_and_values_off_the_slider(budget):
    with pytest.raises(ConfigError, match="unknown dashboard control 'llm.ttft'"):
        budget.set({"llm.ttft": 1.0})
    with pytest.raises(ConfigError, match=r"llm.ttft_s must be a number in \[0, 3\] s; got 7"):
        budget.set({"llm.ttft_s": 7})


def test_a_scenario_that_cannot_run_shows_its_error_instead_of_raising():
    broken = dashboards.Scenario(changes=(("caller.chunk_ms", 2000.0),))
    d = dashboards.Dashboard("broken", broken, {"LLM": ["llm.ttft_s"]}, dashboards.budget_rows)
    assert d.error is not None and "caller.chunk_ms" in d.error and "[5, 1000]" in d.error
    assert "caller.chunk_ms" in d.status.value
    assert d.verdicts == {} and d.png == b""
    d.set({"llm.ttft_s": 1.0})  # still no exception
    assert d.error is not None


def test_bad_arguments_fail_before_any_widget_exists():
    with pytest.raises(ConfigError, match="unknown preset"):
        dashboards.budget_dashboard(preset="nope")
    with pytest.raises(ConfigError, match="non-empty"):
        dashboards.budget_dashboard(texts=["  "])


def test_displays_as_widget_with_a_static_png_and_text_fallback(budget):
    _reset(budget)
    bundle = budget._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == budget.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == budget.png
    text = bundle["text/plain"]
    assert "voice_to_voice" in text and ("PASS" in text or "MISS" in text)
    assert "0x" not in text and budget.widget.model_id not in text


def test_legend_bitmap_cache_gives_the_same_pixels_as_a_fresh_render():
    a = vl.simulate(texts=["Hello, how are you today?"])
    b = vl.simulate(texts=["Hello, how are you today?"], stages=vl.StageConfigs().with_params({"llm.ttft_s": 1.0}))
    reused = dashboards.GanttCanvas()
    reused.render(a, 0)
    assert reused.render(b, 0).png == dashboards.GanttCanvas().render(b, 0).png


def test_every_dashboard_chart_is_a_readable_png(dash):
    _reset(dash)
    image = _image(dash.png)
    assert image.format == "PNG" and image.size == dashboards.canvas.DEFAULT_SIZE
    assert len(dash.png) < 120_000


# -- the notebook dashboards tell their story ----------------------------------------------------------------

def test_chunk_size_asr_keeps_up_only_when_per_chunk_cost_fits_in_a_chunk():
    d = dashboards.chunk_dashboard()
    for chunk_ms in (10, 20, 50, 100, 400):
        d.set({"caller.chunk_ms": chunk_ms})
        chunk_s = chunk_ms / 1000
        keeps_up = d.values["asr.overhead_s"] + d.values["asr.rtf"] * chunk_s <= chunk_s + 1e-9
        assert d.verdicts["ASR keeps up with audio"] == ("PASS" if keeps_up else "MISS"), chunk_ms
        first = next(r for r in d.rows if r.name == "first audio chunk arrives")
        assert first.value == f"{chunk_s:.3f} s"


def test_chunk_dashboard_says_why_its_two_asr_rows_disagree():
    d = dashboards.chunk_dashboard()
    d.set({"caller.chunk_ms": 20})  # a chunk costs more than its 20 ms, but less than the 80 ms budget
    assert (d.verdicts["ASR keeps up with audio"], d.verdicts["asr_processing"]) == ("MISS", "PASS")
    assert "its own 20 ms" in d.notice.value and "80 ms per chunk whatever the chunk size" in d.notice.value
    d.set({"caller.chunk_ms": 50})  # both pass: nothing to explain
    assert d.verdicts["asr_processing"] == d.verdicts["ASR keeps up with audio"] == "PASS"
    assert "disagree" not in d.notice.value


def test_endpoint_shorter_than_the_pause_cuts_the_caller_off():
    d = dashboards.endpoint_dashboard()
    d.set({"caller.pause_s": 0.6, "vad.endpoint_silence_s": 0.3})
    assert d.verdicts["caller heard out"] == "MISS"
    assert d.verdicts["turn ended after speech end"] == "MISS"
    assert len(d.result.trace.turns[0].transcript) < len(dashboards.ENDPOINT_TEXT)
    d.set({"vad.endpoint_silence_s": 0.8})
    assert d.verdicts["caller heard out"] == "PASS"
    assert d.result.trace.turns[0].transcript == dashboards.ENDPOINT_TEXT


def test_endpoint_longer_wait_means_later_reply_when_nobody_is_cut_off():
    d = dashboards.endpoint_dashboard()
    v2v = []
    for silence in (0.3, 0.6, 1.2):
        d.set({"caller.pause_s": 0.0, "vad.endpoint_silence_s": silence})
        v2v.append(d.result.metrics(0)["voice_to_voice"])
    assert v2v == sorted(v2v) and v2v[0] < v2v[-1]


def test_tts_slower_than_real_time_underruns():
    d = dashboards.tts_dashboard()
    d.set({"tts.rtf": 0.8})
    assert d.verdicts["smooth playback"] == "PASS" and dashboards.underruns(d.result, 0)[0] == 0
    smooth = d.png
    d.set({"tts.rtf": 2.0})
    assert d.verdicts["smooth playback"] == "MISS" and dashboards.underruns(d.result, 0)[0] > 0
    assert d.verdicts["TTS speed"] == "MISS"
    assert d.png != smooth


# -- random slider settings never raise ---------------------------------------------------------------------

def _settings_strategy(d: dashboards.Dashboard) -> st.SearchStrategy[dict[str, float]]:
    def one(key: str) -> st.SearchStrategy[float]:
        s = d.sliders[key]
        if d.controls[key].integer:
            return st.integers(int(s.min), int(s.max))
        return st.floats(s.min, s.max, allow_nan=False)

    return st.fixed_dictionaries({}, optional={key: one(key) for key in d.sliders})


@pytest.mark.parametrize("name", list(DASHBOARDS))
def test_random_slider_settings_never_raise(name):
    d = DASHBOARDS[name]()

    @settings(max_examples=20 if name == "budget" else 10, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(_settings_strategy(d))
    def check(values: dict[str, float]) -> None:
        d.set(values)
        assert d.error is None, (values, d.error)
        assert d.png.startswith(b"\x89PNG")
        assert set(d.verdicts.values()) <= {"PASS", "MISS", "n/a"}

    check()


def test_snapshot_names_the_changed_settings_and_holds_the_current_chart(budget):
    _reset(budget)
    assert "starting values" in budget.snapshot().text
    budget.set({"llm.ttft_s": 1.0})
    shot = budget.snapshot()
    assert shot.png == budget.png and "llm.ttft_s = 1" in shot.text and "llm_first_token" in shot.text
    assert base64.b64decode(shot._repr_mimebundle_()["image/png"]) == budget.png
    _reset(budget)


# -- layout, legibility and a stable time axis (issue 10) ---------------------------------------------------

def test_dashboard_arguments_off_their_range_fail_up_front_naming_the_field():
    with pytest.raises(ConfigError, match=r"barge_in\.after_s must be a number in \[0, 3\] s; got 100"):
        dashboards.interruption_dashboard(after_s=100)
    with pytest.raises(ConfigError, match=r"jitter must be a number in \[1, 20\]"):
        dashboards.tail_dashboard(jitter=50, turns=5)
    with pytest.raises(ConfigError, match=r"turns must be an integer in \[100, 2000\]; got 5"):
        dashboards.tail_dashboard(turns=5)
    with pytest.raises(ConfigError, match="tail must be one of lognormal, pareto; got 'nope'"):
        dashboards.tail_dashboard(tail="nope")
    with pytest.raises(ConfigError, match="at least one caller turn"):
        dashboards.interruption_dashboard(texts=[])
    with pytest.raises(ConfigError, match="at least two caller turns"):
        dashboards.interruption_dashboard(texts=["Only one."])
    with pytest.raises(ConfigError, match=r"barge_in\.burst_s must be a number in \[0, 1\] s"):
        dashboards.interruption_dashboard(burst_s=-1)


def test_endpoint_silence_steps_in_vad_frames_and_every_step_changes_the_chart():
    d = dashboards.budget_dashboard()
    slider = d.sliders["vad.endpoint_silence_s"]
    assert slider.step == vl.stages.vad.VAD_WINDOW_S
    seen = {d.png}
    for _ in range(10):
        slider.value = round(slider.value + slider.step, 9)
        assert d.png not in seen, f"endpoint silence {slider.value}: the chart did not change"
        seen.add(d.png)


def test_chunk_grid_rounding_is_said_and_drawn():
    d = dashboards.budget_dashboard()
    d.set({"vad.endpoint_silence_s": 0.53})
    assert "next 100 ms audio chunk, 0.07 s later" in d.notice.value
    assert any(a.get_gid() == "chunk_wait:0" for a in d._canvas.ax.findobj())
    d.set({"vad.endpoint_silence_s": 0.5})
    assert "audio chunk" not in d.notice.value


def test_time_axis_stays_fixed_and_widens_only_with_a_notice():
    d = dashboards.budget_dashboard()
    start = d.chart.xlim
    for value in (0.55, 0.6, 0.45, 0.3, 0.52):
        d.set({"vad.endpoint_silence_s": value})
        assert d.chart.xlim == start and "widened" not in d.notice.value
    d.set({"llm.ttft_s": 3.0})  # the reply now ends past the axis: it widens and says so
    lo, hi = (float(v) for v in d.chart.xlim.split(","))
    assert hi >= d.result.trace.turns[0].end - d.result.trace.turns[0].start and "widened" in d.notice.value
    d.set({"llm.ttft_s": 0.3})
    assert d.chart.xlim == f"{lo:.3f},{hi:.3f}"  # stays wide until fitted
    d.fit_button.click()
    assert d.chart.xlim == start
    d.fixed_axis.value = False
    d.set({"llm.ttft_s": 2.0})
    assert d.chart.xlim != start  # not fixed: follows the content


def test_chart_renders_for_the_box_the_page_reports():
    d = dashboards.budget_dashboard()
    d.chart.box, d.chart.dpr = [1100, 300], 1.5
    assert _image(d.png).size == (1650, 450) and d.chart.size == [1100, 300]
    d.set({"llm.ttft_s": 1.0})
    assert _image(d.png).size == (1650, 450)
    assert _image(d.snapshot().png).size == dashboards.canvas.DEFAULT_SIZE  # notebook outputs keep one size


def test_headline_shows_voice_to_voice_and_its_budget_first(budget):
    _reset(budget)
    assert budget.headline.value.startswith("voice-to-voice 1.150 s · budget 0 to 0.800 s")
    assert "MISS" in budget.headline.value
    barge = dashboards.interruption_dashboard()
    assert barge.headline.value.startswith("interruption latency 0.200 s · budget ≤ 0.300 s")


def test_every_label_is_whole_and_buttons_size_to_their_text(dash):
    for slider in dash.sliders.values():
        width = float(slider.style.description_width.removesuffix("em"))
        assert width * 1.0 >= len(slider.description) * 0.55, slider.description
    assert dash.reset_button.layout.width == "auto" and dash.fit_button.layout.width == "auto"


def test_tail_dashboard_remembers_settings_it_has_seen():
    d = dashboards.tail_dashboard(turns=100)
    first = d.png
    d.set({"jitter": 2.0})
    assert d.computed == 2
    d.set({"jitter": 1.5})
    assert d.computed == 2 and d.png == first  # from the cache, not recomputed


def test_tail_dashboard_draws_the_notebook_chart_pixel_for_pixel_on_every_move():
    """The dashboard's reused figure (layout kept per size, legend pasted from a bitmap) gives the same pixels as
    a new tail_chart saved at that size, move after move, size after size, also where a long title or a narrow
    box makes it lay the chart out again."""
    from voicelab.dashboards.tail_canvas import TailCanvas

    def pixels(png: bytes) -> bytes:
        return Image.open(io.BytesIO(png)).convert("RGB").tobytes()

    attributions = [vl.analysis.experiments.monte_carlo(60, seed=seed, jitter=jitter, tail=tail, progress=False,
                                               workers=1).tail_attribution()
                    for seed, jitter, tail in [(0, 1.5, "lognormal"), (1, 3.0, "pareto"), (2, 1.2, "lognormal")]]
    canvas = TailCanvas()
    for size, dpr, px_per_inch in [((900, 310), 1.0, 100.0), ((1400, 420), 2.0, 120.0), ((560, 260), 1.0, 112.0),
                                   ((900, 310), 1.5, 100.0)]:
        for attribution in attributions:
            fig = vl.viz.tail_chart(attribution, figsize=(size[0] / px_per_inch, size[1] / px_per_inch))
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=px_per_inch * dpr)
            assert pixels(canvas.render(attribution, size, dpr, px_per_inch)) == pixels(out.getvalue()), size


def test_tail_chart_keeps_its_text_whole_and_apart_in_narrow_and_short_boxes():
    """In the boxes a dashboard gets on a laptop (narrow: the title takes two lines and the legend one column;
    short: the legend names the parts only), no text reaches past the figure and none runs into another."""
    from matplotlib.text import Text

    from voicelab.dashboards.tail_canvas import TailCanvas

    attribution = vl.analysis.experiments.monte_carlo(60, seed=1, jitter=3.0, tail="pareto", progress=False,
                                             workers=1).tail_attribution()
    canvas = TailCanvas()
    for size, px_per_inch in [((761, 230), 117.0), ((706, 380), 117.0), ((500, 300), 100.0), ((900, 310), 100.0),
                              ((1180, 230), 117.0)]:
        canvas.render(attribution, size, 1.0, px_per_inch)
        ax, renderer = canvas.ax, canvas.canvas.get_renderer()
        lo, hi = ax.get_xlim()
        texts = [t for t in [*ax.texts, ax.xaxis.label, *ax.get_yticklabels(),
                             *(c for c in ax.get_children() if isinstance(c, Text) and c not in ax.texts),
                             *(tick.label1 for tick in ax.xaxis.get_major_ticks() if lo <= tick.get_loc() <= hi)]
                 if t.get_visible() and t.get_text().strip()]
        boxes = [t.get_window_extent(renderer) for t in texts] + [canvas.legend.get_window_extent(renderer)]
        page = canvas.figure.bbox
        for box in boxes:
            assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1, (size, box)
        apart = [canvas.legend.get_window_extent(renderer), ax.xaxis.label.get_window_extent(renderer),
                 *(t.get_window_extent(renderer) for t in ax.texts)]
        assert not [(a, b) for k, a in enumerate(apart) for b in apart[k + 1:] if a.overlaps(b)], size


def test_tail_dashboard_newer_move_cancels_the_run_in_flight():
    d = dashboards.tail_dashboard(turns=100)
    import threading

    started, release = threading.Event(), threading.Event()
    real = dashboards.tail.monte_carlo

    def slow(*args, progress, **kwargs):
        def hook(done):
            started.set()
            release.wait(5)
            return progress(done)

        return real(*args, progress=hook, **kwargs)

    dashboards.tail.monte_carlo = slow
    try:
        d._hold = True
        d.sliders["jitter"].value = 3.0
        d._hold = False
        d.refresh(background=True)  # a slider move in a kernel
        assert started.wait(5)
        assert d.progress.layout.visibility == "visible" and d.progress.max == 100  # progress while it runs
        d._hold = True
        d.sliders["jitter"].value = 2.5
        d._hold = False
        dashboards.tail.monte_carlo = real
        d.refresh()  # the newer move, computed here
        release.set()
    finally:
        dashboards.tail.monte_carlo = real
        release.set()
    for _ in range(100):
        if not any(t.daemon and t.is_alive() and t is not threading.current_thread() for t in threading.enumerate()):
            break
        threading.Event().wait(0.05)
    assert d.values["jitter"] == 2.5 and "jitter = 2.5" in d.text()
    assert d.computed == 2  # the start and the last move; the cancelled run never finished

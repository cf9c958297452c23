"""Drive every dashboard from code: move sliders (extremes included) and check the chart and verdicts follow."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import voicelab as vl
from voicelab import dashboards as widgets
from voicelab.validation import ConfigError

DASHBOARDS = {
    "budget": widgets.budget_dashboard,
    "chunk": widgets.chunk_dashboard,
    "endpoint": widgets.endpoint_dashboard,
    "tts": widgets.tts_dashboard,
}


@pytest.fixture(scope="module", params=list(DASHBOARDS))
def dash(request) -> widgets.Dashboard:
    return DASHBOARDS[request.param]()


@pytest.fixture(scope="module")
def budget() -> widgets.Dashboard:
    return widgets.budget_dashboard()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _reset(d: widgets.Dashboard) -> None:
    d.reset()


# -- the generic mechanism --------------------------------------------------------------------------------

def test_sliders_come_from_param_info_and_budget_ranges(budget):
    for key, control in budget.controls.items():
        slider = budget.sliders[key]
        if key.startswith(widgets.BUDGET_PREFIX):
            lo, hi = 0.0, 60.0
        elif key in vl.config.param_names():
            lo, hi = vl.config.param_info(key)["range"]
            assert control.unit == vl.config.param_info(key)["unit"]
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
    reset = budget.widget.children[0].children[1]
    reset.click()
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
    assert budget.image.value == budget.png
    assert "MISS" in budget.table.value
    _reset(budget)


def test_every_slider_at_both_extremes_renders(dash):
    _reset(dash)
    for key in dash.controls:
        for value in (dash.sliders[key].min, dash.sliders[key].max):
            dash.set({key: value})
            assert dash.error is None, (key, value, dash.error)
            assert _image(dash.png).size == (720, 344)
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
    broken = widgets.Scenario(changes=(("caller.chunk_ms", 2000.0),))
    d = widgets.Dashboard("broken", broken, {"LLM": ["llm.ttft_s"]}, widgets.budget_rows)
    assert d.error is not None and "caller.chunk_ms" in d.error and "[5, 1000]" in d.error
    assert "caller.chunk_ms" in d.status.value
    assert d.verdicts == {} and d.png == b""
    d.set({"llm.ttft_s": 1.0})  # still no exception
    assert d.error is not None


def test_bad_arguments_fail_before_any_widget_exists():
    with pytest.raises(ConfigError, match="unknown preset"):
        widgets.budget_dashboard(preset="nope")
    with pytest.raises(ConfigError, match="non-empty"):
        widgets.budget_dashboard(texts=["  "])


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
    reused = widgets.GanttCanvas()
    reused.render(a, 0)
    assert reused.render(b, 0) == widgets.GanttCanvas().render(b, 0)


def test_every_dashboard_chart_is_a_readable_png(dash):
    _reset(dash)
    image = _image(dash.png)
    assert image.format == "PNG" and image.size == (720, 344)
    assert len(dash.png) < 80_000


# -- the notebook dashboards tell their story ----------------------------------------------------------------

def test_chunk_size_asr_keeps_up_only_when_per_chunk_cost_fits_in_a_chunk():
    d = widgets.chunk_dashboard()
    for chunk_ms in (10, 20, 50, 100, 400):
        d.set({"caller.chunk_ms": chunk_ms})
        chunk_s = chunk_ms / 1000
        keeps_up = d.values["asr.overhead_s"] + d.values["asr.rtf"] * chunk_s <= chunk_s + 1e-9
        assert d.verdicts["ASR keeps up with audio"] == ("PASS" if keeps_up else "MISS"), chunk_ms
        first = next(r for r in d.rows if r.name == "first audio chunk arrives")
        assert first.value == f"{chunk_s:.3f} s"


def test_endpoint_shorter_than_the_pause_cuts_the_caller_off():
    d = widgets.endpoint_dashboard()
    d.set({"caller.pause_s": 0.6, "vad.endpoint_silence_s": 0.3})
    assert d.verdicts["caller heard out"] == "MISS"
    assert d.verdicts["turn ended after speech end"] == "MISS"
    assert len(d.result.trace.turns[0].transcript) < len(widgets.ENDPOINT_TEXT)
    d.set({"vad.endpoint_silence_s": 0.8})
    assert d.verdicts["caller heard out"] == "PASS"
    assert d.result.trace.turns[0].transcript == widgets.ENDPOINT_TEXT


def test_endpoint_longer_wait_means_later_reply_when_nobody_is_cut_off():
    d = widgets.endpoint_dashboard()
    v2v = []
    for silence in (0.3, 0.6, 1.2):
        d.set({"caller.pause_s": 0.0, "vad.endpoint_silence_s": silence})
        v2v.append(d.result.metrics(0)["voice_to_voice"])
    assert v2v == sorted(v2v) and v2v[0] < v2v[-1]


def test_tts_slower_than_real_time_underruns():
    d = widgets.tts_dashboard()
    d.set({"tts.rtf": 0.8})
    assert d.verdicts["smooth playback"] == "PASS" and widgets.underruns(d.result, 0)[0] == 0
    smooth = d.png
    d.set({"tts.rtf": 2.0})
    assert d.verdicts["smooth playback"] == "MISS" and widgets.underruns(d.result, 0)[0] > 0
    assert d.verdicts["TTS speed"] == "MISS"
    assert d.png != smooth


# -- random slider settings never raise ---------------------------------------------------------------------

def _settings_strategy(d: widgets.Dashboard) -> st.SearchStrategy[dict[str, float]]:
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

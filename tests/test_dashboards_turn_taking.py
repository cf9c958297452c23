"""The turn-taking dashboard: settings drive the turn shown and the point on the trade-off curve."""

from __future__ import annotations

from dataclasses import fields

import pytest

from voicelab.dashboards import turn_taking_dashboard
from voicelab.dashboards.turn_taking import DYNAMIC_KNOBS, KNOBS, STATIC_SIZE
from voicelab.engine.validation import ConfigError
from voicelab.turntaking.policies import POLICIES
from voicelab.viz.style import PX_PER_INCH


@pytest.fixture(scope="module")
def dashboard():
    return turn_taking_dashboard()


def test_every_policy_has_a_slider_for_its_own_knob_over_its_own_sweep():
    assert set(KNOBS) == set(POLICIES)
    for name, policy in POLICIES.items():
        assert (KNOBS[name].key, KNOBS[name].lo, KNOBS[name].hi) == (policy.knob, min(policy.knob_values),
                                                                     max(policy.knob_values)), name
    dynamic = {field.name for field in fields(POLICIES["dynamic"])}
    assert all(key == f"dynamic.{knob.key}" and knob.key in dynamic for key, knob in DYNAMIC_KNOBS.items())


def test_the_point_moves_along_the_curve_with_the_knob(dashboard):
    dashboard.set({"policy": "fixed", "knob": 0.2})
    quick = dict(dashboard.point)
    dashboard.set({"knob": 1.2})
    patient = dict(dashboard.point)
    assert quick["value"] == 0.2 and patient["value"] == 1.2
    assert quick["cutoff_rate"] > patient["cutoff_rate"]
    assert quick["median_delay"] < patient["median_delay"]
    assert dashboard.png.startswith(b"\x89PNG")
    assert "false cut-offs" in dashboard.text()


def test_switching_policy_resets_the_knob_to_its_own_span(dashboard):
    dashboard.set({"policy": "adaptive"})
    assert dashboard.point["knob"] == "factor" and dashboard.sliders["knob"].max == 6.0
    assert dashboard.sliders["accuracy"].disabled
    dashboard.set({"policy": "semantic", "accuracy": 0.95})
    assert dashboard.point["knob"] == "stop_s" and not dashboard.sliders["accuracy"].disabled


def test_a_more_hesitant_caller_is_cut_off_more(dashboard):
    dashboard.set({"policy": "fixed", "knob": 0.5, "hesitation.rate": 0.1})
    calm = dashboard.point["cutoff_rate"]
    dashboard.set({"hesitation.rate": 0.5})
    assert dashboard.point["cutoff_rate"] > calm


def test_bad_controls_name_the_problem(dashboard):
    with pytest.raises(ConfigError, match="unknown dashboard control 'speed'"):
        dashboard.set({"speed": 1})
    with pytest.raises(ConfigError, match=r"seed must be an integer in \[0, 50\]; got 99"):
        dashboard.set({"seed": 99})


def test_the_charts_are_drawn_for_their_box_with_text_as_large_as_the_dashboards(dashboard):
    from io import BytesIO

    from PIL import Image

    dashboard.set({"policy": "fixed", "knob": 0.5, "seed": 0})
    dashboard.chart.box, dashboard.chart.dpr, dashboard.chart.font_px = [1000, 500], 1.5, 15.0
    try:
        assert Image.open(BytesIO(dashboard.png)).size == (1500, 750)
        assert dashboard.chart.size == [1000, 500]
        assert dashboard.chart.text_pt / 72 * 1000 / dashboard.chart.inches >= 15 - 1e-6
    finally:
        dashboard.chart.box = [0, 0]
    assert Image.open(BytesIO(dashboard.png)).size == STATIC_SIZE  # the static PNG: 8 pt text at 11 px
    assert dashboard.chart.text_pt * PX_PER_INCH / 72 >= 11


def test_the_time_axis_holds_while_the_knobs_move_and_fit_refits_it(dashboard):
    def hi() -> float:
        return float(dashboard.chart.xlim.split(",")[1])

    dashboard.set({"policy": "fixed", "knob": 0.5, "seed": 0, "hesitation.rate": 0.3})
    dashboard.fit()
    knobs = (0.3, 0.8, 1.2, 0.2, 0.5)
    for knob in knobs:  # the axis only ever widens (when the turn would be cut off), and then says so
        before = hi()
        dashboard.set({"knob": knob})
        assert hi() == before or (hi() > before and "widened" in dashboard.notice.value)
    axis = dashboard.chart.xlim
    for knob in knobs:  # wide enough for all of them now: it holds
        dashboard.set({"knob": knob})
        assert dashboard.chart.xlim == axis and "widened" not in dashboard.notice.value
    dashboard.fit()
    assert hi() < float(axis.split(",")[1])  # fitted to the turn shown (knob 0.5) again


def test_labels_are_whole_and_a_false_cut_off_is_labelled_clear_of_other_text(dashboard):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from voicelab.viz.turns import cutoff_gantt

    width = float(dashboard.policy_box.style.description_width.removesuffix("em"))
    assert all(len(s.description) * 0.6 <= width for s in [dashboard.policy_box, *dashboard.sliders.values()])
    for seed in range(10):
        dashboard.set({"policy": "fixed", "knob": 0.15, "seed": seed})
        if dashboard.turn_values["false_cutoff"]:
            break
    assert dashboard.turn_values["false_cutoff"] and "FALSE CUT-OFF" in dashboard.headline.value
    for figure in (dashboard._canvas.figure, cutoff_gantt(dashboard.result, 0)):
        FigureCanvasAgg(figure).draw()
        renderer = figure.canvas.get_renderer()
        ax = figure.axes[0]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
        assert any("false cut-off" in text for text, _ in boxes)
        clashes = [(a, b) for k, (a, box) in enumerate(boxes) for b, other in boxes[k + 1:] if box.overlaps(other)]
        assert not clashes, clashes


def test_a_knob_move_draws_what_a_fresh_dashboard_draws_at_that_setting():
    """A move redraws only the ring over the kept curves: the picture is the one drawn from scratch."""
    from io import BytesIO

    import numpy as np
    from PIL import Image

    moved = turn_taking_dashboard()
    moved.sliders["knob"].value = 0.3
    moved.sliders["knob"].value = 0.8
    fresh = turn_taking_dashboard()
    fresh.sliders["knob"].value = 0.8
    fresh._tradeoff = None  # nothing kept: every artist drawn
    fresh.redraw()

    def pixels(png: bytes) -> np.ndarray:
        return np.asarray(Image.open(BytesIO(png)).convert("RGB"))

    assert np.array_equal(pixels(moved.png), pixels(fresh.png))
    assert not np.array_equal(pixels(moved.png), pixels(turn_taking_dashboard().png))  # the ring did move

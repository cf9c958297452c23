"""The turn-taking dashboard: settings drive the turn shown and the point on the trade-off curve."""

from __future__ import annotations

import pytest

from voicelab.dashboards import turn_taking_dashboard
from voicelab.validation import ConfigError


@pytest.fixture(scope="module")
def dashboard():
    return turn_taking_dashboard()


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
    with pytest.raises(ConfigError, match=r"seed must be in \[0, 50\]"):
        dashboard.set({"seed": 99})

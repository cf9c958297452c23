"""The interruption trade-off chart draws each curve's points where the curve puts them, and refuses a mismatch."""

from __future__ import annotations

import pytest

from voicelab.turntaking.interruptions import interruption_tradeoff
from voicelab.viz import interruption_chart


def _line(fig, gid):
    return next(line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == gid)


def test_each_curve_is_drawn_as_percent_and_milliseconds():
    vad = interruption_tradeoff([0.0, 0.3], mode="vad", turns=200)
    adaptive = interruption_tradeoff([0.3, 0.7], turns=200)
    fig = interruption_chart([vad, adaptive])
    missed = _line(fig, "missed-1")
    assert list(missed.get_xdata()) == [100 * v for v in adaptive.false_stop]
    assert list(missed.get_ydata()) == [100 * v for v in adaptive.missed]
    assert list(_line(fig, "latency-0").get_ydata()) == [1000 * v for v in vad.stop_latency]
    assert [t.get_text() for t in fig.legends[0].get_texts()][0].startswith("vad")


def test_two_curves_of_one_mode_get_different_colours():
    a, b = interruption_tradeoff([0.5], turns=50), interruption_tradeoff([0.5], accuracy=0.97, turns=50)
    fig = interruption_chart([a, b], labels=["90 %", "97 %"])
    assert _line(fig, "missed-0").get_color() != _line(fig, "missed-1").get_color()


@pytest.mark.parametrize("curves,labels", [([], None), ([interruption_tradeoff([0.5], turns=10)], ["a", "b"])])
def test_no_curve_or_a_label_too_many_is_refused(curves, labels):
    with pytest.raises(ValueError, match="interruption_chart"):
        interruption_chart(curves, labels)

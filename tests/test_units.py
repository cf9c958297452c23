"""voicelab.engine.units: the one home of the sample rate, the nanosecond grid and the time tolerance."""

import ast
import math
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import voicelab as vl
from voicelab.engine.units import EPS, SAMPLE_RATE, to_ns_grid

PACKAGE = Path(vl.__file__).parent


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_the_grid_is_exactly_round_to_9_digits(x):
    assert math.copysign(1, to_ns_grid(x)) == math.copysign(1, round(x, 9))
    assert to_ns_grid(x) == round(x, 9)
    assert to_ns_grid(np.float64(x)) == round(np.float64(x), 9)


def test_the_grid_absorbs_float_drift_and_eps_is_below_it():
    assert 0.1 + 0.2 != 0.3 and to_ns_grid(0.1 + 0.2) == 0.3
    assert EPS == 10.0 ** -9 and EPS < 1 / SAMPLE_RATE


def test_units_are_written_once():
    """No module but units.py writes the sample rate, the 1e-9 tolerance or round(x, 9) itself."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "units.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value in (16_000, 1e-9):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round"
                  and len(node.args) == 2 and isinstance(node.args[1], ast.Constant) and node.args[1].value == 9):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: round(..., 9)")
    assert not found, "use voicelab.engine.units (SAMPLE_RATE, EPS, to_ns_grid):\n" + "\n".join(found)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([0.5, 0.4999, 0.49995, 0.50005, 0.5001, 0.0, 0.25]),
       st.integers(min_value=-3, max_value=3))
def test_the_grid_rounds_near_ties_exactly_as_round(k, fraction, ulps):
    """The fast path stays away from ties; around them (and past 1,000 s) the values are still round's, bit for bit."""
    x = (k + fraction) / 1e9
    for _ in range(abs(ulps)):
        x = math.nextafter(x, math.copysign(math.inf, ulps))
    assert to_ns_grid(x) == round(x, 9) and math.copysign(1, to_ns_grid(x)) == math.copysign(1, round(x, 9))


def test_the_grid_matches_round_on_many_times_a_simulation_makes():
    """Sums and products of grid times and jittered durations, as timers and spans are made of."""
    rng = np.random.default_rng(7)
    times = np.round(rng.uniform(0, 30, 20_000), 9) + rng.lognormal(-1.5, 0.6, 20_000)
    values = [*times.tolist(), *(times * 0.7).tolist(), *(-times).tolist(), -0.0, 0.0, 5e-10, 1e3 + 1e-10]
    assert [to_ns_grid(v) for v in values] == [round(v, 9) for v in values]
    assert [math.copysign(1, to_ns_grid(v)) for v in values] == [math.copysign(1, round(v, 9)) for v in values]

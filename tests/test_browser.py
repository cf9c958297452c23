"""The budget dashboard in a real browser: JupyterLab and the Voila presenter view in headless Chromium.

Kernel-side tests cannot see a widget that fails in the page ("Error displaying widget", a missing
labextension, a chart that never refreshes) or a layout that does not fit the screen. Here JupyterLab (and
Voila) serve a temporary copy of the notebook on 127.0.0.1 and Debian's Chromium runs it on a 1366 x 768
laptop screen and on a 1920 x 1080 projector at 150 % (device scale 1.5), JupyterLab set up as an instructor
would project it (Simple Interface, Presentation Mode, file browser closed). The dashboard must fit the
screen, show whole labels, draw its chart sharp at the box's width with its smallest text at least as large
as the verdict table's, and follow the keyboard. Notebook 11's turn-taking dashboard gets the same checks of
its chart and labels in JupyterLab (from a one-cell notebook: notebook 11 itself runs minutes of sweeps).
Screenshots land in artifacts/browser/ (gitignored).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07_budget_dashboard.ipynb"
PRESENTER = ROOT / "presenter" / "dashboard.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"

_spec = importlib.util.spec_from_file_location("voicelab_browser", ROOT / "tools" / "browser.py")
browser = sys.modules.setdefault("voicelab_browser", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(browser)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The sliders moved and what they must change.
BUDGET_SLIDER = "budget voice to voice (s)"
TIMING_TAB, TIMING_SLIDER = "LLM", "LLM first token (s)"
ENDPOINT_TAB, ENDPOINT_SLIDER = "caller & endpoint", "endpoint silence (s)"
# (screen width, height, device scale): a laptop, and a 1080p projector at 150 % (1280 x 720 CSS px).
SCREENS = {"laptop": (1366, 768, 1.0), "projector": (1920, 1080, 1.5)}


@pytest.fixture(scope="module")
def chromium() -> None:
    """Skip (with the reason) where Playwright or Debian's chromium is missing and cannot be installed."""
    reason = browser.missing_browser()
    if reason:
        pytest.skip(reason)


@contextmanager
def screenshot_on_failure(page: Any, name: str) -> Iterator[None]:
    """If the block fails, save the page as artifacts/browser/<name>-failure.png before re-raising."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-failure.png"), full_page=True)
        raise


def _state(page: Any, scope: Any) -> tuple[str, list[str]]:
    return browser.image_digest(page, browser.chart(scope)), browser.verdicts(scope)


def _assert_no_widget_errors(page: Any) -> None:
    errors = browser.widget_errors(page)
    assert not errors, f"widget errors on the page: {errors}"


def _move_and_check(page: Any, scope: Any, tab: str | None, description: str, key: str) -> None:
    """Press ``key`` on the slider ``description``: the chart's bytes and the verdict table must change."""
    if tab is not None:
        browser.open_tab(scope, tab)
    handle = browser.slider_handle(scope, page, description)
    before_value = browser.readout(handle)
    before = _state(page, scope)
    handle.focus()
    browser.timed_key_move(page, handle, browser.chart(scope), key)
    for _ in range(100):  # the table arrives in its own message, just after the chart
        after = _state(page, scope)
        if after[1] != before[1]:
            break
        page.wait_for_timeout(50)
    assert browser.readout(handle) != before_value, f"{description}: the slider did not move"
    assert after[0] != before[0], f"{description} -> {key}: the chart image did not change"
    assert after[1] != before[1], f"{description} -> {key}: the verdict table did not change: {after[1]}"


def _assert_fits(scope: Any, where: str) -> None:
    """Chart and the whole verdict table inside the viewport, labels whole, chart wide and sharp, its smallest
    text at least as large as the table's."""
    g = browser.geometry(scope)
    view = g["viewport"]
    for name, r in [("chart", g["chart"]), ("headline", g["headline"]), *(("verdict table", t) for t in g["tables"])]:
        assert r["top"] >= 0 and r["left"] >= 0 and r["bottom"] <= view["height"] + 0.5 and \
            r["right"] <= view["width"] + 0.5, f"{where}: the {name} is not inside the {view} viewport: {r}"
    assert g["tables"], f"{where}: no verdict table"
    assert not g["overflowing"], f"{where}: labels or buttons wider than their box: {g['overflowing']}"
    assert g["chart"]["width"] >= 0.9 * g["box"]["width"], f"{where}: chart narrower than its box: {g}"
    assert g["natural"] >= int(g["chart"]["width"] * g["dpr"]) - 1, f"{where}: chart upscaled by the browser: {g}"
    # The chart's smallest text on screen: its size in points x the CSS px per figure inch it is shown at.
    text_px = g["textPt"] / 72 * g["chart"]["width"] / g["inches"] if g["inches"] else 0.0
    assert g["tablePx"] > 0 and text_px >= g["tablePx"] - 0.05, \
        f"{where}: smallest chart text {text_px:.1f} px < table text {g['tablePx']} px"


def _endpoint_steps_change_the_chart_on_a_fixed_axis(page: Any, scope: Any) -> None:
    """Ten one-step presses of the endpoint silence: each changes the chart, the time axis never moves."""
    browser.open_tab(scope, ENDPOINT_TAB)
    handle = browser.slider_handle(scope, page, ENDPOINT_SLIDER)
    handle.focus()
    axis = browser.time_axis(scope)
    digest = browser.image_digest(page, browser.chart(scope))
    for press in range(10):
        value = browser.readout(handle)
        browser.timed_key_move(page, handle, browser.chart(scope), "ArrowRight")
        new = browser.image_digest(page, browser.chart(scope))
        assert new != digest, f"endpoint silence {value} -> {browser.readout(handle)}: press {press + 1} " \
                              "did not change the chart"
        assert browser.time_axis(scope) == axis, f"press {press + 1}: the fixed time axis moved"
        digest = new


def _exercise_dashboard(page: Any, scope: Any, where: str) -> None:
    scope.wait_for(state="visible", timeout=30_000)
    _assert_no_widget_errors(page)
    browser.wait_for_sharp_chart(page, scope)
    browser.show_dashboard_at_top(scope)
    page.wait_for_timeout(300)
    _assert_fits(scope, where)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{where}.png"))
    assert any(v.endswith(("PASS", "MISS")) for v in browser.verdicts(scope)), "no PASS / MISS verdicts shown"
    _endpoint_steps_change_the_chart_on_a_fixed_axis(page, scope)
    _move_and_check(page, scope, "budgets", BUDGET_SLIDER, "End")
    _move_and_check(page, scope, TIMING_TAB, TIMING_SLIDER, "ArrowRight")
    _assert_no_widget_errors(page)


def _turn_taking_notebook(folder: Path) -> Path:
    """A notebook showing only notebook 11's turn-taking dashboard (notebook 11 itself runs minutes of sweeps)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import voicelab as vl\nvl.notebook.setup()"),
                nbformat.v4.new_code_cell('vl.dashboards.turn_taking_dashboard("fixed")')]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "turn_taking.ipynb"
    nbformat.write(nb, path)
    return path


def _exercise_turn_taking(page: Any, scope: Any, where: str) -> None:
    """Sharp chart as wide as its box, whole labels, chart text as large as the dashboard's, and a knob press
    that changes the chart on a fixed time axis."""
    scope.wait_for(state="visible", timeout=60_000)
    _assert_no_widget_errors(page)
    browser.wait_for_sharp_chart(page, scope, timeout_ms=60_000)
    browser.show_dashboard_at_top(scope)
    page.wait_for_timeout(300)
    g = browser.geometry(scope)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{where}.png"))
    assert not g["overflowing"], f"{where}: labels or buttons wider than their box: {g['overflowing']}"
    assert g["chart"]["left"] >= 0 and g["chart"]["right"] <= g["viewport"]["width"] + 0.5, f"{where}: {g}"
    assert g["chart"]["width"] >= 0.9 * g["box"]["width"], f"{where}: chart narrower than its box: {g}"
    assert g["natural"] >= int(g["chart"]["width"] * g["dpr"]) - 1, f"{where}: chart upscaled by the browser: {g}"
    text_px = g["textPt"] / 72 * g["chart"]["width"] / g["inches"]
    assert text_px >= g["fontPx"] - 0.05, f"{where}: smallest chart text {text_px:.1f} px < {g['fontPx']} px"
    handle = browser.slider_handle(scope, page, "silence timeout (s)")
    handle.focus()
    axis, digest = browser.time_axis(scope), browser.image_digest(page, browser.chart(scope))
    for press in range(3):
        browser.timed_key_move(page, handle, browser.chart(scope), "ArrowRight", timeout_ms=30_000)
        new = browser.image_digest(page, browser.chart(scope))
        assert new != digest, f"{where}: knob press {press + 1} did not change the chart"
        assert browser.time_axis(scope) == axis, f"{where}: press {press + 1}: the fixed time axis moved"
        digest = new
    _assert_no_widget_errors(page)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_turn_taking_dashboard_in_jupyterlab(chromium: None, tmp_path: Path, screen: str) -> None:
    notebook = _turn_taking_notebook(tmp_path)
    with browser.jupyterlab(notebook) as server, browser.chromium_page(*SCREENS[screen]) as page, \
            screenshot_on_failure(page, f"turn-taking-{screen}"):
        browser.open_and_run_all(page, server, notebook.name, timeout_ms=90_000)
        browser.lab_presentation_setup(page)
        _exercise_turn_taking(page, browser.dashboard(page, "Turn-taking"), f"turn-taking-{screen}")


@pytest.fixture()
def lab(chromium: None) -> Iterator[Any]:
    """A JupyterLab of its own per test: reopening a notebook in the same server may ask which kernel to use."""
    with browser.jupyterlab(NOTEBOOK) as server:
        yield server


@pytest.fixture(scope="module")
def presenter(chromium: None) -> Iterator[Any]:
    with browser.voila(PRESENTER) as server:
        yield server


@pytest.mark.skipif(not NOTEBOOK.exists(), reason=f"{NOTEBOOK.relative_to(ROOT)} not written yet")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_dashboard_in_jupyterlab(lab: Any, screen: str) -> None:
    original = NOTEBOOK.read_bytes()
    with browser.chromium_page(*SCREENS[screen]) as page, screenshot_on_failure(page, f"jupyterlab-{screen}"):
        browser.open_and_run_all(page, lab, NOTEBOOK.name)
        browser.lab_presentation_setup(page)
        _exercise_dashboard(page, browser.dashboard(page), f"jupyterlab-{screen}")
    assert NOTEBOOK.read_bytes() == original, "the browser run changed the committed notebook"


@pytest.mark.skipif(not PRESENTER.exists(), reason=f"{PRESENTER.relative_to(ROOT)} not written yet")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_presenter_view_in_voila(presenter: Any, screen: str) -> None:
    with browser.chromium_page(*SCREENS[screen]) as page, screenshot_on_failure(page, f"presenter-{screen}"):
        page.goto(presenter.page_url("/"))
        scope = browser.dashboard(page)
        _exercise_dashboard(page, scope, f"presenter-{screen}")
        assert not page.locator(".jp-InputArea, .jp-CodeMirrorEditor").count(), "the presenter view shows code"


# -- every dashboard of the series, on one page per screen -----------------------------------------------------
# (title the page shows, the call that makes it): notebooks 07 (and the presenter), 10, 09 and 11.
DASHBOARDS = {
    "budget": ("Budget dashboard", 'vl.dashboards.budget_dashboard("production", projector={projector})'),
    "barge-in": ("Barge-in", "vl.dashboards.interruption_dashboard(projector={projector})"),
    "tail": ("The slow tail", "vl.dashboards.tail_dashboard(turns=100, projector={projector})"),
    "turn-taking": ("Turn-taking", 'vl.dashboards.turn_taking_dashboard("fixed", projector={projector})'),
}
# The projector screen at 100 %: 1920 x 1080 CSS px, where projector mode must make text >= 20 px.
PROJECTOR_SCREEN = (1920, 1080, 1.0)


def _all_dashboards_notebook(folder: Path, projector: bool) -> Path:
    """A notebook showing every dashboard of the series, one per cell (in projector mode or not)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import voicelab as vl\nvl.notebook.setup()")]
    nb.cells += [nbformat.v4.new_code_cell(call.format(projector=projector)) for _, call in DASHBOARDS.values()]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / ("projector.ipynb" if projector else "dashboards.ipynb")
    nbformat.write(nb, path)
    return path


def _assert_one_screen(page: Any, name: str, where: str, min_text_px: float = 0.0) -> dict[str, Any]:
    """Dashboard ``name`` scrolled to the top of the screen: chart, headline and table inside the viewport,
    labels whole, the chart sharp and as wide as its box, its smallest text and the table's >= ``min_text_px``."""
    title, _ = DASHBOARDS[name]
    scope = browser.dashboard(page, title)
    scope.wait_for(state="visible", timeout=60_000)
    browser.show_dashboard_at_top(scope)
    browser.wait_for_sharp_chart(page, scope, timeout_ms=60_000)
    browser.show_dashboard_at_top(scope)
    page.wait_for_timeout(400)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{where}-{name}.png"))
    g = browser.geometry(scope)
    view = g["viewport"]
    parts = [("chart", g["chart"]), ("headline", g["headline"]), *(("table", t) for t in g["tables"])]
    for part, r in parts:
        assert r["top"] >= 0 and r["left"] >= 0 and r["bottom"] <= view["height"] + 0.5 and \
            r["right"] <= view["width"] + 0.5, f"{where} {name}: the {part} is not inside the {view} screen: {r}"
    assert g["tables"], f"{where} {name}: no table beside or under the chart"
    assert not g["overflowing"], f"{where} {name}: labels or buttons wider than their box: {g['overflowing']}"
    assert g["chart"]["width"] >= 0.9 * g["box"]["width"], f"{where} {name}: chart narrower than its box: {g}"
    assert g["natural"] >= int(g["chart"]["width"] * g["dpr"]) - 1, f"{where} {name}: chart upscaled: {g}"
    text_px = g["textPt"] / 72 * g["chart"]["width"] / g["inches"] if g["inches"] else 0.0
    assert text_px >= min_text_px - 0.05 and g["tablePx"] >= min_text_px - 0.05, \
        f"{where} {name}: chart text {text_px:.1f} px, table text {g['tablePx']} px (want >= {min_text_px})"
    return g


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_dashboard_fits_one_screen_in_presentation_mode(chromium: None, tmp_path: Path, screen: str) -> None:
    notebook = _all_dashboards_notebook(tmp_path, projector=False)
    with browser.jupyterlab(notebook) as server, browser.chromium_page(*SCREENS[screen]) as page, \
            screenshot_on_failure(page, f"all-{screen}"):
        browser.open_and_run_all(page, server, notebook.name, timeout_ms=180_000)
        browser.lab_presentation_setup(page)
        _assert_no_widget_errors(page)
        for name in DASHBOARDS:
            _assert_one_screen(page, name, f"all-{screen}")


def test_projector_mode_makes_text_20_px_and_the_chart_use_the_width(chromium: None, tmp_path: Path) -> None:
    notebook = _all_dashboards_notebook(tmp_path, projector=True)
    with browser.jupyterlab(notebook) as server, browser.chromium_page(*PROJECTOR_SCREEN) as page, \
            screenshot_on_failure(page, "projector-mode"):
        browser.open_and_run_all(page, server, notebook.name, timeout_ms=180_000)
        browser.lab_presentation_setup(page)
        _assert_no_widget_errors(page)
        for name in DASHBOARDS:
            g = _assert_one_screen(page, name, "projector-mode", min_text_px=20)
            assert g["chart"]["width"] >= 0.9 * g["dashboard"]["width"], \
                f"projector {name}: the chart leaves the width unused: {g['chart']} in {g['dashboard']}"


def test_a_dead_slider_move_says_it_was_rounded_to_the_chunk_grid(chromium: None, tmp_path: Path) -> None:
    notebook = _all_dashboards_notebook(tmp_path, projector=False)
    with browser.jupyterlab(notebook) as server, browser.chromium_page(*SCREENS["laptop"]) as page, \
            screenshot_on_failure(page, "dead-move"):
        browser.open_and_run_all(page, server, notebook.name, timeout_ms=180_000)
        scope = browser.dashboard(page, DASHBOARDS["barge-in"][0])
        browser.show_dashboard_at_top(scope)
        browser.wait_for_sharp_chart(page, scope, timeout_ms=60_000)
        handle = browser.slider_handle(scope, page, "vad.min_speech_s (s)")
        handle.focus()
        browser.timed_key_move(page, handle, browser.chart(scope), "ArrowRight")  # 0.2 -> 0.25 s: a chunk more
        handle.press("ArrowRight")  # 0.25 -> 0.3 s: the same three chunks
        page.wait_for_function("(el) => el.innerText.includes('rounded to the 100 ms chunk grid')",
                               arg=scope.element_handle(), timeout=20_000)

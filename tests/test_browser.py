"""The budget dashboard in a real browser: JupyterLab and the Voila presenter view in headless Chromium.

Kernel-side tests cannot see a widget that fails in the page ("Error displaying widget", a missing
labextension, a chart that never refreshes). Here JupyterLab (and Voila) serve a temporary copy of the
notebook on 127.0.0.1, Debian's Chromium runs it, a slider is moved with the keyboard, and the chart's
bytes and the verdict table must change. Screenshots land in artifacts/browser/ (gitignored).
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

# The slider moved and what it must change: the voice-to-voice budget, from the preset's value to its maximum.
BUDGET_SLIDER = "budget voice to voice (s)"
TIMING_TAB, TIMING_SLIDER = "LLM", "LLM first token (s)"
PROJECTOR = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def chromium() -> None:
    """Skip (with the reason) where Playwright or Debian's chromium is missing and cannot be installed."""
    reason = browser.missing_browser()
    if reason:
        pytest.skip(reason)


@pytest.fixture()
def page(chromium: None) -> Iterator[Any]:
    """A fresh headless Chromium page."""
    with browser.chromium_page() as page:
        yield page


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


def _exercise_dashboard(page: Any, scope: Any) -> None:
    scope.wait_for(state="visible", timeout=30_000)
    scope.scroll_into_view_if_needed()
    _assert_no_widget_errors(page)
    assert any(v.endswith(("PASS", "MISS")) for v in browser.verdicts(scope)), "no PASS / MISS verdicts shown"
    _move_and_check(page, scope, None, BUDGET_SLIDER, "End")
    _move_and_check(page, scope, TIMING_TAB, TIMING_SLIDER, "ArrowRight")
    _assert_no_widget_errors(page)


@pytest.mark.skipif(not NOTEBOOK.exists(), reason=f"{NOTEBOOK.relative_to(ROOT)} not written yet")
def test_dashboard_in_jupyterlab(page: Any) -> None:
    original = NOTEBOOK.read_bytes()
    with browser.jupyterlab(NOTEBOOK) as server, screenshot_on_failure(page, "jupyterlab"):
        browser.open_and_run_all(page, server, NOTEBOOK.name)
        scope = browser.dashboard(page)
        _exercise_dashboard(page, scope)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        scope.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    assert NOTEBOOK.read_bytes() == original, "the browser run changed the committed notebook"


@pytest.mark.skipif(not PRESENTER.exists(), reason=f"{PRESENTER.relative_to(ROOT)} not written yet")
def test_presenter_view_in_voila(page: Any) -> None:
    with browser.voila(PRESENTER) as server, screenshot_on_failure(page, "presenter"):
        page.set_viewport_size(PROJECTOR)
        page.goto(server.page_url("/"))
        scope = browser.dashboard(page)
        _exercise_dashboard(page, scope)
        assert not page.locator(".jp-InputArea, .jp-CodeMirrorEditor").count(), "the presenter view shows code"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        scope.screenshot(path=str(ARTIFACTS / "presenter.png"))

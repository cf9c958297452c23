"""Drive the budget dashboard in a real browser: JupyterLab or Voila on loopback, headless Debian Chromium.

Shared by ``tests/test_browser.py`` and ``benchmarks/bench_browser_slider.py``. Everything runs offline:
the servers listen on 127.0.0.1 with a random token, keep their settings, runtime files and workspaces in a
temporary directory, and serve a *copy* of the notebook so autosave never touches the committed file.
Chromium is Debian's (``/usr/bin/chromium``, driven by Playwright for Python); Playwright's own browser
download does not work here.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Background networking off: this machine's closed network refuses Chromium's own connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Pages must work offline: any host but loopback fails at once instead of waiting for a timeout
    # (Voila's template links a CDN stylesheet).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model", "Model not found")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (``None`` when they can); installs Debian chromium where it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed: pip install -e '.[browser]'"
    if not CHROMIUM.exists():
        subprocess.run([str(ROOT / "tools" / "install_chromium.sh")], timeout=900, check=False)
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing and could not be installed (tools/install_chromium.sh needs root + apt-get)"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running JupyterLab or Voila: its address, token and process."""

    url: str
    token: str
    process: subprocess.Popen
    log: Path

    def page_url(self, path: str) -> str:
        """``path`` on this server, with the token as query parameter."""
        return f"{self.url}{path}?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the server wrote, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _isolated_env(home: Path) -> dict[str, str]:
    """Environment for a server whose config, data, runtime, settings and workspaces live under ``home``."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
        path = home / name.lower()
        path.mkdir(exist_ok=True)
        env[name] = str(path)
    env["JUPYTER_DATA_DIR"] = str(home / "data")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.pop("JUPYTER_PATH", None)
    return env


def _wait_ready(server: Server, status_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with code {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.page_url(status_path), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server not ready after {timeout:.0f} s:\n{server.log_tail()}")


def _stop(server: Server, shutdown_api: bool) -> None:
    """Ask the server to shut down (kernels included), then end its whole process group if it lingers."""
    proc = server.process
    if shutdown_api and proc.poll() is None:
        request = urllib.request.Request(server.page_url("/api/shutdown"), method="POST")
        try:
            urllib.request.urlopen(request, timeout=5).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
    steps = [(signal.SIGTERM, 10), (signal.SIGKILL, 5)]
    for sig, wait in [(None, 10), *steps] if shutdown_api else steps:
        if sig is not None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # Kernels live in the same process group; make sure none outlives the server.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextmanager
def _serve(command: list[str], home: Path, port: int, token: str, status_path: str,
           shutdown_api: bool, timeout: float) -> Iterator[Server]:
    log = home / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=home, env=_isolated_env(home), stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(url=f"http://127.0.0.1:{port}", token=token, process=process, log=log)
    try:
        _wait_ready(server, status_path, timeout)
        yield server
    finally:
        _stop(server, shutdown_api)


def _copy_notebook(notebook: Path, home: Path) -> Path:
    """A folder in ``home`` holding a copy of ``notebook`` (or, given a folder, a copy of that folder)."""
    served = home / "served"
    if notebook.is_dir():
        shutil.copytree(notebook, served)
        return served
    served.mkdir()
    shutil.copy2(notebook, served / notebook.name)
    return served


_LAB_SETTINGS = {
    # No toast asking about news over the screenshots.
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Render every cell: with windowing, cells out of view have no (or no readable) DOM.
    "notebook-extension/tracker": {"windowingMode": "none"},
}


def _quiet_lab_settings(settings_dir: Path) -> None:
    """JupyterLab user settings for a test run (see ``_LAB_SETTINGS``)."""
    for plugin, values in _LAB_SETTINGS.items():
        path = settings_dir / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextmanager
def jupyterlab(notebook: Path, timeout: float = 60.0) -> Iterator[Server]:
    """JupyterLab on 127.0.0.1 serving a temporary copy of ``notebook`` (open it at ``/lab/tree/<name>``).

    ``notebook`` may also be a folder: the server then serves a copy of the folder, from its root.
    """
    with tempfile.TemporaryDirectory(prefix="voicelab-lab-") as tmp:
        home = Path(tmp)
        served = _copy_notebook(notebook, home)
        _quiet_lab_settings(home / "jupyterlab_settings_dir")
        port, token = free_port(), secrets.token_hex(16)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                   "--ServerApp.terminals_enabled=False", f"--ServerApp.root_dir={served}", "--LabApp.news_url=",
                   "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with _serve(command, home, port, token, "/api/status", True, timeout) as server:
            yield server


@contextmanager
def voila(notebook: Path, timeout: float = 60.0) -> Iterator[Server]:
    """Voila serving ``notebook`` alone at ``/`` (code hidden); it never writes the notebook, so no copy."""
    with tempfile.TemporaryDirectory(prefix="voicelab-voila-") as tmp:
        home = Path(tmp)
        port, token = free_port(), secrets.token_hex(16)
        command = [*voila_command(notebook), "--no-browser", "--Voila.ip=127.0.0.1", f"--Voila.port={port}",
                   "--Voila.port_retries=0", f"--Voila.token={token}"]
        with _serve(command, home, port, token, "/voila/static/voila.js", False, timeout) as server:
            yield server


def voila_command(notebook: Path) -> list[str]:
    """The Voila command line for the presenter view: code stripped, tracebacks shown, light theme."""
    return [sys.executable, "-m", "voila", str(notebook), "--strip_sources=True", "--show_tracebacks=True",
            "--theme=light"]


# --- page helpers ---------------------------------------------------------------------------------------


@contextmanager
def chromium_page(width: int = 1400, height: int = 1000, scale: float = 1.0) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium with a fresh profile; closed on exit. ``width`` x ``height``
    are screen pixels; ``scale`` is the device pixel ratio (1.5: a 1920 x 1080 screen at 150 % shows a
    1280 x 720 CSS px viewport)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": round(width / scale), "height": round(height / scale)},
                                    device_scale_factor=scale)
            yield page
        finally:
            browser.close()


def _kernel_idle(server: Server) -> bool:
    try:
        with urllib.request.urlopen(server.page_url("/api/kernels"), timeout=5) as response:
            kernels = json.load(response)
    except urllib.error.HTTPError:  # the server may answer 500 while a kernel is still starting
        return False
    return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)


def menu_command(page: Any, menu: str, item: str) -> None:
    """Click ``item`` in JupyterLab's ``menu`` of the menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def open_and_run_all(page: Any, server: Server, name: str, timeout_ms: float = 45_000) -> None:
    """Open notebook ``name`` in JupyterLab and run all its cells from the Run menu; wait for an idle kernel."""
    page.goto(server.page_url(f"/lab/tree/{name}"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while not _kernel_idle(server):
        if time.monotonic() > deadline:
            raise TimeoutError(f"kernel not idle after {timeout_ms / 1000:.0f} s:\n{server.log_tail()}")
        time.sleep(0.2)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Outputs and execution counts saved in the file would hide whether this run happened: clear them first.
    menu_command(page, "Edit", "Clear Outputs of All Cells")
    # The page may still be connecting to the kernel; a Run All sent then is dropped, so retry until it starts.
    for _ in range(5):
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_ms)
        menu_command(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))",
                timeout=3_000,
            )
            break
        except PlaywrightTimeout:
            continue
    # Every code cell executed: each shows its execution count, none still waiting ("[*]").
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout_ms)


def widget_errors(page: Any, timeout_ms: float = 15_000) -> list[str]:
    """Widget error messages, widgets that never finish loading, and Python tracebacks shown on the page."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("() => !document.body.innerText.includes('Loading widget...')", timeout=timeout_ms)
        found = []
    except PlaywrightTimeout:
        found = [f"a widget still shows 'Loading widget...' after {timeout_ms / 1000:.0f} s"]
    text = page.locator("body").inner_text()
    found += [line.strip() for line in text.splitlines() if any(err in line for err in WIDGET_ERRORS)]
    outputs = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    return found + [t for t in outputs if "Traceback" in t or "Error" in t]


def image_digest(page: Any, image: Any) -> str:
    """SHA-256 of the bytes the ``<img>`` currently shows (its blob or data URL fetched in the page)."""
    return page.evaluate(
        """async (img) => {
            const bytes = await (await fetch(img.src)).arrayBuffer();
            const hash = await crypto.subtle.digest('SHA-256', bytes);
            return [...new Uint8Array(hash)].map(b => b.toString(16).padStart(2, '0')).join('');
        }""",
        image.element_handle(),
    )


# Measures one keyboard move: from the keydown event reaching the slider handle to the chart <img> having
# a new src that is decoded and painted (the next animation frame after its load event).
_ARM_MOVE_JS = """([handle, img]) => {
    window.__vlMove = new Promise((resolve) => {
        let start = null;
        const oldSrc = img.src;
        handle.addEventListener('keydown', () => { start = performance.now(); }, {capture: true, once: true});
        const done = () => requestAnimationFrame(() => resolve(performance.now() - start));
        const observer = new MutationObserver(() => {
            if (img.src === oldSrc || start === null) return;
            observer.disconnect();
            if (img.complete && img.naturalWidth > 0) { img.decode().then(done, done); }
            else { img.addEventListener('load', () => img.decode().then(done, done), {once: true}); }
        });
        observer.observe(img, {attributes: true, attributeFilter: ['src']});
    });
}"""


def timed_key_move(page: Any, handle: Any, image: Any, key: str, timeout_ms: float = 10_000) -> float:
    """Press ``key`` on the focused slider ``handle``; milliseconds until the chart image shows its new src."""
    page.evaluate(_ARM_MOVE_JS, [handle.element_handle(), image.element_handle()])
    handle.press(key)
    return page.evaluate(
        """(ms) => Promise.race([window.__vlMove,
                new Promise((_, reject) => setTimeout(() => reject(new Error('chart did not change')), ms))])""",
        timeout_ms,
    )


# --- the budget dashboard on a page (voicelab.dashboards.Dashboard) -------------------------------------


def dashboard(page: Any, title: str = "Budget dashboard") -> Any:
    """The first dashboard whose header contains ``title``: the box holding its header, tabs, chart and table."""
    return page.locator(".vl-dash").filter(has_text=title).first


def slider_handle(scope: Any, page: Any, description: str) -> Any:
    """The keyboard-focusable handle of the slider labelled exactly ``description``."""
    slider = scope.locator(".widget-slider").filter(has=page.get_by_text(description, exact=True))
    return slider.locator(".noUi-handle").first


def readout(handle: Any) -> str:
    """The value a slider shows beside its track (the handle's own aria-valuenow is rounded)."""
    return handle.evaluate("h => h.closest('.widget-slider').querySelector('.widget-readout').textContent")


def chart(scope: Any) -> Any:
    """The dashboard's chart image."""
    return scope.locator(".vl-chart img").first


def time_axis(scope: Any) -> str:
    """The time axis the chart shows, ``"lo,hi"`` in seconds (the chart box's ``data-xlim``)."""
    return scope.locator(".vl-chart").first.get_attribute("data-xlim") or ""


def verdicts(scope: Any) -> list[str]:
    """Every row of the verdict table as text (check, value, target, verdict)."""
    return [" | ".join(row.split("\t")) for row in scope.locator("tbody tr").all_inner_texts()]


def open_tab(scope: Any, title: str) -> None:
    """Show the dashboard's tab ``title``."""
    scope.locator(".lm-TabBar-tabLabel").get_by_text(title, exact=True).click()


def wait_for_sharp_chart(page: Any, scope: Any, timeout_ms: float = 20_000) -> None:
    """Wait until the chart has been redrawn for its box: as many pixels as the box has device pixels."""
    page.wait_for_function(
        """(el) => { const img = el.querySelector('.vl-chart img'), box = el.querySelector('.vl-chart');
                     return img && img.complete && img.naturalWidth > 0 && box.clientWidth > 0 &&
                            Math.abs(img.naturalWidth - Math.floor(box.clientWidth * devicePixelRatio)) <= 1; }""",
        arg=scope.element_handle(), timeout=timeout_ms)


_GEOMETRY_JS = """(el) => {
    const rect = (e) => { const r = e.getBoundingClientRect();
                          return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width}; };
    const img = el.querySelector('.vl-chart img'), box = el.querySelector('.vl-chart');
    const tables = [...el.querySelectorAll('.vl-side table')];
    const overflowing = [...el.querySelectorAll('.widget-label, .widget-readout, button, .lm-TabBar-tabLabel, '
                                                + '.widget-html-content')]
        .filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map((e) => (e.textContent || '').trim() || e.className);
    const cell = el.querySelector('.vl-side td');
    return {viewport: {width: innerWidth, height: innerHeight}, dpr: devicePixelRatio, dashboard: rect(el),
            chart: rect(img), box: rect(box), natural: img.naturalWidth, tables: tables.map(rect),
            headline: rect(el.querySelector('.vl-headline')), overflowing,
            textPt: parseFloat(box.dataset.textPt || '0'), inches: parseFloat(box.dataset.inches || '0'),
            tablePx: cell ? parseFloat(getComputedStyle(cell).fontSize) : 0,
            fontPx: parseFloat(getComputedStyle(el).fontSize)};
}"""


def geometry(scope: Any) -> dict[str, Any]:
    """Where the dashboard's parts are on screen (CSS px, relative to the viewport), the chart's pixel width,
    the device pixel ratio, the texts of labels and buttons wider than their box, the chart's smallest text
    (``textPt`` points on a figure ``inches`` wide), the verdict table's font size (``tablePx``) and the
    dashboard's (``fontPx``)."""
    return scope.evaluate(_GEOMETRY_JS)


def show_dashboard_at_top(scope: Any) -> None:
    """Scroll the page (or JupyterLab's notebook) so the dashboard starts at the top of the viewport."""
    scope.evaluate("(el) => el.scrollIntoView({block: 'start'})")


def lab_presentation_setup(page: Any) -> None:
    """JupyterLab as an instructor sets it up to project: Simple Interface and Presentation Mode on, the left
    sidebar (file browser) off, each through View -> Appearance and only if not already so."""
    for item, wanted in (("Simple Interface", True), ("Presentation Mode", True), ("Show Left Sidebar", False)):
        page.locator(".lm-MenuBar-itemLabel", has_text="View").first.click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Appearance", exact=True).click()
        entry = page.locator(".lm-Menu-item").filter(has=page.get_by_text(item, exact=True)).last
        toggled = "lm-mod-toggled" in (entry.get_attribute("class") or "")
        if toggled != wanted:
            entry.click()
        else:
            page.keyboard.press("Escape")
            page.keyboard.press("Escape")

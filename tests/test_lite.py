"""The JupyterLite site (``make lite``): it builds offline, and headless Chromium sees JupyterLab and the notebooks.

One build per session (tools/lite.py into a temporary folder) with network access refused, and with a stand-in
Pyodide distribution given as ``--pyodide``: the real one is not on this machine, and Chromium cannot reach its
CDN. So the browser test proves the static site (JupyterLab, the file list, the notebooks, the Pyodide kernel's
launcher entry) and that the kernel asks for Pyodide on the site itself; Python running in Pyodide is not tested.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

pytest.importorskip("jupyterlite_core", reason="the [lite] extra is not installed: pip install -e '.[lite]'")
pytest.importorskip("jupyterlite_pyodide_kernel", reason="the [lite] extra is not installed: pip install -e '.[lite]'")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser"


def _tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"voicelab_{name}", ROOT / "tools" / f"{name}.py")
    module = sys.modules.setdefault(f"voicelab_{name}", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


lite = _tool("lite")
browser = _tool("browser")

pytestmark = pytest.mark.slow

STAND_IN_PYODIDE = "export async function loadPyodide() { throw new Error('stand-in Pyodide (tests/test_lite.py)'); }\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with every network request refused (pip without an index, proxies that go nowhere)."""
    pyodide = stand_in_pyodide(tmp_path_factory.mktemp("pyodide"))
    tarball = pyodide.parent / "pyodide-stand-in.tar.bz2"  # laid out as a Pyodide release: pyodide/...
    with tarfile.open(tarball, "w:bz2") as tar:
        tar.add(pyodide, arcname="pyodide")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PIP_NO_INDEX", "1")
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.setenv(proxy, "http://127.0.0.1:9")
        env.delenv("no_proxy", raising=False)
        env.delenv("NO_PROXY", raising=False)
        return lite.build(tmp_path_factory.mktemp("site") / "lite", pyodide=str(tarball))


def stand_in_pyodide(folder: Path) -> Path:
    """A folder shaped like an unpacked Pyodide release, whose loader only throws."""
    (folder / "pyodide.mjs").write_text(STAND_IN_PYODIDE)
    (folder / "pyodide-lock.json").write_text(json.dumps({"info": {}, "packages": {}}))
    return folder


def test_a_pyodide_folder_is_staged_where_jupyterlite_takes_it_from(tmp_path: Path) -> None:
    assert lite.stage_pyodide(tmp_path / "work", str(stand_in_pyodide(tmp_path))) == []
    assert (tmp_path / "work" / "static" / "pyodide" / "pyodide.mjs").read_text() == STAND_IN_PYODIDE
    url = "https://example.org/pyodide-314.0.6.tar.bz2"
    assert lite.stage_pyodide(tmp_path / "other", url) == [f"--pyodide={url}"]
    with pytest.raises(FileNotFoundError, match="no pyodide.mjs"):
        lite.stage_pyodide(tmp_path / "other", str(tmp_path / "work"))


def expected_files() -> list[str]:
    return [p.name for p in lite.notebooks()]


def site_root() -> list[str]:
    """The site's file list: the notebooks and their notes, the contents page, the voicelab source they link to."""
    return [*expected_files(), lite.SITE_CONTENTS, "voicelab"]


def test_the_site_holds_the_browser_notebooks(site: Path) -> None:
    contents = json.loads((site / "api" / "contents" / "all.json").read_text())["content"]
    assert sorted(entry["name"] for entry in contents) == sorted(site_root())
    assert (site / "files" / "voicelab" / "engine" / "clock.py").is_file()
    assert not [n for n in expected_files() if n.startswith("08_")], "08 (real speech) cannot run in the browser"


def test_each_notebook_installs_voicelab_before_its_first_code_cell(site: Path) -> None:
    for name in expected_files():
        if not name.endswith(".ipynb"):
            continue
        served = json.loads((site / "files" / name).read_text())["cells"]
        committed = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        first_code = next(i for i, c in enumerate(committed) if c["cell_type"] == "code")
        assert served[first_code] == lite.INSTALL_CELL, name
        others = served[:first_code] + served[first_code + 1:]
        assert [without_navigation(c) for c in others] == [without_navigation(c) for c in committed], \
            f"{name}: cells other than the navigation changed"
        assert "%pip install -q voicelab" in "".join(served[first_code]["source"])


def without_navigation(cell: dict) -> dict:
    """The cell with its nav bar and "Next →" line cut out (the site regenerates those), and links as on the desktop:
    the site's CONTENTS.md and voicelab/ copies are README.md#contents and ../voicelab/ in the committed notebooks."""
    def desktop(text: str) -> str:  # (a link to a notebook the site leaves out is words on both sides)
        return lite.unlink_off_site(text.replace("](CONTENTS.md)", "](../README.md#contents)")
                                    .replace("](voicelab/", "](../voicelab/"))

    def output(out: dict) -> dict:
        if "text/markdown" not in out.get("data", {}):
            return out
        return {**out, "data": {**out["data"], "text/markdown": [desktop(x) for x in out["data"]["text/markdown"]]}}

    outputs = [output(out) for out in cell.get("outputs", [])]
    if cell["cell_type"] != "markdown":
        return {**cell, "outputs": outputs}
    text = re.sub(r"<!-- nav:start -->.*?<!-- nav:end -->|^\*\*Next →\*\*.*$", "", desktop("".join(cell["source"])),
                  flags=re.DOTALL | re.MULTILINE)
    return {**cell, "source": text.split()}


def test_the_site_notebooks_link_only_to_each_other(tmp_path: Path) -> None:
    """Nav bars and "Next →" lines skip what is not on the site: 07 → 09 (not 08), nothing after 10; Contents is the
    site's CONTENTS.md, and every local link (prose and source excerpts) opens a file on the site."""
    staged = lite.stage_notebooks(tmp_path)
    names = {p.name for p in staged}
    for path in staged:
        if path.suffix != ".ipynb":
            continue
        cells = json.loads(path.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        targets = set(re.findall(r"\]\(([^)#:]+\.ipynb)(?:#[^)]*)?\)", text))
        assert targets <= names, f"{path.name} links to {sorted(targets - names)}, not on the site"
        bars = re.findall(r"<!-- nav:start -->.*?<!-- nav:end -->", text, flags=re.DOTALL)
        assert len(bars) == 2 and all("[Contents](CONTENTS.md)" in b for b in bars), path.name
        shown = "".join("".join(out["data"]["text/markdown"]) for c in cells for out in c.get("outputs", [])
                        if "text/markdown" in out.get("data", {}))
        local = {link.split("#")[0] for link in re.findall(r"\]\(([^)]+)\)", text + shown)
                 if not link.startswith(("http://", "https://", "#"))}
        assert all((tmp_path / link).is_file() for link in local), \
            f"{path.name} links to {sorted(link for link in local if not (tmp_path / link).is_file())}, not on the site"
    clock = Path("voicelab") / "engine" / "clock.py"
    assert (tmp_path / clock).read_text() == (ROOT / clock).read_text()
    assert "[Welcome](00_welcome.ipynb)" in (tmp_path / lite.SITE_CONTENTS).read_text()
    assert "08_" not in (tmp_path / lite.SITE_CONTENTS).read_text()
    seven = "".join(json.loads((tmp_path / "07_budget_dashboard.ipynb").read_text())["cells"][0]["source"])
    assert "[09 · Tail latency →](09_tail_latency.ipynb)" in seven and "08_" not in seven
    last = json.loads((tmp_path / "10_interruptions.ipynb").read_text())["cells"][-1]
    assert "Next →" not in "".join(last["source"]) and "[← 09 · Tail latency]" in "".join(last["source"])


def test_the_site_serves_voicelab_through_piplite(site: Path) -> None:
    index = json.loads((site / "pypi" / "all.json").read_text())
    (release,) = index["voicelab"]["releases"].values()
    (wheel,) = release
    assert (site / "pypi" / wheel["filename"]).exists()
    # what piplite installs with it: the core dependencies only, none of the extras (no server, no test tools)
    with zipfile.ZipFile(site / "pypi" / wheel["filename"]) as whl:
        metadata = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [Requirement(line.split(":", 1)[1]) for line in whl.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:")]
    core = [Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
    assert sorted(str(r) for r in requires if r.marker is None) == sorted(str(r) for r in core)


def test_the_site_has_the_kernel_and_the_widget_frontend_only(site: Path) -> None:
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert sorted(e["name"] for e in config["federated_extensions"]) == sorted(lite.LAB_EXTENSIONS)
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs", "the --pyodide distribution is not the one used"
    assert (site / "static" / "pyodide" / "pyodide.mjs").read_text() == STAND_IN_PYODIDE


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on a static file server at 127.0.0.1 (what any web host does)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture()
def page() -> Iterator[Any]:
    reason = browser.missing_browser()
    if reason:
        pytest.skip(reason)
    with browser.chromium_page() as page:
        yield page


@pytest.mark.browser
def test_chromium_sees_jupyterlab_and_the_notebooks(page: Any, served: str) -> None:
    requests: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    try:
        page.goto(f"{served}/lab/index.html")
        listing = page.locator(".jp-DirListing-content .jp-DirListing-itemText")
        listing.first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => document.querySelectorAll('.jp-DirListing-item').length >= "
                               f"{len(site_root())}", timeout=30_000)
        assert sorted(listing.all_inner_texts()) == sorted(site_root())
        page.locator(".jp-LauncherCard", has_text="Python (Pyodide)").first.wait_for(timeout=30_000)
        assert any("/extensions/@jupyter-widgets/jupyterlab-manager/static/remoteEntry" in u for u in requests)
        assert not failed, f"requests that failed: {failed}"
        assert all(u.startswith((served, "data:", "blob:")) for u in requests), "the site fetched from elsewhere"

        # Opening a notebook starts its kernel, which loads Pyodide from the site (here the stand-in).
        with page.expect_request(f"{served}/static/pyodide/pyodide.mjs", timeout=60_000):
            page.goto(f"{served}/lab/index.html?path=00_welcome.ipynb")
            page.locator(".jp-Notebook .jp-MarkdownCell").first.wait_for(timeout=60_000)
        assert page.locator(".jp-Notebook .jp-CodeCell").count() > 0
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "lite-failure.png"), full_page=True)
        raise
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lite-notebook.png"))

"""What Binder builds from this repository: repo2docker renders its Dockerfile (``--no-build``: no docker, offline).

Binder caches an image layer by layer. The environment layer survives a commit only when it is installed from
``binder/environment.yml`` alone, before the repository is copied in; then ``binder/postBuild`` installs voicelab.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("repo2docker", reason="jupyter-repo2docker is not installed: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
ENV_INSTALL = 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"'


@dataclass(frozen=True)
class Render:
    """repo2docker's Dockerfile for a repository and what it logged while choosing it."""

    dockerfile: list[str]
    log: str

    def first(self, pattern: str) -> int:
        """Index of the first Dockerfile line matching ``pattern`` (a regex)."""
        found = [i for i, line in enumerate(self.dockerfile) if re.search(pattern, line)]
        assert found, f"no Dockerfile line matches {pattern!r}:\n" + "\n".join(self.dockerfile)
        return found[0]

    @property
    def environment_installed(self) -> int:
        return self.first(re.escape(ENV_INSTALL))

    @property
    def repository_copied(self) -> int:
        return self.first(r"^COPY --chown=\S+ src/ \$\{REPO_DIR\}/$")


def render(repo: Path) -> Render:
    """Run ``repo2docker --no-build`` on ``repo`` (a local folder)."""
    done = subprocess.run([sys.executable, "-m", "repo2docker", "--no-build", "--user-id", "1000",
                           "--user-name", "jovyan", str(repo)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return Render(done.stdout.splitlines(), done.stderr)


@pytest.fixture(scope="module")
def ours() -> Render:
    return render(ROOT)


def binder_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A repository holding only this one's binder/ folder, with ``old`` replaced by ``new`` in its environment."""
    shutil.copytree(ROOT / "binder", tmp_path / "binder")
    env = tmp_path / "binder" / "environment.yml"
    assert old in env.read_text()
    env.write_text(env.read_text().replace(old, new))
    return tmp_path


def test_python_3_12_is_selected(ours: Render) -> None:
    assert "Building conda environment for python=3.12" in ours.log


def test_the_environment_is_installed_before_the_repository_is_copied(ours: Render) -> None:
    assert ours.environment_installed < ours.repository_copied
    # and from the environment file alone: the only part of the repository copied in before it
    early = [line for line in ours.dockerfile[:ours.environment_installed] if " src/" in line]
    assert early == ["COPY --chown=1000:1000 src/binder/environment.yml ${REPO_DIR}/binder/environment.yml"]


def test_postbuild_runs_after_the_repository_is_copied(ours: Render) -> None:
    assert ours.repository_copied < ours.first(r"^RUN \./binder/postBuild$")


def test_a_local_install_in_the_environment_would_turn_the_cache_off(tmp_path: Path) -> None:
    """The check above can fail: with ``-e .`` in the pip section, the environment waits for the whole repository."""
    broken = render(binder_copy(tmp_path, "  - pip:\n", "  - pip:\n      - -e .\n"))
    assert broken.environment_installed > broken.repository_copied


def test_a_python_range_is_not_read(tmp_path: Path) -> None:
    """repo2docker reads only ``python=X.Y``; a range silently gives its default Python."""
    broken = render(binder_copy(tmp_path, "  - python=3.12\n", "  - python>=3.12\n"))
    assert "Building conda environment for python=3.12" not in broken.log


# --- the README's Binder links, opened on a local Jupyter server with this environment ---------------------------

BINDER_LINK = re.compile(r"https://mybinder\.org/v2/gh/[\w.-]+/[\w.-]+/HEAD\?urlpath=(\S+?)`")


def readme_urlpaths() -> list[str]:
    """The ``urlpath`` of every Binder link in README.md (what Binder opens once the image runs)."""
    return BINDER_LINK.findall((ROOT / "README.md").read_text())


def test_the_readme_links_jupyterlab_on_notebook_00_and_the_presenter() -> None:
    assert readme_urlpaths() == ["lab/tree/notebooks/00_welcome.ipynb", "voila/render/presenter/dashboard.ipynb"]


@pytest.mark.browser
@pytest.mark.slow
def test_each_binder_urlpath_opens_on_a_jupyter_server(tmp_path: Path) -> None:
    """Binder starts a Jupyter server at the repository's root and sends the browser to the link's urlpath."""
    spec = importlib.util.spec_from_file_location("voicelab_browser", ROOT / "tools" / "browser.py")
    browser = sys.modules.setdefault("voicelab_browser", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(browser)
    reason = browser.missing_browser()
    if reason:
        pytest.skip(reason)
    for folder in ("notebooks", "presenter"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    lab, presenter = readme_urlpaths()
    with browser.jupyterlab(tmp_path, timeout=90) as server, browser.chromium_page() as page:
        try:
            page.goto(server.page_url(f"/{lab}"))
            page.locator(".jp-Notebook .jp-MarkdownCell").first.wait_for(timeout=60_000)
            assert page.locator(".lm-TabBar-tab.lm-mod-current", has_text="00_welcome.ipynb").count() == 1
            page.goto(server.page_url(f"/{presenter}"), timeout=120_000)
            browser.dashboard(page).wait_for(state="visible", timeout=90_000)
            assert not browser.widget_errors(page)
            assert not page.locator(".jp-InputArea").count(), "the presenter shows code"
        except BaseException:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "binder-links-failure.png"), full_page=True)
            raise

"""Build the JupyterLite site (``make lite``): the notebooks that run in the browser, served as static files.

The site holds the notebooks listed in ``LITE_NOTEBOOKS`` (and the notes beside them), each opening with a cell that
installs voicelab, their navigation bars regenerated over the site's notebooks only (tools/nav.py); the widget
frontend and the Pyodide kernel (``LAB_EXTENSIONS``); and voicelab's own wheel, which that cell installs with
piplite from the site itself. Everything is built offline from the installed ``[lite]`` extra. The Pyodide runtime
is not included unless given (``--pyodide``, a local path or URL of a Pyodide distribution): without it, the browser
fetches it from its CDN when a notebook starts its kernel.

    python tools/lite.py [--output build/lite] [--pyodide PATH_OR_URL]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "build" / "lite"
# 08 (real speech) needs espeak-ng and pocketsphinx, native libraries Pyodide does not have.
LITE_NOTEBOOKS = ("00", "01", "02", "03", "04", "05", "06", "07", "09", "10")
# The Pyodide kernel and the ipywidgets frontend; nothing else installed beside JupyterLab (e.g. Voila's preview).
LAB_EXTENSIONS = ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager")
SITE_CONTENTS = "CONTENTS.md"  # the site's contents table (README.md, with the desktop one, is not on the site)
_SOURCE_LINK = re.compile(r"\]\(\.\./(voicelab/[\w/]+\.py)\)")
_NOTEBOOK_LINK = re.compile(r"\[([^\]]+)\]\((\d\d_[\w-]+\.ipynb)(?:#[^)]*)?\)")  # [words](NN_name.ipynb#anchor)


def _nav() -> Any:
    """tools/nav.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("voicelab_nav", ROOT / "tools" / "nav.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def notebooks() -> list[Path]:
    """The notebooks the site holds, in series order, plus the Markdown notes they link to."""
    found = [nb for number in LITE_NOTEBOOKS for nb in sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb"))]
    missing = [n for n in LITE_NOTEBOOKS if not any(nb.name.startswith(f"{n}_") for nb in found)]
    if missing:
        raise FileNotFoundError(f"no notebook numbered {', '.join(missing)} in notebooks/")
    return found + sorted((ROOT / "notebooks").glob("*.md"))


INSTALL_CELL = {
    "cell_type": "code",
    "execution_count": None,
    "id": "jupyterlite-install",
    "metadata": {},
    "outputs": [],
    "source": ["# In the browser, voicelab is installed from this site: run this cell first (a few seconds).\n",
               "%pip install -q voicelab"],
}


def stage_notebooks(dest: Path) -> list[Path]:
    """Copies of ``notebooks()`` in ``dest``, each notebook with ``INSTALL_CELL`` before its first code cell.

    Their nav bars and "Next →" lines go from one site notebook to the next (07 → 09, skipping 08; none after 10),
    and Contents is the site's own ``CONTENTS.md`` (README.md is not on the site). Links to voicelab's source
    (``../voicelab/engine/clock.py``) open the copy staged beside the notebooks
    (``voicelab/engine/clock.py``), so every link
    stays on the site. The committed notebooks stay as they are: on a desktop kernel voicelab is installed already.
    """
    nav = _nav()
    dest.mkdir(parents=True, exist_ok=True)
    sources = notebooks()
    entries = [nav.read_entry(path) for path in sources if path.suffix == ".ipynb"]
    staged = []
    for source in sources:
        target = dest / source.name
        if source.suffix == ".ipynb":
            notebook = json.loads(source.read_text(encoding="utf-8"))
            i = next(k for k, entry in enumerate(entries) if entry.path == source)
            nav.set_navigation(notebook, nav.nav_bar(entries, i, contents=SITE_CONTENTS), nav.next_line(entries, i),
                               drop_next=True)
            for cell in notebook["cells"]:  # prose, and the source excerpts' links (show_source's outputs)
                for lines in [cell["source"]] + [out["data"]["text/markdown"] for out in cell.get("outputs", [])
                                                 if "text/markdown" in out.get("data", {})]:
                    lines[:] = [_on_site(line, dest, nav.CONTENTS_LINK) for line in lines]
            cells = notebook["cells"]
            first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
            cells.insert(first_code, INSTALL_CELL)
            target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        else:  # a note: its links put on the site too
            lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
            target.write_text("".join(_on_site(line, dest, nav.CONTENTS_LINK) for line in lines), encoding="utf-8")
        staged.append(target)
    contents = dest / SITE_CONTENTS
    contents.write_text(f"# voicelab in the browser\n\n{nav.contents_table(entries, folder='')}\n", encoding="utf-8")
    staged.append(contents)
    staged += sorted(p for p in (dest / "voicelab").rglob("*.py")) if (dest / "voicelab").is_dir() else []
    return staged


def unlink_off_site(text: str) -> str:
    """``text`` with each link to a notebook the site leaves out (08, 11, ...) turned into its words, marked as the
    desktop series' (a dead link on the site otherwise)."""
    return _NOTEBOOK_LINK.sub(lambda m: m.group(0) if m.group(2)[:2] in LITE_NOTEBOOKS
                              else f"{m.group(1)} (in the desktop series)", text)


def _on_site(line: str, dest: Path, contents_link: str) -> str:
    """A markdown line with its off-site links pointed at the site: the contents, and voicelab's source (copied);
    a link to a notebook the site leaves out keeps its words, marked as the desktop series'."""
    line = line.replace(f"]({contents_link})", f"]({SITE_CONTENTS})")
    line = unlink_off_site(line)

    def staged_source(match: re.Match[str]) -> str:
        source = ROOT / match.group(1)
        (dest / match.group(1)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / match.group(1))
        return f"]({match.group(1)})"

    return _SOURCE_LINK.sub(staged_source, line)


def lab_extensions() -> list[Path]:
    """The installed folders of ``LAB_EXTENSIONS`` (this Python's ``share/jupyter/labextensions``)."""
    folders = [Path(sys.prefix) / "share" / "jupyter" / "labextensions" / name for name in LAB_EXTENSIONS]
    missing = [str(f) for f in folders if not (f / "package.json").exists()]
    if missing:
        raise FileNotFoundError(f"not installed: {', '.join(missing)} (pip install -e '.[lab,lite]')")
    return folders


def build_wheel(dest: Path) -> Path:
    """voicelab's wheel, built from this checkout without network access (no build isolation)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(dest), str(ROOT)], check=True)
    (wheel,) = dest.glob("voicelab-*.whl")
    return wheel


def stage_pyodide(work: Path, pyodide: str) -> list[str]:
    """Arguments that bundle the Pyodide distribution ``pyodide`` (a release tarball or its URL, or a folder).

    A tarball or URL goes to jupyterlite's ``--pyodide``; a folder (an unpacked release, holding ``pyodide.mjs``)
    is copied to the build's ``static/pyodide``, the place jupyterlite takes a local Pyodide from.
    """
    folder = Path(pyodide)
    if not folder.is_dir():
        return [f"--pyodide={pyodide if '://' in pyodide else folder.resolve()}"]
    if not (folder / "pyodide.mjs").exists():
        raise FileNotFoundError(f"{folder} holds no pyodide.mjs: give an unpacked Pyodide release (or its tarball)")
    shutil.copytree(folder, work / "static" / "pyodide")
    return []


def build(output: Path = OUTPUT, pyodide: str | None = None) -> Path:
    """Build the site into ``output`` (replaced) and return it; ``pyodide`` bundles a local Pyodide distribution."""
    with tempfile.TemporaryDirectory(prefix="voicelab-lite-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "wheels")
        command = [str(Path(sys.executable).parent / "jupyter-lite"), "build", f"--lite-dir={work}",
                   f"--output-dir={output.resolve()}", "--no-sourcemaps", "--ignore-sys-prefix",
                   f"--piplite-wheels={wheel}"]
        stage_notebooks(work / "notebooks")
        command.append(f"--contents={work / 'notebooks'}")  # (a folder: its subfolders, e.g. voicelab/, are kept)
        command += [f"--LiteBuildConfig.federated_extensions={folder}" for folder in lab_extensions()]
        if pyodide:
            command += stage_pyodide(work, pyodide)
        done = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"jupyter lite build failed ({done.returncode}):\n{done.stdout[-4000:]}{done.stderr}")
    return output


def size_mib(site: Path) -> float:
    """The site's size on disk in MiB (all files)."""
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where the site goes (default: build/lite)")
    parser.add_argument("--pyodide", help="a Pyodide distribution (path or URL) to serve from the site itself")
    args = parser.parse_args(argv)
    print(f"building the JupyterLite site ({len(LITE_NOTEBOOKS)} notebooks) ...", flush=True)
    site = build(args.output, args.pyodide)
    pyodide = "bundled" if (site / "static" / "pyodide").exists() else "from its CDN at first use"
    print(f"{site}: {size_mib(site):.1f} MiB; Pyodide {pyodide}")
    print(f"serve it with: {Path(sys.executable).name} -m http.server -d {site} -b 127.0.0.1 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())

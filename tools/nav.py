"""Regenerate the notebooks' navigation bars and the README contents table.

Every ``notebooks/NN_*.ipynb`` gets a nav bar (prev | contents | next) between
``<!-- nav:start -->`` and ``<!-- nav:end -->`` in its first and last markdown
cells; README.md gets a contents table between ``<!-- contents:start -->`` and
``<!-- contents:end -->``. Titles come from each notebook's ``# NN · Title``
heading, summaries from its first "What you will learn" bullet. A
``**Next →** [...](...)`` line in the last markdown cell is kept pointing at the
next notebook, and a "Further reading" section from ``notebooks/FURTHER_READING.md``
(its ``## NN`` section) sits just before it, between ``<!-- reading:start -->`` and
``<!-- reading:end -->``. Only those markdown sources change: outputs, execution
counts and metadata are untouched.

README.md's Binder links (between ``<!-- binder:start -->`` and ``<!-- binder:end -->``)
point at ``BINDER_REPO``, the one place that names the GitHub repository: this
checkout has no Git remote, so it holds a placeholder until someone publishes it.

    python tools/nav.py           # rewrite what is stale
    python tools/nav.py --check   # exit 1 (and list the files) if anything is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAV_START, NAV_END = "<!-- nav:start -->", "<!-- nav:end -->"
CONTENTS_START, CONTENTS_END = "<!-- contents:start -->", "<!-- contents:end -->"
READING_START, READING_END = "<!-- reading:start -->", "<!-- reading:end -->"
BINDER_START, BINDER_END = "<!-- binder:start -->", "<!-- binder:end -->"
READING_FILE = "notebooks/FURTHER_READING.md"
# The GitHub owner/name that Binder builds from. A placeholder: whoever publishes the repository sets it here and
# runs `make nav` (README, "Launch a workshop").
BINDER_REPO = "YOUR-ORG/voicelab"
CONTENTS_LINK = "../README.md#contents"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
_TITLE = re.compile(r"^#\s+\d+\s*·\s*(?P<title>.+?)\s*$", re.MULTILINE)
_LEARN = re.compile(r"\*\*What you will learn\*\*.*?\n\s*[-*]\s+(?P<bullet>[^\n]+)", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_NEXT = re.compile(r"^\*\*Next →\*\*.*$", re.MULTILINE)
_BINDER_URL = re.compile(r"(?P<base>https://mybinder\.org/v2/gh/)[^/\s`]+/[^/\s`]+/")
_NEXT_WITH_SPACE = re.compile(r"\n*^\*\*Next →\*\*.*$\n*", re.MULTILINE)
_BLOCK = {NAV_START: re.compile(re.escape(NAV_START) + r".*?" + re.escape(NAV_END), re.DOTALL),
          CONTENTS_START: re.compile(re.escape(CONTENTS_START) + r".*?" + re.escape(CONTENTS_END), re.DOTALL),
          READING_START: re.compile(re.escape(READING_START) + r".*?" + re.escape(READING_END), re.DOTALL),
          BINDER_START: re.compile(re.escape(BINDER_START) + r".*?" + re.escape(BINDER_END), re.DOTALL)}


@dataclass(frozen=True)
class Entry:
    """One notebook of the series, as the contents table and nav bars show it."""

    path: Path
    number: str
    title: str
    summary: str

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title}"


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict[str, Any], text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def _markdown_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]


def read_entry(path: Path) -> Entry:
    """Number, title and one-line summary of a notebook (title falls back to its file name)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = "\n".join(_source(c) for c in _markdown_cells(nb)[:2])
    number, _, slug = path.stem.partition("_")
    title_match = _TITLE.search(text)
    title = title_match.group("title") if title_match else slug.replace("_", " ").capitalize()
    learn = _LEARN.search(text)
    summary = _LINK.sub(r"\1", learn.group("bullet").strip()) if learn else ""  # links point elsewhere from README
    return Entry(path, number, title, summary)


def discover(root: Path) -> list[Entry]:
    """The series, in file-name order."""
    return [read_entry(p) for p in sorted((root / "notebooks").glob(NOTEBOOK_GLOB))]


def nav_bar(entries: list[Entry], i: int, contents: str | None = CONTENTS_LINK) -> str:
    """``← prev | Contents | next →`` for the ``i``-th notebook (no Contents link when ``contents`` is None)."""
    parts = []
    if i > 0:
        parts.append(f"[← {entries[i - 1].label}]({entries[i - 1].path.name})")
    if contents is not None:
        parts.append(f"[Contents]({contents})")
    if i + 1 < len(entries):
        parts.append(f"[{entries[i + 1].label} →]({entries[i + 1].path.name})")
    return f"{NAV_START}\n" + " | ".join(parts) + f"\n{NAV_END}"


def next_line(entries: list[Entry], i: int) -> str | None:
    """``**Next →** [NN · Title](file)`` for the ``i``-th notebook; None for the last one."""
    if i + 1 >= len(entries):
        return None
    return f"**Next →** [{entries[i + 1].label}]({entries[i + 1].path.name})"


def contents_table(entries: list[Entry], folder: str = "notebooks/") -> str:
    """The contents table (number, linked title, what you will learn), linking to ``folder`` + each file name."""
    rows = ["| # | Notebook | What you will learn |", "|---|---|---|"]
    rows += [f"| {e.number} | [{_cell(e.title)}]({folder}{e.path.name}) | {_cell(e.summary)} |" for e in entries]
    return f"{CONTENTS_START}\n" + "\n".join(rows) + f"\n{CONTENTS_END}"


def with_binder_repo(block: str, repo: str = BINDER_REPO) -> str:
    """``block`` with every Binder link pointing at the GitHub ``repo`` (owner/name)."""
    return _BINDER_URL.sub(lambda m: f"{m.group('base')}{repo}/", block)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _replace_block(text: str, marker: str, block: str, *, at_end: bool) -> str:
    """Replace the marked block, or add it at the start (or end) when the text has none."""
    pattern = _BLOCK[marker]
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    if at_end:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return block + "\n\n" + text.lstrip("\n")


def readings(root: Path) -> dict[str, str]:
    """Each notebook's "Further reading" block, by number, from ``notebooks/FURTHER_READING.md``."""
    path = root / READING_FILE
    if not path.exists():
        return {}
    sections = re.split(r"^## (\d\d)\s*$", path.read_text(encoding="utf-8"), flags=re.M)
    return {number: f"{READING_START}\n## Further reading\n\n{body.strip()}\n{READING_END}"
            for number, body in zip(sections[1::2], sections[2::2], strict=True)}


def _with_reading(text: str, reading: str) -> str:
    """The last cell's text with its reading block replaced, or added before the "Next →" line / nav bar."""
    if _BLOCK[READING_START].search(text):
        return _BLOCK[READING_START].sub(lambda _: reading, text, count=1)
    anchor = _NEXT.search(text) or _BLOCK[NAV_START].search(text)
    if anchor is None:
        return text.rstrip("\n") + "\n\n" + reading + "\n"
    return text[:anchor.start()].rstrip("\n") + "\n\n" + reading + "\n\n" + text[anchor.start():]


def set_navigation(nb: dict[str, Any], bar: str, next_link: str | None = None, reading: str | None = None,
                   *, drop_next: bool = False) -> None:
    """Put ``bar`` in the notebook's first and last markdown cells, and ``next_link`` and ``reading`` in the last.

    ``next_link`` None leaves the "Next →" line as it is, unless ``drop_next`` removes it (a series' last notebook).
    """
    cells = _markdown_cells(nb)
    if not cells:
        raise ValueError("no markdown cell to hold the navigation bar")
    for cell, at_end in ((cells[0], False), (cells[-1], True)):
        _set_source(cell, _replace_block(_source(cell), NAV_START, bar, at_end=at_end))
    if next_link is not None:
        _set_source(cells[-1], _NEXT.sub(lambda _: next_link, _source(cells[-1]), count=1))
    elif drop_next:
        _set_source(cells[-1], _NEXT_WITH_SPACE.sub("\n\n", _source(cells[-1]), count=1))
    if reading is not None:
        _set_source(cells[-1], _with_reading(_source(cells[-1]), reading))


def update_notebook(path: Path, bar: str, next_link: str | None = None, reading: str | None = None) -> str | None:
    """The notebook's new JSON text if its nav bars, "Next →" line or reading are stale, else None."""
    original = path.read_text(encoding="utf-8")
    nb = json.loads(original)
    try:
        set_navigation(nb, bar, next_link, reading)
    except ValueError as exc:
        raise SystemExit(f"{path}: {exc}") from None
    updated = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if json.loads(updated) == json.loads(original):
        return None
    return updated


def update_readme(path: Path, table: str, binder_repo: str | None = None) -> str | None:
    """README.md's new text if its contents table (added under ## Contents if absent) or, given ``binder_repo``,
    the Binder links in its marked block are stale, else None."""
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    if _BLOCK[CONTENTS_START].search(original):
        updated = _replace_block(original, CONTENTS_START, table, at_end=True)
    else:
        updated = original.rstrip("\n") + ("\n\n" if original.strip() else "") + "## Contents\n\n" + table + "\n"
    if binder_repo is not None:
        updated = _BLOCK[BINDER_START].sub(lambda m: with_binder_repo(m.group(0), binder_repo), updated, count=1)
    return None if updated == original else updated


def stale_files(root: Path) -> dict[Path, str]:
    """Every file whose navigation is out of date, with its regenerated text."""
    entries = discover(root)
    reading = readings(root)
    changes: dict[Path, str] = {}
    for i, entry in enumerate(entries):
        new = update_notebook(entry.path, nav_bar(entries, i), next_line(entries, i), reading.get(entry.number))
        if new is not None:
            changes[entry.path] = new
    readme = root / "README.md"
    new = update_readme(readme, contents_table(entries), BINDER_REPO)
    if new is not None:
        changes[readme] = new
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if anything is stale; change nothing")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    changes = stale_files(args.root)
    for path, text in changes.items():
        rel = path.relative_to(args.root)
        if args.check:
            print(f"stale: {rel} (run `make nav`)")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"updated: {rel}")
    if args.check and changes:
        return 1
    if not changes:
        print(f"navigation up to date ({len(discover(args.root))} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

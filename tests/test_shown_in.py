"""Code shown in notebooks is marked: every function a notebook shows with ``show_source`` says so in its docstring
("Shown in notebook 06."), no docstring claims a notebook that does not show it, and the note itself is not shown."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbformat

import voicelab
from voicelab.notebook import source_of

ROOT = Path(__file__).resolve().parent.parent
MARK = re.compile(r"Shown in notebook (\d\d)\.")
CALL = re.compile(r"show_source\(([\w.]+)")


def _shown_by_notebooks() -> dict[tuple[str, str], object]:
    """(module:qualname, notebook number) -> the object, for every ``show_source`` call in the notebooks."""
    shown: dict[tuple[str, str], object] = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        calls = [name for source in cells for name in CALL.findall(source)]
        if not calls:
            continue
        namespace: dict[str, object] = {"vl": voicelab}
        for source in cells:  # the names a notebook shows come from its own imports
            code = "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
            for node in ast.parse(code).body:
                if isinstance(node, ast.Import | ast.ImportFrom) and "voicelab" in ast.unparse(node):
                    exec(ast.unparse(node), namespace)
        for name in calls:
            obj = inspect.unwrap(eval(name, namespace))
            shown[(f"{obj.__module__}:{obj.__qualname__}", path.name[:2])] = obj
    return shown


def _marked_in_source() -> set[tuple[str, str]]:
    """(module:qualname, notebook number) for every definition in voicelab whose docstring carries the note."""
    marked = set()
    for path in sorted((ROOT / "voicelab").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())

        def visit(node: ast.AST, prefix: str, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    name = prefix + child.name
                    for number in MARK.findall(ast.get_docstring(child) or ""):
                        marked.add((f"{module}:{name}", number))
                    visit(child, name + ".", module)

        visit(tree, "")
    return marked


def test_every_shown_function_says_so_and_no_other_does():
    shown = set(_shown_by_notebooks())
    assert len(shown) >= 12
    marked = _marked_in_source()
    assert shown - marked == set(), "add 'Shown in notebook NN.' to these docstrings"
    assert marked - shown == set(), "these docstrings name a notebook that does not show them"


def test_the_note_is_not_part_of_what_the_notebook_shows():
    """Only the note goes (whitespace aside: strict nbval of the notebooks checks the exact bytes)."""
    for obj in _shown_by_notebooks().values():
        raw = inspect.getsource(obj)
        assert MARK.search(raw)
        shown = source_of(obj).split("\n", 1)[1]  # below the file header
        assert "Shown in notebook" not in shown
        without = MARK.sub("", raw).replace('""""""', "")
        assert "".join(shown.split()) == "".join(without.split())

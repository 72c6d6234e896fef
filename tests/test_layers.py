"""Import direction and module size, checked on the source tree (an AST walk: no import of our code happens).

Layers, lowest first (shared DESIGN.md "Layers and import direction"); an app may import its own layer and the
layers below, never one above. Imports inside functions, under `if TYPE_CHECKING:`, relative imports and
`importlib.import_module("openjxc....")` with a literal name all count. `config/`, `cli.py` and every
`<app>/management/` (Django's command-line entry points) sit on top and may import anything.

This is a ratchet. `KNOWN_UPWARD` lists the upward imports that existed when the test was written, as
"importing module -> imported module" (no line numbers, so editing a file does not disturb it): a NEW upward import
fails, and so does a listed one that no longer exists — whoever removes an upward import deletes its line, so
the list only shrinks. The same for modules over `MAX_LINES` (`KNOWN_LONG`) and for apps of one layer that import
each other round a loop (`KNOWN_CYCLES`). A top-level package missing from `LAYERS` fails too. Today's findings:

    .venv/bin/python -m tests.test_layers
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openjxc"
MAX_LINES = 650
TOP = 99  # config, cli and management commands: may import anything

# rank of each top-level package; equal ranks may import each other
LAYERS: dict[str, int] = {
    "core": 0,
    "custom": 1,  # custom field definitions and validation, beside core (custom forms live above documents)
    "web": 2,  # the shared kit beside core: layout, company_page, paging, forms helpers; imports no app
    "catalog": 3, "partners": 3,
    "stock": 4,
    "documents": 5,
    "finance": 6, "workflow": 6, "counts": 6, "manufacturing": 6, "printing": 6,
    "alerts": 7, "sync": 7,
    "restaurant": 8, "reports": 8, "health": 8, "bi": 8,
    "presets": 9,
    "config": TOP, "cli": TOP, "locale": TOP,
}

# Upward imports that existed when this test was written. Delete a line when you remove the import; never add one.
KNOWN_UPWARD = """
""".split("\n")

# Apps of one layer that import each other round a loop when this test was written ("a, b"). Only shrinks.
KNOWN_CYCLES = """
""".split("\n")

# Modules over MAX_LINES when this test was written. Delete a line when the module is split; never add one.
KNOWN_LONG = """
""".split("\n")


@dataclass(frozen=True)
class Finding:
    module: str  # openjxc.web.views
    imported: str  # openjxc.alerts.inbox
    line: int

    @property
    def key(self) -> str:
        return f"{self.module} -> {self.imported}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_of(root: Path, path: Path) -> str:
    rel = path.relative_to(root).parts
    return rel[0].removesuffix(".py")


def rank_of(app: str, rel_parts: tuple[str, ...]) -> int | None:
    if "management" in rel_parts:
        return TOP
    return LAYERS.get(app)


def imported_names(tree: ast.AST, module: str, is_package: bool):
    """Every (absolute module name, name imported from it or None, line), wherever the import statement sits."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            for alias in node.names:
                # `from openjxc.documents import services` imports the module documents.services when it is one
                yield target, alias.name, node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                yield node.args[0].value, None, node.lineno


def _is_module(root: Path, dotted: str) -> bool:
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        if "migrations" not in path.relative_to(root).parts:
            yield path


@dataclass
class Scan:
    upward: list[Finding]  # imports of a higher layer
    long: dict[str, int]  # {module path: lines} over MAX_LINES
    unplaced: list[str]  # top-level packages with no layer
    peers: dict[str, set[str]]  # app -> other apps of its own layer that it imports


def scan(root: Path = SRC) -> Scan:
    """Walk every module of `root` (migrations aside) once."""
    upward: list[Finding] = []
    peers: dict[str, set[str]] = {}
    long: dict[str, int] = {}
    unplaced: set[str] = set()
    for path in python_files(root):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root)
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > MAX_LINES:
            long[rel.as_posix()] = lines
        if len(rel.parts) == 1 and rel.name == "__init__.py":
            continue
        app = app_of(root, path)
        rank = rank_of(app, rel.parts)
        if rank is None:
            unplaced.add(app)
            continue
        module = module_name(root, path)
        tree = ast.parse(text, filename=str(path))
        for imported, name, line in imported_names(tree, module, path.name == "__init__.py"):
            if name and _is_module(root, f"{imported}.{name}"):
                imported = f"{imported}.{name}"
            parts = imported.split(".")
            if parts[0] != root.name or len(parts) < 2:
                continue
            target = parts[1].removesuffix(".py")
            target_rank = LAYERS.get(target)
            if target_rank is None:
                if (root / target).exists() or (root / f"{target}.py").exists():
                    unplaced.add(target)
                continue
            if target_rank > rank:
                upward.append(Finding(module, imported, line))
            elif target_rank == rank and target != app and rank != TOP:
                peers.setdefault(app, set()).add(target)
    return Scan(upward, long, sorted(unplaced), peers)


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """The apps that import each other round a loop (strongly connected components), as "a, b" strings."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[str] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the app graph is a few dozen nodes deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(", ".join(sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _known(block: list[str]) -> set[str]:
    return {line.strip() for line in block if line.strip()}


def ratchet_problems(root: Path, known_upward: set[str], known_long: set[str],
                     known_cycles: frozenset[str] = frozenset()) -> list[str]:
    """What a change broke: new upward imports or cycles, stale list entries, new long modules, unplaced apps."""
    found_scan = scan(root)
    long = found_scan.long
    problems = [f"top-level package {app!r} has no layer: add it to LAYERS in tests/test_layers.py "
                "(shared DESIGN.md says where it belongs)" for app in found_scan.unplaced]
    found: dict[str, Finding] = {}
    for finding in found_scan.upward:
        found.setdefault(finding.key, finding)
    for key in sorted(found.keys() - known_upward):
        f = found[key]
        problems.append(f"new upward import: {key} (line {f.line}) — plug in through a registry or hook instead")
    for key in sorted(known_upward - found.keys()):
        problems.append(f"gone, delete its line from KNOWN_UPWARD: {key}")
    for path in sorted(long.keys() - known_long):
        problems.append(f"new module over {MAX_LINES} lines: {path} ({long[path]}) — split it by meaning")
    for path in sorted(known_long - long.keys()):
        problems.append(f"no longer over {MAX_LINES} lines, delete its line from KNOWN_LONG: {path}")
    loops = set(cycles(found_scan.peers))
    for loop in sorted(loops - known_cycles):
        problems.append(f"new import cycle between the apps {loop} — one of them plugs into the other by a hook")
    for loop in sorted(known_cycles - loops):
        problems.append(f"gone, delete its line from KNOWN_CYCLES: {loop}")
    return problems


def test_no_new_upward_import_cycle_or_long_module():
    problems = ratchet_problems(SRC, _known(KNOWN_UPWARD), _known(KNOWN_LONG), frozenset(_known(KNOWN_CYCLES)))
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------ the checker itself, on a planted tree


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "openjxc"
    for name, text in {"__init__.py": "", **files}.items():
        _write(root, name, text)
    return root


def _write(root: Path, name: str, text: str) -> None:
    """Write a module of the planted tree, with the packages around it."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        (root / parent / "__init__.py").touch()
    path.write_text(text, encoding="utf-8")


CLEAN = {
    "core/models.py": "import datetime\n",
    "stock/services.py": "from openjxc.core import models\nfrom ..catalog import services\n",
    "catalog/services.py": "from openjxc.core.models import *\n",
    "documents/services.py": "from openjxc.stock import services\n",
    "alerts/engine.py": "from openjxc.documents import services\nfrom openjxc.workflow import gate\n",
    "workflow/gate.py": "from openjxc.finance import effects\n",  # same layer: allowed
    "finance/effects.py": "",
    "config/urls.py": "from openjxc.alerts import engine\n",
    "core/management/commands/demo.py": "from openjxc.alerts import engine\n",  # a command line entry point
}


@pytest.mark.parametrize(("where", "code", "key"), [
    ("core/clock.py", "from openjxc.stock import services\n", "openjxc.core.clock -> openjxc.stock.services"),
    ("stock/posting.py", "def post():\n    from openjxc.documents import services\n",
     "openjxc.stock.posting -> openjxc.documents.services"),
    ("stock/posting.py", "def post():\n    from ..alerts import engine\n",
     "openjxc.stock.posting -> openjxc.alerts.engine"),
    ("documents/__init__.py", "from .. import workflow\n", "openjxc.documents -> openjxc.workflow"),
    ("catalog/prices.py", "import openjxc.stock.services as s\n", "openjxc.catalog.prices -> openjxc.stock.services"),
    ("web/paging.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from openjxc.documents import services\n",
     "openjxc.web.paging -> openjxc.documents.services"),
    ("core/hooks.py", "import importlib\nM = importlib.import_module('openjxc.alerts.engine')\n",
     "openjxc.core.hooks -> openjxc.alerts.engine"),
    ("finance/effects.py", "from openjxc import alerts\n", "openjxc.finance.effects -> openjxc.alerts"),
])
def test_the_checker_fails_on_a_planted_upward_import(tmp_path, where, code, key):
    root = _plant(tmp_path, CLEAN)
    assert ratchet_problems(root, set(), set()) == []
    _write(root, where, code)
    problems = ratchet_problems(root, set(), set())
    assert problems and problems[0].startswith(f"new upward import: {key} "), problems
    # listed as known, the same import passes; listed but gone, it fails
    assert ratchet_problems(root, {key}, set()) == []
    (root / where).write_text("", encoding="utf-8")
    assert ratchet_problems(root, {key}, set()) == [f"gone, delete its line from KNOWN_UPWARD: {key}"]


def test_the_checker_fails_on_a_new_long_module_and_a_stale_entry(tmp_path):
    root = _plant(tmp_path, {**CLEAN, "stock/big.py": "x = 1\n" * (MAX_LINES + 1)})
    assert ratchet_problems(root, set(), set()) == [
        f"new module over {MAX_LINES} lines: stock/big.py ({MAX_LINES + 1}) — split it by meaning"]
    assert ratchet_problems(root, set(), {"stock/big.py"}) == []
    (root / "stock/big.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    assert ratchet_problems(root, set(), {"stock/big.py"}) == [
        f"no longer over {MAX_LINES} lines, delete its line from KNOWN_LONG: stock/big.py"]


def test_the_checker_fails_on_a_planted_cycle_between_apps_of_one_layer(tmp_path):
    root = _plant(tmp_path, {**CLEAN, "finance/effects.py": "def f():\n    from openjxc.counts import hooks\n",
                             "counts/hooks.py": "from openjxc.workflow import gate\n"})
    assert ratchet_problems(root, set(), set()) == [
        "new import cycle between the apps counts, finance, workflow — one of them plugs into the other by a hook"]
    assert ratchet_problems(root, set(), set(), frozenset({"counts, finance, workflow"})) == []
    _write(root, "counts/hooks.py", "")
    assert ratchet_problems(root, set(), set(), frozenset({"counts, finance, workflow"})) == [
        "gone, delete its line from KNOWN_CYCLES: counts, finance, workflow"]


def test_a_package_with_no_layer_fails(tmp_path):
    root = _plant(tmp_path, {**CLEAN, "bakery/models.py": "from openjxc.core import models\n"})
    assert [p for p in ratchet_problems(root, set(), set()) if "'bakery'" in p]


def main() -> int:
    """Print today's findings in the shape of KNOWN_UPWARD and KNOWN_LONG."""
    found = scan()
    print("KNOWN_UPWARD:")
    for key in sorted({f.key for f in found.upward}):
        print(key)
    print("KNOWN_LONG:")
    for path in sorted(found.long):
        print(path)
    print("KNOWN_CYCLES:")
    for loop in cycles(found.peers):
        print(loop)
    for app in found.unplaced:
        print(f"no layer: {app}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every service in the type-checked apps names its actor's type: a keyword-only `by: User` (or `User | None`).

mypy (run by .ci/run, `make mypy`) checks these apps; this test makes sure it has something to check at the one
parameter every write service shares. An AST walk of the source, no import of our code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "openjxc"
# the apps mypy checks (pyproject.toml [tool.mypy] packages)
TYPED_APPS = ("core", "stock", "documents")
ACTOR_TYPES = {"User", "User | None", "Optional[User]"}


def untyped_actors(root: Path, apps=TYPED_APPS) -> list[str]:
    """`path:line function` for each function of `apps` whose `by` parameter is not annotated as a User."""
    out = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                args = node.args
                for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                    if arg.arg == "by" and (arg.annotation is None or ast.unparse(arg.annotation) not in ACTOR_TYPES):
                        out.append(f"{path.relative_to(root).as_posix()}:{node.lineno} {node.name}")
    return out


def test_every_service_of_the_typed_apps_types_its_actor():
    missing = untyped_actors(SRC)
    assert not missing, "annotate `by: User` (or `User | None`) in:\n" + "\n".join(missing)


@pytest.mark.parametrize(("code", "found"), [
    ("def post(doc, *, by): ...", True),
    ("def post(doc, *, by: object): ...", True),
    ("def post(doc, *, by: User): ...", False),
    ("def post(doc, *, by: User | None = None): ...", False),
    ("class S:\n    def post(self, *, by: 'User'): ...", True),  # a string is not checked the same way: spell it
    ("def post(doc, *, user): ...", False),
])
def test_the_check_finds_an_untyped_actor(tmp_path, code, found):
    (tmp_path / "stock").mkdir()
    (tmp_path / "stock" / "services.py").write_text(code, encoding="utf-8")
    assert bool(untyped_actors(tmp_path, ("stock",))) is found

"""The layering of ``src/recoverycore`` (docs/architecture.md, "The import rules"), checked.

Every module's imports are parsed (``ast``, nothing is imported), and each import of another
part of recoverycore must be one its layer may make; no module imports another package's
``_private`` module. A new import that breaks the table fails here, naming the file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import recoverycore

PACKAGE = "recoverycore"
SRC = Path(recoverycore.__file__).parent

ALLOWED: dict[str, frozenset[str]] = {
    "events": frozenset(),
    "errors": frozenset(),
    "rules": frozenset(),
    "_version": frozenset(),
    "days": frozenset({"events"}),
    "aggregates": frozenset({"events", "days", "errors"}),
    "policies": frozenset({"events", "days"}),
    "persistence": frozenset({"events", "errors"}),
    "projections": frozenset({"events", "persistence"}),
    "application": frozenset(
        {
            "events",
            "aggregates",
            "policies",
            "persistence",
            "projections",
            "days",
            "errors",
            "rules",
        }
    ),
    "testing": frozenset({"aggregates", "events", "errors"}),
    "report": frozenset(
        {"application", "aggregates", "projections", "events", "rules", "_version"}
    ),
    # The command line prints recorded events (a history, follow-ups falling due).
    "cli": frozenset({"face", "application", "report", "projections", "rules", "events"}),
    "msp": frozenset({"aggregates", "events"}),
    "cmr": frozenset({"aggregates", "events"}),
    "face": frozenset(
        {"application", "aggregates", "events", "errors", "rules", "_version", "msp", "cmr"}
    ),
}
"""Layer -> the layers it may import (each layer may import itself)."""

FACE_NAMESPACES = frozenset({"msp", "cmr"})
"""The face's namespaces (``recoverycore.msp.ApproveMsp``): importing them is importing the face."""

DEPRECATED_SHIMS = frozenset(
    {"clock", "holiday_calendar", "policy_app", "read_models", "integrity", "privacy"}
    | {"strategies", "_case_testing", "_diagram", "demo"}
)
"""Old import paths kept for one release: each only re-exports its new home."""


@dataclass(frozen=True)
class Edge:
    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, importer: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """The recoverycore modules (or names in them) that ``importer``'s source imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = importer.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                yield node.lineno, name.value


def _is_dynamic_import(func: ast.expr) -> bool:
    """``importlib.import_module(...)``, ``import_module(...)`` or ``__import__(...)``."""
    if isinstance(func, ast.Name):
        return func.id in ("import_module", "__import__")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of recoverycore (not a name in one)."""
    path = SRC.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(module: str) -> str:
    """The layer of a recoverycore module, or of a name imported from the package's face."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return ""
    if len(parts) == 1 or not _is_module(f"{PACKAGE}.{parts[1]}"):
        return "face"
    return parts[1]


def private_owner(imported: str) -> str | None:
    """The package that owns the first ``_private`` module or name in ``imported``, if any.

    A private module belongs to the package that holds it; a private name belongs to the
    package of the module that defines it. Only code inside that package may import it.
    """
    parts = imported.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if not part.startswith("_") or part.startswith("__"):
            continue
        holder = ".".join(parts[:i])
        if _is_module(".".join(parts[: i + 1])) or (
            _is_module(holder)
            and (SRC.parent.joinpath(*holder.split(".")) / "__init__.py").is_file()
        ):
            return holder  # a private module, or a private name of a package's face
        return holder.rsplit(".", 1)[0]  # a private name of a module: its package owns it
    return None


def violations(
    source: str, importer: str, path: str = "<string>", is_package: bool = False
) -> list[Edge]:
    """Every import in ``source`` (the module ``importer``) that the rules forbid."""
    found: list[Edge] = []
    layer = layer_of(importer) if importer != PACKAGE else "face"
    for line, imported in imports_of(source, importer, is_package):
        if not imported.startswith(PACKAGE):
            continue
        target = layer_of(imported)
        if target in FACE_NAMESPACES and layer != "face":
            target = "face"  # recoverycore.msp and recoverycore.cmr are part of the face
        owner = private_owner(imported)
        inside = owner is not None and (importer == owner or importer.startswith(owner + "."))
        if owner is not None and owner != PACKAGE and not inside:
            found.append(Edge(path, line, importer, imported))
            continue
        if layer in DEPRECATED_SHIMS or target == layer:
            continue
        if target not in ALLOWED.get(layer, frozenset()):
            found.append(Edge(path, line, importer, imported))
    return found


def all_violations() -> list[Edge]:
    found: list[Edge] = []
    for path in sorted(SRC.rglob("*.py")):
        importer = module_name(path, SRC)
        found += violations(
            path.read_text(),
            importer,
            str(path.relative_to(SRC.parent)),
            is_package=path.name == "__init__.py",
        )
    return found


def test_every_import_in_the_package_follows_the_layering() -> None:
    assert [str(edge) for edge in all_violations()] == []


def test_every_module_belongs_to_a_layer_of_the_table() -> None:
    layers = {layer_of(module_name(p, SRC)) for p in SRC.rglob("*.py")}
    assert layers - set(ALLOWED) - DEPRECATED_SHIMS == set()


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("recoverycore.aggregates.msp", "from recoverycore.application import RecoveryApp"),
        ("recoverycore.events.msp", "from recoverycore.aggregates import msp"),
        ("recoverycore.policies.follow_ups", "import recoverycore.persistence"),
        ("recoverycore.projections.workload", "from recoverycore.aggregates.cmr import CaseState"),
        ("recoverycore.testing.cmr", "from recoverycore.application import RecoveryApp"),
        ("recoverycore.report.html", "from recoverycore.events._envelope import Actor"),
        ("recoverycore.application.recovery", "from recoverycore.persistence._chain import unseal"),
        ("recoverycore.application.recovery", "from recoverycore.cli import app"),
        ("recoverycore.report.gather", "from recoverycore import RecoveryApp"),
        ("recoverycore.persistence._store", "from ..projections import VIEWS"),
        ("recoverycore.events.msp", "importlib.import_module('recoverycore.days')"),
        ("recoverycore.policies.safeguards", "__import__('recoverycore.application')"),
    ],
)
def test_a_forbidden_import_is_found(importer: str, source: str) -> None:
    [edge] = violations(source, importer)
    assert edge.importer == importer


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        (
            "recoverycore.aggregates.cmr.table2_contact",
            "from recoverycore.aggregates.cmr._checks import _Ctx",
        ),
        (
            "recoverycore.aggregates.msp.letters",
            "from recoverycore.aggregates._decider import Decision",
        ),
        ("recoverycore.application.recovery", "from recoverycore.persistence import sqlite_env"),
        ("recoverycore.report.html", "from recoverycore._version import __version__"),
        ("recoverycore.persistence._protected", "from ._chain import unseal"),
    ],
)
def test_an_allowed_import_is_not_flagged(importer: str, source: str) -> None:
    assert violations(source, importer) == []

"""The architecture picture stays true: lower layers never import higher ones.

Read from the import statements of every module under src/xentlab (nothing is executed). A unit
is a top-level module or package of xentlab; a unit may import only units of a lower layer
(and its own modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "xentlab"

# Lowest first: the error types and numba's compiling; the package's face (its version, its
# errors), file helpers, checks, the censored median, the commands messages suggest and the
# one-start neuron's compiled loop; the math, the PyTorch module a network's layers make (torch
# imported only when called), the colours figures and the page draw the costs in (no drawing
# library), and one neuron's fast paths; the model, the neuron and the data; the epoch loop;
# the run state; xentlab's own files; the run layer; the experiments, which train through it;
# figures; the front ends: the report, the scikit-learn estimators, the PyTorch tools and the
# page, then the command line.
LAYERS: list[set[str]] = [
    {"errors", "compiling"},
    {"__init__", "files", "checks", "censored", "hints", "neuron_compiled"},
    {"functions", "sequential", "colours", "neuron_one_start"},
    {"neuron", "model", "data"},
    {"kernel"},
    {"settings"},
    {"training"},
    {"formats"},
    {"runs"},
    {"experiments", "sweeps"},
    {"plots"},
    {"report", "sklearn", "torch", "web"},
    {"cli"},
    {"__main__"},
]
LAYER_OF = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def unit_of(path: Path, package: Path) -> str:
    return path.relative_to(package).with_suffix("").parts[0]


def _unit_named(name: str, package: Path) -> str:
    """A name imported from the package itself: a unit, or else something its face defines."""
    is_unit = (package / name).is_dir() or (package / f"{name}.py").is_file()
    return name if is_unit else "__init__"


def imported_units(path: Path, package: Path = PACKAGE) -> set[str]:
    """The xentlab units that ``path`` imports, relative or absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(package).parts) - 1  # folders between xentlab/ and the module
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {
                _unit_named(a.name.split(".")[1], package)
                for a in node.names
                if a.name.startswith("xentlab.")
            }
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            parts = (node.module or "").split(".")
            if parts[0] != "xentlab":
                continue
            names = parts[1:2] or [a.name for a in node.names]
        elif node.level - 1 == depth:  # relative to xentlab/ itself
            names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
        else:  # inside the module's own package
            continue
        found |= {_unit_named(name, package) for name in names}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def upward_imports(path: Path, package: Path = PACKAGE) -> list[str]:
    """Each import of ``path`` that goes to the same or a higher layer, described."""
    unit = unit_of(path, package)
    problems = []
    for other in sorted(imported_units(path, package) - {unit}):
        if other not in LAYER_OF:
            problems.append(f"imports {other}, which has no layer")
        elif LAYER_OF[other] >= LAYER_OF[unit]:
            problems.append(
                f"({unit}, layer {LAYER_OF[unit]}) imports {other} (layer {LAYER_OF[other]})"
            )
    return problems


def test_every_unit_has_a_layer():
    units = {unit_of(p, PACKAGE) for p in MODULES}
    assert units <= set(LAYER_OF), f"units without a layer: {units - set(LAYER_OF)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down(path):
    assert upward_imports(path) == [], (
        f"{path.relative_to(PACKAGE)}: lower layers must not import higher ones"
    )


def test_the_checker_sees_upward_and_sideways_imports(tmp_path):
    package = tmp_path / "xentlab"
    (package / "functions").mkdir(parents=True)
    (package / "runs.py").write_text("")
    (package / "model.py").write_text("")
    (package / "data").mkdir()
    bad = package / "functions" / "bad.py"
    bad.write_text("from ..runs import prepare\nfrom . import sibling\nimport numpy\n")
    assert imported_units(bad, package) == {"runs"}
    assert upward_imports(bad, package) == ["(functions, layer 2) imports runs (layer 8)"]
    sideways = package / "model.py"
    sideways.write_text("from .data import load_dataset\nfrom . import __version__\n")
    assert imported_units(sideways, package) == {"data", "__init__"}
    assert upward_imports(sideways, package) == ["(model, layer 3) imports data (layer 3)"]
    good = package / "data" / "x.py"
    good.write_text("from ..model import Network\nfrom .. import errors\nfrom .y import z\n")
    assert upward_imports(good, package) == ["(data, layer 3) imports model (layer 3)"]
    assert imported_units(good, package) == {"model", "__init__"}


def test_the_readmes_diagram_draws_these_floors():
    """The Architecture section's diagram lists LAYERS top to bottom, a floor a line."""
    readme = (PACKAGE.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture") :]
    block = section[section.index("```text\n") + len("```text\n") :]
    drawn = [line.split() for line in block[: block.index("```")].splitlines()]
    assert [int(line[0]) for line in drawn] == list(range(len(LAYERS) - 1, -1, -1))
    assert [set(line[1:]) for line in drawn] == LAYERS[::-1]

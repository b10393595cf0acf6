"""The shape of the code: every import points down (no cycle, counting imports inside
functions), no private name is imported from another module, autograd knows nothing of nn, and
no module grows past about 600 lines. Read from the source, so nothing is executed."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")
MAX_LINES = 600


def modules():
    """{'autograd.value': path, ...} for every module of the two packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


def imports(name, path, known):
    """(the project modules `name` imports, anywhere in the file; the private names it imports
    from them)."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found, private = set(), []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .value import y
                base = package.rsplit(".", node.level - 1)[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.partition(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    found.add(target)  # from . import value: the module itself
                else:
                    found.add(base)
                    if alias.name.startswith("_"):
                        private.append(f"{name} imports {alias.name} from {base}")
    return found - {name}, private


def graph():
    known = modules()
    edges, private = {}, []
    for name, path in known.items():
        edges[name], names = imports(name, path, known)
        private += names
    return edges, private


def test_no_import_cycle_counting_imports_inside_functions():
    edges, _ = graph()
    done, path = set(), []

    def visit(module):  # depth first: a module met again on the current path closes a cycle
        assert module not in path, f"import cycle: {' -> '.join(path[path.index(module) :])}"
        if module in done:
            return
        path.append(module)
        for other in sorted(edges[module]):
            visit(other)
        path.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)
    # the two cycles there were: the stepper and the pictures, and nn's model and its converters
    assert "autograd.graph" not in edges["autograd.steps"]
    assert "nn.convert" not in edges["nn.modules"] and "nn.modules" not in edges["nn.modelfile"]


def test_the_check_finds_a_cycle_when_there_is_one(tmp_path):
    """The reader above must see relative imports, and imports inside functions."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n")
    known = {"nn.a": tmp_path / "a.py", "nn.b": tmp_path / "a.py"}
    assert imports("nn.a", known["nn.a"], known)[0] == {"nn.b"}


def test_no_private_name_is_imported_from_another_module():
    assert graph()[1] == []


def test_autograd_imports_nothing_of_nn():
    edges, _ = graph()
    upward = [f"{m} -> {o}" for m, os in edges.items() if m.startswith("autograd") for o in os]
    assert [edge for edge in upward if edge.split(" -> ")[1].startswith("nn")] == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_600_lines(name):
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"

"""The packages are typed: both ship py.typed, their public API is annotated, and mypy (with the
repository's mypy.ini) finds no error in them.

mypy is one of the test tools; where it is not installed the mypy test skips, except under
REQUIRE_TORCH=1 (set by CI, which installs every test tool), where that is a failure."""

import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")


def require_mypy():
    if importlib.util.find_spec("mypy") is not None:
        return
    if os.environ.get("REQUIRE_TORCH") == "1":
        pytest.fail("mypy is not installed; CI installs it with the test tools")
    pytest.skip("mypy is not installed (it comes with the test tools)")


@pytest.mark.parametrize("package", PACKAGES)
def test_package_ships_py_typed(package):
    marker = ROOT / package / "py.typed"
    assert marker.is_file(), f"{package}/py.typed is missing: type checkers would ignore the hints"


def test_mypy_finds_no_error():
    """`python -m mypy` from the repository root, as a developer runs it: mypy.ini says what to
    check (autograd and nn) and how strictly."""
    require_mypy()
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPY_FORCE_COLOR": "0"},
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, f"mypy found errors:\n{output}"
    assert "Success: no issues found" in output, output


def modules():
    """Every module of the two packages, by name (not __main__, which runs the command)."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            if path.stem == "__main__":
                continue
            names.append(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return names


def public_functions(module):
    """{qualified name: function} for the module's public functions and for the public and
    dunder methods (properties included) of its public classes and of their bases in the
    module (no_grad's _GradMode): what users call, decorated ones (@no_grad()) included. Only
    functions written in the module's own file count (not those that dataclasses or NamedTuple
    generate, nor graphviz's methods that autograd.dot wraps)."""
    found = {}

    def add(function):
        function = inspect.unwrap(function)
        code = getattr(function, "__code__", None)
        if code is not None and Path(code.co_filename) == Path(module.__file__):
            found[function.__qualname__] = function

    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            add(obj)
        elif inspect.isclass(obj):
            for cls in obj.__mro__:
                if cls.__module__ != module.__name__:
                    continue
                for attr, member in vars(cls).items():
                    dunder = attr.startswith("__") and attr.endswith("__")
                    if attr.startswith("_") and not dunder:
                        continue
                    if isinstance(member, property):
                        member = member.fget
                    elif isinstance(member, (classmethod, staticmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        add(member)
    return found


def missing_annotations(function):
    """The names of `function`'s parameters (and 'return') that have no annotation; the first
    parameter of a method (self, cls) needs none."""
    parameters = list(inspect.signature(function).parameters.values())
    if "." in function.__qualname__ and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    missing = [p.name for p in parameters if p.annotation is inspect.Parameter.empty]
    if "return" not in function.__annotations__:
        missing.append("return")
    return missing


@pytest.mark.parametrize("name", modules())
def test_public_api_is_annotated(name):
    """Every public function and method says what it takes and what it returns (mypy's
    disallow_incomplete_defs catches a half-annotated one; this, one with none at all)."""
    module = importlib.import_module(name)
    bare = {
        f"{name}.{qualified}": missing
        for qualified, function in public_functions(module).items()
        if (missing := missing_annotations(function))
    }
    assert bare == {}, f"public functions without complete annotations: {bare}"

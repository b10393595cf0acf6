"""Which build of the engine runs. There is one engine, autograd/value.py, in two builds:

- "compiled": value.py compiled by Cython into an extension module beside it, which
  `pip install` builds where a C compiler works (`make demo` and `make test` do; see setup.py);
- "python": value.py run as the plain Python it is.

Both give the same numbers, errors and messages, bit for bit; the compiled one is several times
faster. `import autograd` loads the compiled one when it was built from this very value.py (the
build stamps a fingerprint of the source into it), and otherwise the pure-Python one:

    autograd.ENGINE             "compiled" or "python"
    autograd.ENGINE_REASON      why it is "python" ("" when compiled)

Set CHAINRULE_PURE_PYTHON=1 to run the pure-Python engine even where the compiled one is built:
to step into the engine with pdb, to read it with inspect.getsource, or in a lesson that adds
methods to Value by hand (both builds allow that). A compiled module built from another version
of value.py (an edit since the last install, a `git pull`) is never used: the pure-Python engine
runs, with one warning that says how to rebuild.
"""

import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from types import ModuleType

SWITCH = "CHAINRULE_PURE_PYTHON"  # set (to anything but "" or "0"): the pure-Python engine
STAMP = b"chainrule-engine-source-sha256:"  # what setup.py writes into the compiled module
REBUILD = "rebuild it with `make engine` (or `pip install -e .` in your virtualenv)"
BUILT_BY = "`pip install` builds it where a C compiler works; see autograd/engine.py"

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "value.py"
PACKAGE = __name__.rpartition(".")[0]  # "autograd"
NAME = f"{PACKAGE}.value"


class StaleEngineWarning(RuntimeWarning):
    """The compiled engine was built from another version of value.py, so it is not used."""


def compiled_modules() -> list[Path]:
    """The compiled builds of value.py beside it (normally one, or none)."""
    found = (HERE / f"value{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    return [path for path in found if path.is_file()]


def stamp_of(path: Path) -> str | None:
    """The fingerprint of the value.py a compiled module was built from (None if it has none)."""
    data = path.read_bytes()
    at = data.find(STAMP)
    if at < 0:
        return None
    return data[at + len(STAMP) : at + len(STAMP) + 64].decode("ascii", "replace")


def fingerprint() -> str:
    """The fingerprint of value.py as it is now (its SHA-256)."""
    return hashlib.sha256(SOURCE.read_bytes()).hexdigest()


def choose() -> tuple[Path, str, str]:
    """(the file to load autograd.value from, "compiled" or "python", why "python")."""
    if os.environ.get(SWITCH, "") not in ("", "0"):
        return SOURCE, "python", f"{SWITCH} is set"
    found = compiled_modules()
    if not found:
        return SOURCE, "python", f"no compiled engine beside value.py ({BUILT_BY})"
    if not SOURCE.is_file():  # an installation without sources: nothing to compare with
        return found[0], "compiled", ""
    source = fingerprint()
    for path in found:
        if stamp_of(path) == source:
            return path, "compiled", ""
    reason = f"{found[0].name} was built from another version of value.py"
    warnings.warn(
        f"chainrule: {reason}, so the pure-Python engine runs (the same numbers, slower); "
        f"{REBUILD}",
        StaleEngineWarning,
        stacklevel=4,
    )
    return SOURCE, "python", f"{reason}: {REBUILD}"


def load(path: Path, engine: str) -> ModuleType:
    """Import autograd.value from `path`, whichever file the import system would have picked."""
    loader: importlib.machinery.ExtensionFileLoader | importlib.machinery.SourceFileLoader
    if engine == "compiled":
        loader = importlib.machinery.ExtensionFileLoader(NAME, str(path))
    else:
        loader = importlib.machinery.SourceFileLoader(NAME, str(path))
    spec = importlib.util.spec_from_file_location(NAME, path, loader=loader)
    assert spec is not None  # (a file location and a loader always make a spec)
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[NAME]
        raise
    setattr(sys.modules[PACKAGE], "value", module)  # noqa: B010 (as `import autograd.value` does)
    return module


def start() -> tuple[str, str]:
    """Load the engine, once (the first `import autograd` does it): (ENGINE, ENGINE_REASON)."""
    if NAME in sys.modules:  # already loaded
        return ("compiled" if sys.modules[NAME].COMPILED else "python"), ""
    path, engine, reason = choose()
    if engine == "compiled":
        try:
            load(path, engine)
            return engine, reason
        except ImportError as error:  # built for another Python, say, or damaged
            reason = f"{path.name} cannot be loaded ({error}): {REBUILD}"
            if not SOURCE.is_file():  # an installation without value.py: nothing to fall back on
                raise ImportError(f"chainrule: {reason}; reinstall chainrule") from error
            warnings.warn(f"chainrule: {reason}; the pure-Python engine runs", stacklevel=3)
    load(SOURCE, "python")
    return "python", reason


def describe() -> str:
    """One line: which engine runs, and why the pure-Python one if it does."""
    if ENGINE == "compiled":
        return f"compiled ({Path(str(sys.modules[NAME].__file__)).name})"
    return f"pure Python: {ENGINE_REASON}"


ENGINE, ENGINE_REASON = start()

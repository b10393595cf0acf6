"""The build of chainrule's compiled engine (the rest of the project is in pyproject.toml).

`pip install .` (and so `make demo` and `make test`) compiles autograd/value.py with Cython, in
its pure-Python mode, into an extension module beside it: the same source, run as C. Where that
cannot be done (no working C compiler, no Python headers, Cython missing, or
CHAINRULE_PURE_PYTHON=1 set for the build), the install still succeeds, with the pure-Python
engine, and says so once. `import autograd` then picks the engine (autograd/engine.py): the
compiled one if it was built from this very value.py, which the build stamps into it.
"""

import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path("autograd") / "value.py"
SWITCH = "CHAINRULE_PURE_PYTHON"  # as in autograd/engine.py
STAMP = "chainrule-engine-source-sha256:"  # as in autograd/engine.py: what it looks for

# How Cython reads value.py: Python 3 semantics; the type hints are for type checkers only
# (annotation_typing=False: a `data: float` must not turn an argument into a C double); the
# C types come from value.py's @cython.locals and cython.declare. Division, indexing and
# overflow keep Python's checks (Cython's defaults).
DIRECTIVES = {"language_level": 3, "annotation_typing": False, "nonecheck": True}
# CYTHON_USE_TYPE_SPECS: Value is a heap type, as Python classes are, so it can be
# monkeypatched and given new methods; -ffp-contract=off: no fused multiply-add, so every
# float operation rounds as Python's does; -g0: no debug information (a 5x smaller file).
MACROS = [("CYTHON_USE_TYPE_SPECS", "1")]
UNIX_FLAGS = ["-ffp-contract=off", "-g0"]


def say(message):
    """One line on stderr: pip shows it with -v, and make prints the engine after installing."""
    print(f"chainrule: {message}", file=sys.stderr, flush=True)


class BuildEngine(build_ext):
    """build_ext that compiles the engine when it can, and otherwise installs without it."""

    def run(self):
        try:
            reason = self.cannot_build()  # (which translates value.py to C: that can fail too)
            if reason is None:
                super().run()
                return
        except Exception as error:  # Cython, compiler, linker or headers: any failure of the build
            reason = f"building it failed ({one_line(error)})"
        say(f"installing the pure-Python engine: {reason}. It computes the same numbers, slower.")
        for extension in self.extensions:  # and no compiled module from an earlier build
            Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            if self.inplace or getattr(self, "editable_mode", False):
                Path(self.get_ext_filename(extension.name)).unlink(missing_ok=True)
        self.extensions = []

    def cannot_build(self):
        """Why the compiled engine cannot be built here, or None."""
        if os.environ.get(SWITCH, "") not in ("", "0"):
            return f"{SWITCH} is set"
        try:
            from Cython.Build import cythonize
        except ImportError:
            return "Cython is not installed (it is a build requirement in pyproject.toml)"
        source = SOURCE.read_bytes()
        stamp = Path(self.build_temp) / "chainrule_engine_stamp.c"
        stamp.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(source).hexdigest()
        stamp.write_text(  # the fingerprint of the source, for autograd/engine.py to read
            f'const char chainrule_engine_stamp[] = "{STAMP}{digest}";\n'
        )
        for extension in self.extensions:  # value.py -> value.c (Cython), then + the stamp
            (translated,) = cythonize(
                [extension], compiler_directives=DIRECTIVES, build_dir=self.build_temp, quiet=True
            )
            extension.sources = [*translated.sources, str(stamp)]
        return None

    def build_extension(self, ext):
        if self.compiler.compiler_type == "unix":
            ext.extra_compile_args = [*ext.extra_compile_args, *UNIX_FLAGS]
        super().build_extension(ext)


def one_line(error):
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


setup(
    ext_modules=[Extension("autograd.value", [str(SOURCE)], define_macros=MACROS)],
    cmdclass={"build_ext": BuildEngine},
)

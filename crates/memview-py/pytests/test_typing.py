"""The package's type stubs agree with the runtime (`mypy.stubtest`), a typed program checks
under `mypy --strict`, and every public name has a docstring and, where it is callable, a
signature `inspect` can read (what `help()` shows)."""

import inspect
import os
import subprocess
import sys

import pytest

import memview
import memview.struct

HERE = os.path.dirname(os.path.abspath(__file__))


def run_mypy(*args):
    pytest.importorskip("mypy")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env,
                          cwd=HERE)


def test_stubs_match_the_runtime():
    r = run_mypy("mypy.stubtest", "memview")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_typed_program_checks_strictly():
    r = run_mypy("mypy", "--strict", "--no-incremental", os.path.join("typing", "usage.py"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_package_ships_its_stubs():
    folder = os.path.dirname(memview.__file__)
    for name in ("__init__.pyi", "struct.pyi", "py.typed"):
        assert os.path.exists(os.path.join(folder, name)), name


def public_names():
    yield "memview.memoryview", memview.memoryview
    for n in sorted(vars(memview.memoryview)):
        if not n.startswith("_") or n in ("_from_flags", "__enter__", "__exit__"):
            yield f"memview.memoryview.{n}", getattr(memview.memoryview, n)
    for n in memview.struct.__all__:
        if n != "error":  # CPython's own class
            yield f"memview.struct.{n}", getattr(memview.struct, n)
    for n in sorted(vars(memview.struct.Struct)):
        if not n.startswith("_"):
            yield f"memview.struct.Struct.{n}", getattr(memview.struct.Struct, n)


@pytest.mark.parametrize("name,obj", list(public_names()), ids=lambda x: x if isinstance(x, str) else "")
def test_help_shows_python(name, obj):
    doc = obj.__doc__ or ""
    assert doc.strip(), f"{name} has no docstring"
    for rust in ("use pyo3", "Python::attach", "unwrap()", "```"):
        assert rust not in doc, f"{name}'s docstring shows Rust"
    if callable(obj) and not isinstance(obj, property):
        inspect.signature(obj)  # raises where help() would show no parameters

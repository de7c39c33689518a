"""Runs CPython's own test_memoryview, test_struct and test_buffer, unmodified, taken from
the running interpreter's ``test`` package, with ``memoryview`` and ``struct`` bound to
memview's.

The names are rebound before the test modules are imported: ``builtins.memoryview`` is
``memview.memoryview`` and ``sys.modules['struct']`` is ``memview.struct`` (so the test
modules' ``import struct``, and ``_testbuffer``'s own use of ``struct``, get memview's).
The builtin stays reachable as ``memview_tests.builtin_memoryview`` for nothing but this
runner's report.

Prints, per file, tests run / passed / failed / errors / skipped / expected failures, and
ends with ``N passed, N failed``. Expected failures are listed, each with its reason, in
``expected-failures.txt`` beside this file; the exit status is non-zero when a test not
listed there fails, or when a listed one passes (the list must stay exact). Skips likewise:
a skip not listed in ``expected-skips.txt`` fails the run, and so does a listed test that
ran.

Usage: python run_cpython_tests.py [-v] [--report-only] [test_memoryview test_struct test_buffer]

``--report-only`` prints the totals and exits 0 (for interpreters newer than the 3.11
semantics memview follows).
"""

import builtins
import importlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["test_memoryview", "test_struct", "test_buffer"]


def load_expected(name="expected-failures.txt"):
    """{test id suffix: reason} from a list beside this file (`id  # reason` lines)."""
    out = {}
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            test, _, reason = line.partition("#")
            out[test.strip()] = reason.strip()
    return out


def bind():
    # NumPy hidden, as CPython's own CI runs these files: test_buffer compares against
    # NumPy 1.x (`ndarray.tostring`, removed in NumPy 2) where NumPy is importable.
    sys.modules["numpy"] = None
    import memview
    import memview.struct

    builtins.memoryview = memview.memoryview
    sys.modules["struct"] = memview.struct
    for name in FILES + ["_testbuffer", "test." + FILES[0], "test." + FILES[1], "test." + FILES[2]]:
        sys.modules.pop(name, None)


class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test)


def main(argv):
    verbose = "-v" in argv
    report_only = "--report-only" in argv
    names = [a for a in argv if not a.startswith("-")] or FILES
    expected = load_expected()
    skips_allowed = load_expected("expected-skips.txt")
    bind()
    total_pass = total_fail = 0
    unexpected = []
    stray_passes = []
    skipped_ids = set()
    for name in names:
        module = importlib.import_module("test." + name)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
        stream = io.StringIO()
        runner = unittest.TextTestRunner(stream=stream, verbosity=2 if verbose else 1, resultclass=Result)
        result = runner.run(suite)
        failed = [(t, tb) for t, tb in result.failures + result.errors]
        xfail = [(t, tb) for t, tb in failed if t.id().split(".", 1)[-1] in expected
                 or t.id().rsplit(".", 2)[-2] + "." + t.id().rsplit(".", 1)[-1] in expected]
        real = [(t, tb) for t, tb in failed if (t, tb) not in xfail]
        for t in result.passed:
            short = t.id().rsplit(".", 2)[-2] + "." + t.id().rsplit(".", 1)[-1]
            if short in expected:
                stray_passes.append(short)
        passed = len(result.passed)
        for t, why in result.skipped:
            short = t.id().rsplit(".", 2)[-2] + "." + t.id().rsplit(".", 1)[-1]
            skipped_ids.add(short)
            if short not in skips_allowed:
                unexpected.append(t.id())
                print(f"  SKIP not in expected-skips.txt: {t.id()} ({why})")
        print(f"{name}: {result.testsRun} run, {passed} passed, {len(real)} failed, "
              f"{len(result.skipped)} skipped, {len(xfail)} expected failures")
        for t, tb in real:
            unexpected.append(t.id())
            print(f"  FAIL {t.id()}")
            if verbose:
                print("    " + tb.strip().replace("\n", "\n    "))
        total_pass += passed
        total_fail += len(real)
    for s in stray_passes:
        print(f"  listed as an expected failure but passed: {s}")
    ran_all = set(names) == set(FILES)
    stray_skips = sorted(set(skips_allowed) - skipped_ids) if ran_all else []
    for s in stray_skips:
        print(f"  listed in expected-skips.txt but ran: {s}")
    print(f"{total_pass} passed, {total_fail} failed")
    if report_only:
        return 0
    return 1 if unexpected or stray_passes or stray_skips else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

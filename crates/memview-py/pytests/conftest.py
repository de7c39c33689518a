"""The bridge's pytest suite: run by `cargo xtask py test` with `PYTHONPATH=target/python`."""

import builtins
import os

import pytest

import memview

builtin_memoryview = builtins.memoryview


@pytest.fixture
def np():
    return pytest.importorskip("numpy")


# In CI (`CI` set, as `.ci/run` runs) a skipped test is a failure: CI installs everything the
# suite needs (NumPy, Hypothesis, CPython's `_testbuffer`), so a skip there means a missing
# dependency that would otherwise pass silently. A local run may still skip, and says so.
_skipped = []


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append(report.nodeid or "a module")


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        print(f"\nCI: {len(_skipped)} tests were skipped, which CI does not allow:")
        for nodeid in _skipped[:20]:
            print(f"  {nodeid}")
        session.exitstatus = 1

"""The bridge's pytest suite: run by `cargo xtask py test` with `PYTHONPATH=target/python`."""

import builtins

import pytest

import memview

builtin_memoryview = builtins.memoryview


@pytest.fixture
def np():
    return pytest.importorskip("numpy")

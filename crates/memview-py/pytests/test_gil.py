"""Bulk operations on large views run without the GIL (tobytes, hex, ==): their results are
the builtin's at every size around the threshold (64 KiB), over strided, transposed and
non-byte layouts; views stay consistent when several threads copy, compare and release
views of one exporter at once."""

import array
import builtins
import threading

import pytest

import memview

THRESHOLD = 1 << 16


def pairs(n):
    """(memview view, builtin view) pairs of the same memory and layout, about n bytes."""
    data = bytearray(i * 7 % 251 for i in range(n))
    yield memview.memoryview(data), builtins.memoryview(data)
    yield memview.memoryview(data)[::3], builtins.memoryview(data)[::3]
    yield memview.memoryview(data)[::-1], builtins.memoryview(data)[::-1]
    k = n // 8 * 8
    yield memview.memoryview(data)[:k].cast("d"), builtins.memoryview(data)[:k].cast("d")
    rows = n // 64
    yield memview.memoryview(data)[: rows * 64].cast("B", (rows, 64)), builtins.memoryview(data)[: rows * 64].cast(
        "B", (rows, 64)
    )


@pytest.mark.parametrize("n", [THRESHOLD - 1, THRESHOLD, THRESHOLD + 1, 3 * THRESHOLD + 5, 1 << 21])
def test_results_are_the_builtins_at_every_size(n):
    for m, b in pairs(n):
        for order in ["C", "F", "A"]:
            assert m.tobytes(order) == b.tobytes(order)
        assert m.hex() == b.hex()
        assert m.hex(":", 3) == b.hex(":", 3) and m.hex("-", -5) == b.hex("-", -5)
        assert m == b and m == memview.memoryview(b) and not (m != b)
        flat = bytes(b.tobytes())
        assert (m == flat) == (b == flat) and (m == b.obj) == (b == b.obj)


def test_equality_of_large_views_keeps_the_builtins_rules():
    nan = array.array("d", [float("nan")] * (1 << 15))
    m = memview.memoryview(nan)
    b = builtins.memoryview(nan)
    assert (m == m) == (b == b)  # a live view compares its items, even with itself (NaN)
    assert (m == memview.memoryview(nan)) == (builtins.memoryview(nan) == builtins.memoryview(nan))
    ints = array.array("i", range(1 << 15))
    longs = array.array("q", range(1 << 15))
    assert memview.memoryview(ints) == memview.memoryview(longs)  # values compare, not bytes
    assert memview.memoryview(ints) == longs
    other = array.array("i", range(1 << 15))
    other[-1] = -1
    assert memview.memoryview(ints) != memview.memoryview(other)
    assert memview.memoryview(ints) != other


def test_threads_copy_compare_and_release_views_of_one_exporter():
    data = bytearray(range(256)) * (1 << 14)  # 4 MiB
    expected = bytes(data)
    errors = []

    def work(k):
        try:
            for _ in range(20):
                m = memview.memoryview(data)
                v = m[k::2]
                assert v.tobytes() == expected[k::2]
                assert m == expected and v == memview.memoryview(expected)[k::2]
                assert len(m.hex()) == 2 * len(expected)
                v.release()
                m.release()
        except Exception as e:  # reported below, with the thread's index
            errors.append((k, e))

    threads = [threading.Thread(target=work, args=(k % 2,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data.extend(b"x")  # every export ended: the bytearray resizes again


def test_a_view_being_copied_is_exported():
    """While a GIL-free copy runs, the view holds a buffer of itself: a thread that releases
    the view meanwhile gets the builtin's BufferError (or finds the copy done)."""
    data = bytearray(1 << 26)  # 64 MiB: the copy takes a while
    m = memview.memoryview(data)
    outcome = []

    def release_soon():
        try:
            m.release()
            outcome.append("released")
        except BufferError as e:
            outcome.append(str(e))

    t = threading.Thread(target=release_soon)
    t.start()
    copied = m.tobytes() if outcome == [] else None
    t.join()
    assert outcome[0] in ("released", "memoryview has 1 exported buffer")
    if copied is not None:
        assert len(copied) == len(data)

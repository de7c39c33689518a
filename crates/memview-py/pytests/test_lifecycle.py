"""Views made and freed by memview's own allocation and deallocation (`lifecycle.rs`): every
kind of view, made every way and freed every way, gives back what it holds at once, as the
builtin's does: the exporter's references, its export (a `bytearray` resizes right after the
last view goes), weak references (cleared, callbacks run), the collector's tracking, and no
memory kept. Each check runs on the builtin too, and the two must agree."""

import array
import builtins
import gc
import sys
import weakref

import pytest

import memview

IMPLS = [builtins.memoryview, memview.memoryview]


def makers(M):
    """Ways to make views of `data` that hold its export, each with a name."""
    return {
        "direct": lambda data: M(data),
        "slice": lambda data: M(data)[1:7:2],
        "slice of slice": lambda data: M(data)[::2][1:],
        "view of view": lambda data: M(M(data)),
        "cast": lambda data: M(data).cast("B", [2, len(data) // 2]),
        "released": lambda data: _released(M(data)),
        "with": lambda data: _with(M(data)),
        "sibling of released": lambda data: _sibling_then_release(M, data),
    }


def _released(m):
    m.release()
    return m


def _with(m):
    with m as v:
        v[0]
    return m


def _sibling_then_release(M, data):
    m = M(data)
    s = m[2:]
    m.release()
    return s


def names():
    return sorted(makers(builtins.memoryview))


def resizable_after(M, make):
    """Whether a bytearray resizes right after the view made of it is deleted, and whether
    its reference count is back where it was."""
    data = bytearray(range(8))
    before = sys.getrefcount(data)
    v = make(data)
    del v
    after = sys.getrefcount(data)
    try:
        data.append(1)
        resized = True
    except BufferError:
        resized = False
    return resized, after - before


@pytest.mark.parametrize("name", names())
def test_the_export_goes_with_the_last_view(name):
    got = [resizable_after(M, makers(M)[name]) for M in IMPLS]
    assert got[0] == got[1] == (True, 0)


@pytest.mark.parametrize("name", names())
def test_many_views_keep_no_reference(name):
    for M in IMPLS:
        data = bytearray(range(64))
        make = makers(M)[name]
        before = sys.getrefcount(data)
        for _ in range(1000):
            make(data)
        assert sys.getrefcount(data) == before
        data.append(1)  # every export is gone


@pytest.mark.parametrize("name", names())
def test_weak_references_are_cleared_and_called_back(name):
    for M in IMPLS:
        calls = []
        v = makers(M)[name](bytearray(8))
        r = weakref.ref(v, calls.append)
        assert r() is v
        del v
        assert r() is None
        assert calls == [r]


@pytest.mark.parametrize("name", names())
def test_tracked_by_the_collector_as_the_builtins_are(name):
    tracked = [gc.is_tracked(makers(M)[name](bytearray(8))) for M in IMPLS]
    assert tracked[0] == tracked[1]


def test_a_weakref_callback_that_makes_views_while_one_is_freed():
    for M in IMPLS:
        data = bytearray(range(16))
        made = []

        def again(_ref):
            made.append(M(data)[::3].tolist())

        v = M(data)[1:]
        r = weakref.ref(v, again)
        del v
        assert made == [[0, 3, 6, 9, 12, 15]]
        made.clear()
        data.append(1)
        del r


def test_the_exporter_outlives_every_view_and_goes_with_the_last():
    for M in IMPLS:
        gone = []

        class Arr(array.array):
            pass

        a = Arr("i", range(10))
        weakref.finalize(a, gone.append, True)
        views = [M(a)[i:] for i in range(5)]
        del a
        assert not gone
        views.pop()
        assert not gone
        views.clear()
        gc.collect()
        assert gone == [True]


def test_views_of_every_exporter_kind_free_cleanly():
    for M in IMPLS:
        for data in (b"abcdefgh", bytearray(b"abcdefgh"), array.array("d", [1.0, 2.0]), memoryview(b"xy")):
            before = sys.getrefcount(data)
            for _ in range(200):
                M(data)[::-1]
                M(data)
            assert sys.getrefcount(data) == before


def test_no_memory_kept_per_view():
    for M in IMPLS:
        data = bytearray(range(64))
        m = M(data)
        for _ in range(2000):
            m[1:9:2]
        gc.collect()
        blocks = sys.getallocatedblocks()
        for _ in range(20000):
            m[1:9:2]
            M(data)
        gc.collect()
        assert sys.getallocatedblocks() - blocks < 50


@pytest.mark.parametrize("name", names())
def test_a_weakref_callback_finds_the_export_released(name):
    # The builtin releases the buffer before it clears weak references: a callback may
    # resize the exporter (unless another view still holds it).
    got = []
    for M in IMPLS:
        data = bytearray(range(16))
        seen = []

        def resize(_ref):
            try:
                data.append(1)
                seen.append("resized")
            except BufferError as e:
                seen.append(str(e))

        v = makers(M)[name](data)
        r = weakref.ref(v, resize)
        del v
        got.append((seen, len(data)))
        del r
    assert got[0] == got[1]

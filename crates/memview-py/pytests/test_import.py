"""Python buffers imported as memview views: every layout and format, checked by value
against the builtin memoryview and by writing through one side."""

import array
import ctypes
import sys

import pytest

import memview
from memview import memoryview as mv
from conftest import builtin_memoryview as bmv

_testbuffer = pytest.importorskip("_testbuffer")
from _testbuffer import ND_FORTRAN, ND_PIL, ND_WRITABLE, ndarray  # noqa: E402


def same(a, b):
    """Every attribute and the contents of a memview view and a builtin view agree."""
    for attr in ("format", "itemsize", "ndim", "shape", "strides", "suboffsets", "readonly",
                 "nbytes", "c_contiguous", "f_contiguous", "contiguous"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert a.tobytes() == b.tobytes()
    for order in "CFA":
        assert a.tobytes(order) == b.tobytes(order)
    assert a.hex() == b.hex()
    assert a == b and b == a


@pytest.mark.parametrize("make", [
    lambda: b"hello",
    lambda: bytearray(b"hello"),
    lambda: array.array("i", [1, -2, 3]),
    lambda: array.array("d", [1.5, float("inf")]),
    lambda: array.array("Q", [2**64 - 1]),
    lambda: bmv(b"abcdef")[::-2],
    lambda: ctypes.c_double(0.25),
])
def test_simple_exporters(make):
    obj = make()
    a, b = mv(obj), bmv(obj)
    same(a, b)
    if a.ndim == 1 and len(a.format.lstrip("@<>=!")) == 1 and a.format != "<d":
        assert a.tolist() == b.tolist()


LAYOUTS = [
    dict(items=list(range(24)), shape=[2, 3, 4], flags=0),
    dict(items=list(range(24)), shape=[2, 3, 4], flags=ND_FORTRAN),
    dict(items=list(range(24)), shape=[4, 6], flags=ND_PIL),
    dict(items=list(range(12)), shape=[12], flags=0),
    dict(items=7, shape=[], flags=0),
    dict(items=list(range(6)), shape=[6], flags=0, key=slice(6, None)),       # empty
    dict(items=list(range(12)), shape=[3, 4], flags=0, key=slice(2, 1)),      # empty rows
]


@pytest.mark.parametrize("spec", LAYOUTS)
@pytest.mark.parametrize("fmt", ["B", "b", "h", "i", "L", "q", "f", "d", "?"])
def test_ndarray_layouts(spec, fmt):
    items = spec["items"]
    if fmt == "?":
        items = [bool(x % 2) for x in items] if isinstance(items, list) else True
    if fmt in "fd":
        items = [x + 0.5 for x in items] if isinstance(items, list) else 7.5
    ex = ndarray(items, shape=spec["shape"], format=fmt, flags=spec["flags"])
    if "key" in spec:
        ex = ex[spec["key"]]
    a, b = mv(ex), bmv(ex)
    same(a, b)
    assert a.tolist() == b.tolist()


def test_negative_strides_and_offsets():
    ex = ndarray(list(range(24)), shape=[4, 6], format="h")
    for key in [slice(None, None, -1), slice(1, None, 2), slice(-1, 0, -3)]:
        sub = ex[key]
        same(mv(sub), bmv(sub))
    a = mv(ex)
    assert a[::-1].tolist() == bmv(ex)[::-1].tolist()


def test_non_native_and_records_come_through():
    ex = ndarray([(1, 2.5), (3, 4.5)], shape=[2], format="<id")
    a = mv(ex)
    assert (a.format, a.itemsize, a.shape) == ("<id", 12, (2,))
    with pytest.raises(NotImplementedError):
        a.tolist()               # as the builtin: not a native single character
    assert a.to_list() == [(1, 2.5), (3, 4.5)]   # memview's extension


def test_writes_reach_the_exporter():
    data = bytearray(b"abcdef")
    m = mv(data)
    m[0] = ord("z")
    m[1:3] = b"XY"
    assert data == bytearray(b"zXYdef")
    data[5] = ord("!")
    assert m[5] == ord("!")


def test_readonly_refused():
    m = mv(b"abc")
    with pytest.raises(TypeError, match="cannot modify read-only memory"):
        m[0] = 1
    ex = ndarray(list(range(4)), shape=[4])
    with pytest.raises(TypeError):
        mv(ex)[0] = 1


def test_resize_while_exported():
    data = bytearray(b"abc")
    m = mv(data)
    with pytest.raises(BufferError):
        data.append(1)
    sub = m[1:]
    m.release()
    with pytest.raises(BufferError):  # the slice still holds the buffer
        data.append(1)
    sub.release()
    data.append(1)
    assert data == bytearray(b"abc\x01")


def test_the_import_goes_with_its_last_view():
    # A view holds its import alone until a second view of it is made; then they share it.
    # Either way the exporter's buffer is released exactly when the last of them goes, as
    # with the builtin (whose views share CPython's managed buffer).
    for derive in (lambda m: m[1:], lambda m: m.cast("b"), lambda m: mv(m), lambda m: m[::2][1:],
                   lambda m: m.toreadonly(), lambda m: m.nd[1:]):
        data = bytearray(b"abcd")
        m = mv(data)
        with pytest.raises(BufferError):
            data.append(1)
        m.release()
        data.append(1)          # the only view went: the buffer is free
        m = mv(data)
        sub = derive(m)
        assert sub.obj is data and m.obj is data
        m.release()
        with pytest.raises(BufferError):
            data.append(1)      # the derived view still holds it
        again = sub[:]
        sub.release()
        with pytest.raises(BufferError):
            data.append(1)
        assert again.tobytes() == bytes(again)
        del again
        data.append(2)
        assert data == bytearray(b"abcd\x01\x02")


def test_a_view_alone_frees_its_buffer_when_collected():
    import gc
    import weakref

    class Source(bytearray):
        pass

    class Payload:
        pass

    b = Source(b"abc")
    b.view = mv(b)              # exporter -> view -> its own import -> exporter
    b.payload = Payload()
    wr = weakref.ref(b.payload)
    del b
    gc.collect()
    assert wr() is None


def test_release_and_exports():
    m = mv(bytearray(b"abc"))
    inner = bmv(m)              # a buffer exported from m
    with pytest.raises(BufferError, match="1 exported buffer"):
        m.release()
    inner.release()
    m.release()
    with pytest.raises(ValueError, match="released"):
        m.tobytes()
    m.release()                 # twice is fine
    assert "released memory" in repr(m)


def test_exporter_kept_alive_and_released_once():
    ex = ndarray(list(range(6)), shape=[6], flags=ND_WRITABLE)
    m = mv(ex)
    del ex
    assert m.tolist() == list(range(6))
    obj = m.obj
    assert isinstance(obj, ndarray)
    refs = sys.getrefcount(obj)
    w = m[1:]
    del w
    m.release()
    assert sys.getrefcount(obj) == refs - 1   # the view's reference went with the release


def test_not_a_buffer():
    with pytest.raises(TypeError, match="a bytes-like object is required, not 'str'"):
        mv("abc")
    with pytest.raises(TypeError):
        mv(1)


def test_getbuf_failures_pass_through():
    from _testbuffer import ND_GETBUF_FAIL
    ex = ndarray([1, 2, 3], shape=[3], flags=ND_GETBUF_FAIL)
    with pytest.raises(BufferError):
        mv(ex)


def test_more_than_64_dimensions():
    ex = ndarray([1] * 65, shape=[1] * 65, format="B")
    with pytest.raises(ValueError, match="must not exceed 64"):
        mv(ex)


def test_half_float_items_as_the_running_cpython():
    """Half floats became memoryview items in CPython 3.12; memview follows the interpreter."""
    ex = ndarray([1.5, -2.0], shape=[2], format="e", flags=ND_WRITABLE)
    a, b = mv(ex), bmv(ex)
    assert a.to_list() == [1.5, -2.0]            # memview's extension, everywhere
    if sys.version_info < (3, 12):
        for m in (a, b):
            with pytest.raises(NotImplementedError):
                m.tolist()
            with pytest.raises(NotImplementedError):
                m[0]
        return
    assert a.tolist() == b.tolist() == [1.5, -2.0]
    a[0] = 0.25
    assert b[0] == 0.25
    for big in (1e10, float("1e300")):
        with pytest.raises(ValueError, match="invalid value for format 'e'"):
            a[1] = big
        with pytest.raises(ValueError):
            b[1] = big


def test_cycles_through_a_view_are_collected():
    import gc
    import weakref

    class Source(bytearray):
        pass

    class Payload:
        pass

    b = Source(b"abc")
    m = mv(b)
    s = m[1:]
    b.views = (m, s)            # exporter -> views -> (managed buffer) -> exporter
    b.payload = Payload()
    wr = weakref.ref(b.payload)
    del b, m, s
    gc.collect()
    assert wr() is None


def test_calling_the_type_every_way():
    """`memview.memoryview(...)` is called through the type's vectorcall: one positional
    argument is the fast path; every other call goes to the parsed path. Each answers as the
    builtin does (value, or exception class), and a refused call holds no buffer."""
    data = bytearray(b"abc")
    calls = [
        lambda M: M(data).tobytes(),
        lambda M: M(object=data).tobytes(),
        lambda M: M(),
        lambda M: M(data, data),
        lambda M: M(data, x=1),
        lambda M: M(obj=data),
        lambda M: M(object=data, x=1),
        lambda M: M(*[data]).tobytes(),
        lambda M: M(**{"object": data}).tobytes(),
        lambda M: M(1),
        lambda M: M(None),
        lambda M: M("abc"),
        lambda M: M.__new__(M, data).tobytes(),
        lambda M: type(M(data))(data).tobytes(),
    ]
    for call in calls:
        def outcome(M):
            try:
                return ("ok", call(M))
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                return ("err", type(e))
        assert outcome(mv) == outcome(bmv)
        data.append(0)  # no view is left holding the buffer
        del data[-1]

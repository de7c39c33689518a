"""Rust memory exported to Python: every consumer, every request flag, export counting."""

import array
import io
import struct as std_struct

import pytest

import memview
from memview import _testing as rt
from conftest import builtin_memoryview as bmv

_testbuffer = pytest.importorskip("_testbuffer")
from _testbuffer import (  # noqa: E402
    PyBUF_ANY_CONTIGUOUS, PyBUF_C_CONTIGUOUS, PyBUF_F_CONTIGUOUS, PyBUF_FORMAT,
    PyBUF_FULL, PyBUF_FULL_RO, PyBUF_INDIRECT, PyBUF_ND, PyBUF_SIMPLE, PyBUF_STRIDES,
    PyBUF_WRITABLE, ndarray,
)


def f64(values):
    return b"".join(std_struct.pack("d", v) for v in values)


def test_vec_consumers():
    v = rt.rust_vec_f64([1.0, 2.5, -3.0])
    assert v.readonly and v.format == "d" and v.shape == (3,)
    assert bytes(v) == f64([1.0, 2.5, -3.0])
    assert bmv(v).tolist() == [1.0, 2.5, -3.0]
    assert std_struct.unpack_from("<dd", v, 8) == (2.5, -3.0)
    a = array.array("d")
    a.frombytes(bmv(v).cast("B"))   # frombytes wants itemsize 1, as for any "d" buffer
    assert a.tolist() == [1.0, 2.5, -3.0]
    out = io.BytesIO()
    out.write(v)
    assert out.getvalue() == bytes(v)


def nd(shape, strides, offset=0, fmt="B", itemsize=1, readonly=False, pil=False, memory=None):
    memory = bytes(range(64)) if memory is None else memory
    return rt.rust_ndarray(memory, fmt, itemsize, shape, strides, offset, readonly, pil)


@pytest.mark.parametrize("view", [
    lambda: nd([2, 3], [3, 1]),                  # C
    lambda: nd([2, 3], [1, 2]),                  # Fortran
    lambda: nd([4], [-2], offset=7),             # negative stride
    lambda: nd([2, 2], [-8, 3], offset=9),       # strided, negative outer
    lambda: nd([3, 4], [4, 1], readonly=True),   # read-only
    lambda: nd([2, 3], [3, 1], pil=True),        # PIL (suboffsets)
    lambda: nd([2, 2], [8, 4], fmt="<i", itemsize=4),   # non-native byte order
    lambda: nd([], [], fmt="h", itemsize=2),     # scalar
])
def test_every_request_answered_as_cpython_memoryview(view):
    """For each request flag, the Rust export and a builtin memoryview of it agree: both
    serve the same descriptor or both refuse with BufferError."""
    ours = view()
    theirs = bmv(ours)         # CPython's memoryview re-exports what ours gave it
    requests = [PyBUF_SIMPLE, PyBUF_ND, PyBUF_STRIDES, PyBUF_INDIRECT, PyBUF_C_CONTIGUOUS,
                PyBUF_F_CONTIGUOUS, PyBUF_ANY_CONTIGUOUS, PyBUF_FULL, PyBUF_FULL_RO]
    for req in requests:
        for bits in (0, PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_WRITABLE | PyBUF_FORMAT):
            flags = req | bits
            outcomes = []
            for exporter in (ours, theirs):
                try:
                    x = ndarray(exporter, getbuf=flags)
                    outcomes.append((x.ndim, x.shape, x.strides, x.suboffsets, x.format,
                                     x.itemsize, x.readonly, x.tobytes()))
                    del x        # ends the export
                except BufferError:
                    outcomes.append("BufferError")
            assert outcomes[0] == outcomes[1], hex(flags)
    theirs.release()


def test_export_counted_release_refused():
    v = nd([8], [1])
    held = bmv(v)
    with pytest.raises(BufferError, match="1 exported buffer"):
        v.release()
    held.release()
    v.release()


def test_writable_export_is_zero_copy():
    v = nd([4, 4], [4, 1])
    b = bmv(v)
    b[0, 1] = 200 if False else 200   # builtin supports multi-index writes
    assert v[0, 1] == 200
    v[3, 3] = 7
    assert b[3, 3] == 7


def test_rust_bytearray_refuses_resize_while_exported():
    a = rt.RustByteArray(b"abcd")
    m = a.view()
    consumer = bmv(m)
    consumer[0] = ord("z")
    assert a.to_bytes() == b"zbcd"
    with pytest.raises(BufferError, match="re-sized"):
        a.resize(1, 0)
    consumer.release()
    with pytest.raises(BufferError):     # `m` itself still holds the array
        a.resize(1, 0)
    m.release()
    a.resize(2, 0)
    assert a.to_bytes() == b"zb"


def test_pyclass_lends_its_memory():
    img = rt.Image(4, 3)
    rows = img.rows
    del img                          # the view keeps the image alive
    assert rows.shape == (3, 4) and rows.format == "H" and rows.readonly
    assert rows[2, 3] == 11
    assert bmv(rows).tolist()[1] == [4, 5, 6, 7]
    with pytest.raises(TypeError):
        rows[0, 0] = 1


def test_pyfunction_imports_any_buffer():
    assert rt.byte_sum(b"\x01\x02\x03") == 6
    assert rt.byte_sum(bmv(bytes(range(10)))[::-3]) == 9 + 6 + 3 + 0
    assert rt.byte_sum(ndarray(list(range(6)), shape=[2, 3], format="B")) == 15
    with pytest.raises(TypeError):
        rt.byte_sum("not a buffer")

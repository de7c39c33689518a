"""Arrow both ways through the Arrow PyCapsule interface, against pyarrow: `pyarrow.array(m)`
takes a 1-D view of numbers without a copy (same address) and copies a strided one;
`memview.memoryview(pa_array)` views the array's values in place, read-only. The capsules
follow the interface: moved out once, released once (the export holds the view until the
array is released), and a producer's mistakes are BufferError or TypeError, never a crash."""

import array
import gc
import sys

import pytest

import memview

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

# (struct format, pyarrow type): every number type both sides know.
TYPES = [
    ("b", pa.int8()),
    ("B", pa.uint8()),
    ("h", pa.int16()),
    ("H", pa.uint16()),
    ("i", pa.int32()),
    ("I", pa.uint32()),
    ("q", pa.int64()),
    ("Q", pa.uint64()),
    ("e", pa.float16()),
    ("f", pa.float32()),
    ("d", pa.float64()),
]
HOST = "<" if sys.byteorder == "little" else ">"


def address(view):
    """The address of a view's first item (through NumPy, which reads the buffer's pointer)."""
    return np.asarray(view).__array_interface__["data"][0]


def values_address(arr):
    return arr.buffers()[1].address + arr.offset * arr.type.bit_width // 8


@pytest.mark.parametrize("fmt,typ", TYPES)
def test_pyarrow_takes_a_view_without_a_copy(fmt, typ):
    base = np.arange(7).astype(np.dtype(fmt))
    m = memview.memoryview(base)
    a = pa.array(m)
    assert a.type == typ and a.null_count == 0
    assert a.to_pylist() == base.tolist()
    assert values_address(a) == address(m)
    with pytest.raises(BufferError):
        m.release()  # the array holds a buffer of the view
    del a
    gc.collect()
    m.release()  # the array's release ended the export


@pytest.mark.parametrize("fmt,typ", TYPES)
def test_memoryview_of_an_arrow_array_is_zero_copy_and_read_only(fmt, typ):
    arr = pa.array(list(range(9)), type=pa.int64()).cast(typ).slice(2, 5)
    v = memview.memoryview(arr)
    assert (v.format, v.itemsize, v.shape, v.readonly) == (fmt, typ.bit_width // 8, (5,), True)
    assert v.obj is arr
    assert address(v) == values_address(arr)
    if fmt != "e" or sys.version_info >= (3, 12):  # 'e' items from 3.12 on, as the builtin
        assert v.tolist() == arr.to_pylist()
    with pytest.raises(TypeError):
        v[0] = 1
    # And back: the same memory again.
    back = pa.array(v)
    assert back.equals(arr) and values_address(back) == values_address(arr)


@pytest.mark.parametrize("key", [slice(None, None, 2), slice(None, None, -1), slice(5, 1, -3)])
def test_strided_views_are_copied(key):
    base = array.array("i", range(10))
    v = memview.memoryview(base)[key]
    a = pa.array(v)
    assert a.to_pylist() == base.tolist()[key]
    assert values_address(a) != address(memview.memoryview(base))
    v.release()  # a copy holds no buffer of the view


def test_explicit_host_order_and_other_spellings():
    from _testbuffer import ndarray

    for fmt in [HOST + "i", "=i", "@i", "i"]:
        v = memview.memoryview(ndarray([1, 2, 3], shape=[3], format=fmt))
        assert v.format == fmt and pa.array(v).to_pylist() == [1, 2, 3]
        assert pa.array(v).type == pa.int32()
    for fmt, typ in [(HOST + "l", pa.int32()), (HOST + "q", pa.int64()), ("=H", pa.uint16())]:
        assert pa.array(memview.memoryview(ndarray([1, 2], shape=[2], format=fmt))).type == typ
    assert pa.array(memview.memoryview(np.arange(3, dtype=np.intp))).type == pa.int64()
    assert pa.array(memview.memoryview(array.array("l", [1, 2]))).to_pylist() == [1, 2]


def test_booleans_become_a_bitmap():
    base = np.array([True, False, True, True, False, False, True, False, True], dtype="?")
    a = pa.array(memview.memoryview(base))
    assert a.type == pa.bool_() and a.to_pylist() == base.tolist()
    assert pa.array(memview.memoryview(base)[::-2]).to_pylist() == base[::-2].tolist()


def test_empty_and_refused_views():
    assert pa.array(memview.memoryview(array.array("d"))).to_pylist() == []
    assert memview.memoryview(pa.array([], type=pa.int32())).tolist() == []
    other = ">" if HOST == "<" else "<"
    refused = [
        memview.memoryview(np.zeros((2, 2), "i4")),  # 2-D
        memview.memoryview(np.zeros(2, other + "i4")),  # the other byte order
        memview.memoryview(b"ab").cast("c"),  # bytes items
        memview.memoryview(np.zeros(2, [("a", "i4")])),  # records
        memview.memoryview(np.zeros(2, "i4")).cast("B").cast("P"),  # pointers
        memview.memoryview(np.zeros((), "i4")),  # 0-D
    ]
    for v in refused:
        with pytest.raises(BufferError):
            pa.array(v)
        v.release()  # nothing was held


def test_arrays_memview_refuses():
    for arr in [
        pa.array([1, None, 3]),  # nulls
        pa.array([True, False]),  # bits
        pa.array(["a", "b"]),  # strings
        pa.array([[1], [2]]),  # nested
        pa.array(["a", "a"]).dictionary_encode(),  # dictionary
        pa.array([1, 2], type=pa.timestamp("s")),  # a type without a format
    ]:
        with pytest.raises(BufferError):
            memview.memoryview(arr)
    # Not an array at all: the builtin's TypeError.
    with pytest.raises(TypeError):
        memview.memoryview(pa.chunked_array([[1, 2]]))


def test_the_array_is_released_once_when_the_last_view_goes():
    pool_before = pa.total_allocated_bytes()
    arr = pa.array(np.arange(100_000, dtype="f8"))
    v = memview.memoryview(arr)
    w = v[10:20]
    del arr
    gc.collect()
    assert pa.total_allocated_bytes() > pool_before  # the views keep it
    assert w.tolist() == [float(i) for i in range(10, 20)]
    del v
    gc.collect()
    assert pa.total_allocated_bytes() > pool_before  # w still does
    w.release()
    gc.collect()
    assert pa.total_allocated_bytes() == pool_before


def test_capsules_follow_the_interface():
    m = memview.memoryview(array.array("h", [1, 2, 3]))
    schema, arr = m.__arrow_c_array__()
    assert "arrow_schema" in repr(schema) and "arrow_array" in repr(arr)
    # Capsules nobody consumed release the array (and its buffer of the view) when freed.
    del schema, arr
    gc.collect()
    m.release()
    m = memview.memoryview(array.array("h", [1, 2, 3]))
    a = pa.array(m, type=pa.int16())  # a requested schema equal to the view's type
    assert a.to_pylist() == [1, 2, 3]
    # A requested schema of another type is a wish; the view's own type answers.
    s, c = m.__arrow_c_array__(pa.float64().__arrow_c_schema__())
    assert pa.Array._import_from_c_capsule(s, c).type == pa.int16()
    with pytest.raises(TypeError):
        m.__arrow_c_array__("int16")


class Producer:
    """A producer that hands out whatever it is given."""

    def __init__(self, result):
        self.result = result

    def __arrow_c_array__(self, requested_schema=None):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_hostile_producers():
    good = pa.array([1, 2, 3], type=pa.int32())
    schema, arr = good.__arrow_c_array__()
    for result, error in [
        (None, TypeError),
        ((1, 2), TypeError),
        ((arr, schema), TypeError),  # swapped
        ((schema,), TypeError),
        (ValueError("producer failed"), ValueError),
    ]:
        with pytest.raises(error):
            memview.memoryview(Producer(result))
    # A capsule is consumed once: the second import finds it released.
    p = Producer((schema, arr))
    v = memview.memoryview(p)
    assert v.tolist() == [1, 2, 3] and v.obj is p
    with pytest.raises(BufferError):
        memview.memoryview(p)
    with pytest.raises(pa.ArrowInvalid, match="released"):
        pa.Array._import_from_c_capsule(schema, arr)  # pyarrow agrees it is gone
    v.release()


def test_numpy_reads_an_arrow_array_through_memview():
    arr = pa.array(np.arange(6, dtype="<i8"))
    a = np.asarray(memview.memoryview(arr))
    assert a.tolist() == list(range(6)) and not a.flags.writeable
    assert a.__array_interface__["data"][0] == values_address(arr)

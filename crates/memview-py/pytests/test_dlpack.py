"""DLPack both ways, against NumPy: `numpy.from_dlpack(m)` takes memview's view and
`memview.from_dlpack(a)` takes NumPy's array, without copies (writes show through), with the
standard's rules: versioned capsules carry the read-only flag, a capsule is consumed once,
and the producer's deleter runs once (the view's export ends with the consumer)."""

import gc

import pytest

import memview

np = pytest.importorskip("numpy")

DTYPES = ["u1", "i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8", "<f2", "<f4", "<f8", "?"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key", [(), (slice(None, None, -1),), (slice(None), slice(1, None, 2)), (0,)])
def test_numpy_takes_memview_views_without_a_copy(dtype, key):
    base = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    m = memview.memoryview(base)
    v = m.nd[key] if key else m
    a = np.from_dlpack(v)
    assert a.dtype == np.dtype(dtype) and a.tolist() == base[key].tolist()
    if a.size and a.flags.writeable:
        a[(0,) * a.ndim] = 1
        assert base[key][(0,) * a.ndim] == 1  # the same memory
    with pytest.raises(BufferError):
        v.release()  # exported to NumPy
    del a
    gc.collect()
    v.release()  # the deleter ran: the export is over
    m.release()


def test_memview_takes_numpy_arrays_without_a_copy():
    for dtype in DTYPES:
        a = (np.arange(24) % 5).astype(dtype).reshape(2, 3, 4)[:, ::-1, ::2]
        v = memview.from_dlpack(a)
        assert (v.shape, v.strides) == (a.shape, a.strides)
        assert v.to_list() == a.tolist()
        if dtype == "<i4":
            a[1, 2, 1] = 77
            assert v.to_list()[1][2][1] == 77
    assert memview.from_dlpack(np.zeros((), "<f8")).shape == ()
    assert memview.from_dlpack(np.zeros((3, 0), "<i4")).shape == (3, 0)


def test_read_only_both_ways():
    ro = np.arange(4, dtype="<i2")
    ro.flags.writeable = False
    assert memview.from_dlpack(ro).readonly
    a = np.from_dlpack(memview.memoryview(ro))
    assert not a.flags.writeable
    # An unversioned capsule cannot say read-only: refused, as NumPy refuses it.
    with pytest.raises(BufferError):
        memview.memoryview(ro).__dlpack__()
    cap = memview.memoryview(ro).__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(cap)


def test_the_standards_refusals():
    m = memview.memoryview(np.arange(4.0))
    assert m.__dlpack_device__() == (1, 0)
    with pytest.raises(BufferError):
        m.__dlpack__(stream=1)
    with pytest.raises(BufferError):
        m.__dlpack__(dl_device=(2, 0))
    records = memview.memoryview(np.zeros(3, "f4,i1"))
    with pytest.raises(BufferError):
        np.from_dlpack(records)  # no DLPack data type for a record
    import _testbuffer

    pil = memview.memoryview(_testbuffer.ndarray(list(range(6)), shape=[2, 3], format="B", flags=_testbuffer.ND_PIL))
    with pytest.raises(BufferError):
        pil.__dlpack__(max_version=(1, 0), copy=False)
    released = memview.memoryview(np.arange(3.0))
    released.release()
    with pytest.raises(ValueError):
        released.__dlpack__()


def test_strides_that_are_not_whole_items_copy_when_allowed():
    # A view of int16 items at odd byte strides: a record's field.
    rec = np.zeros(4, dtype=[("a", "<i2"), ("b", "u1")])
    rec["a"] = [1, 2, 3, 4]
    field = memview.memoryview(rec).field("a")
    assert field.strides == (3,)
    with pytest.raises(BufferError):
        field.__dlpack__(max_version=(1, 0), copy=False)
    a = np.from_dlpack(field)  # copy=None: a copy, flagged as one
    assert a.tolist() == [1, 2, 3, 4]


def test_an_unconsumed_capsule_releases_its_export():
    m = memview.memoryview(bytearray(8))
    cap = m.__dlpack__()
    with pytest.raises(BufferError):
        m.release()
    del cap
    gc.collect()
    m.release()


def test_a_capsule_is_consumed_once():
    class Producer:
        def __init__(self, cap):
            self.cap = cap

        def __dlpack__(self, **kwargs):
            return self.cap

    cap = np.arange(3.0).__dlpack__()
    v = memview.from_dlpack(Producer(cap))
    assert v.tolist() == [0.0, 1.0, 2.0]
    assert "used_dltensor" in repr(cap)
    with pytest.raises(TypeError):
        memview.from_dlpack(Producer(cap))
    v.release()

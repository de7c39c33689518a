"""NumPy round trips: every dtype by value, strided and negative-stride arrays, zero-copy
checked by writing through one side and reading the other."""

import pytest

import memview
from memview import memoryview as mv

np = pytest.importorskip("numpy")

DTYPES = ["?", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16",
          ">i4", "<u2", ">f8", "S3", [("x", "<i4"), ("y", "<f8")], [("a", "u1"), ("b", ">i2")]]


def sample(dtype, shape=(3, 4)):
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = (np.arange(n * dt.itemsize, dtype=np.uint32) * 37 % 251).astype(np.uint8)
    a = raw.view(dt).reshape(shape).copy()
    if dt.kind == "f":
        a[np.isnan(a)] = 1.5
    if dt.kind == "c":
        a[np.isnan(a)] = 0.5
    return a


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_round_trip_by_value(dtype):
    a = sample(dtype)
    m = mv(a)
    assert m.shape == a.shape and m.strides == a.strides and m.itemsize == a.itemsize
    back = np.asarray(m)
    assert back.dtype == a.dtype
    assert back.tobytes() == a.tobytes()
    assert np.array_equal(back, a) or a.dtype.kind in "fc"


@pytest.mark.parametrize("dtype", ["i2", "f8", ">u4", [("x", "<i4"), ("y", "<f8")]], ids=str)
@pytest.mark.parametrize("key", [np.s_[::2, ::-1], np.s_[::-1], np.s_[1:, 1::2], np.s_[:, 0]], ids=str)
def test_strided_views(dtype, key):
    a = sample(dtype, (6, 5))
    sub = a[key]
    m = mv(sub)
    assert m.shape == sub.shape and m.strides == sub.strides
    assert np.asarray(m).tobytes() == sub.tobytes()
    assert m.tobytes() == sub.tobytes()


def test_fortran_and_transposes():
    a = np.asfortranarray(np.arange(12, dtype="i4").reshape(3, 4))
    m = mv(a)
    assert m.f_contiguous and not m.c_contiguous
    assert m.tolist() == a.tolist()
    assert m.tobytes("F") == a.tobytes("F")
    assert np.asarray(m.T).tolist() == a.T.tolist()
    assert m.transpose(1, 0).tolist() == a.T.tolist()


def test_zero_copy_both_ways():
    a = np.zeros((3, 4), dtype="f8")
    m = mv(a)
    m[1, 2] = 5.5                       # write through memview, read through NumPy
    assert a[1, 2] == 5.5
    a[2, 3] = -1.0                      # write through NumPy, read through memview
    assert m[2, 3] == -1.0
    b = np.asarray(m[:, 1])             # NumPy over memview's N-D view
    b[0] = 9.0
    assert a[0, 1] == 9.0


def test_readonly_arrays_stay_readonly():
    a = np.arange(4, dtype="u1")
    a.flags.writeable = False
    m = mv(a)
    assert m.readonly
    with pytest.raises(TypeError):
        m[0] = 1
    assert not np.asarray(m).flags.writeable


def test_records_and_fields():
    a = np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8")])
    a["x"] = [1, 2, 3]
    a["y"] = [0.5, 1.5, 2.5]
    m = mv(a)
    assert m.fields == ["x", "y"]
    assert m.field("y").to_list() == [0.5, 1.5, 2.5]
    assert m.to_list() == [(1, 0.5), (2, 1.5), (3, 2.5)]
    assert np.asarray(m.field("x")).tolist() == [1, 2, 3]


def test_readme_example():
    x = np.arange(12).reshape(3, 4)
    assert memview.memoryview(x)[:, 1].tolist() == [1, 5, 9]

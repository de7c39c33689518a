"""The item paths that read and write numbers without the family's lock (`m[i]`, `m[i, j]`,
`m[i] = v` on views of native numbers): the builtin's results and exceptions for every
number code, every index (negative and out of range included), reversed and strided views,
2-D views, values at and beyond each code's range, read-only views, and views released
(or whose release was refused) between calls."""

import builtins
import struct

import pytest

import memview

CODES = "bBhHiIlLqQfd"


def both(data, code, step=1, shape=None):
    """(memview view, builtin view) of the same memory, cast to `code` and sliced by `step`."""
    out = []
    for M in (memview.memoryview, builtins.memoryview):
        m = M(data).cast(code)
        m = m[::step]
        if shape is not None:
            m = M(data).cast(code, shape)
        out.append(m)
    return out


def outcome(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the exception is the result compared
        return (type(e), str(e))


def data_for(code, n=24):
    size = struct.calcsize(code)
    return bytearray((i * 37 + 11) % 256 for i in range(n * size))


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("step", [1, 2, -1, -3])
def test_items_1d(code, step):
    mine, ref = both(data_for(code), code, step)
    n = len(ref)
    for i in range(-n - 2, n + 2):
        a, b = outcome(lambda: mine[i]), outcome(lambda: ref[i])
        if code in "fd" and a[0] == "ok" and a[1] != a[1]:
            assert b[1] != b[1]  # NaN
        else:
            assert a == b, (code, step, i)
    for big in (2**63, -(2**63) - 1, 2**100):
        assert outcome(lambda: mine[big]) == outcome(lambda: ref[big])


@pytest.mark.parametrize("code", CODES)
def test_items_2d(code):
    mine, ref = both(data_for(code), code, shape=[4, 6])
    for i in range(-6, 6):
        for j in range(-8, 8):
            a, b = outcome(lambda: mine[i, j]), outcome(lambda: ref[i, j])
            if code in "fd" and a[0] == "ok" and a[1] != a[1]:
                assert b[1] != b[1]
            else:
                assert a == b, (code, i, j)
    assert outcome(lambda: mine[1]) == outcome(lambda: ref[1])
    assert outcome(lambda: mine[1, 2, 3]) == outcome(lambda: ref[1, 2, 3])


def test_items_2d_transposed_and_sliced():
    data = bytearray(range(24))
    m = memview.memoryview(data).cast("B", [4, 6])
    t = m.T
    for i in range(6):
        for j in range(4):
            assert t[i, j] == data[j * 6 + i]
    sub = m.nd[::-1, 1::2]
    for i in range(4):
        for j in range(3):
            assert sub[i, j] == data[(3 - i) * 6 + 1 + 2 * j]


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("step", [1, -2])
def test_stores_1d(code, step):
    size = struct.calcsize(code)
    bits = 8 * size
    if code in "fd":
        values = [0.0, -1.5, 1e300, float("inf"), 3, True, 2**70]
    elif code.islower():
        values = [0, -1, 2 ** (bits - 1) - 1, -(2 ** (bits - 1)), 2 ** (bits - 1), -(2 ** (bits - 1)) - 1]
    else:
        values = [0, 1, 2**bits - 1, 2**bits, -1]
    values += [2**64, -(2**64), 1.5, "x", None]
    da, db = data_for(code), data_for(code)
    mine = memview.memoryview(da).cast(code)[::step]
    ref = builtins.memoryview(db).cast(code)[::step]
    n = len(ref)
    for i in (0, 1, -1, n - 1, n, -n, -n - 1):
        for v in values:

            def put(m, i=i, v=v):
                m[i] = v

            assert outcome(lambda: put(mine)) == outcome(lambda: put(ref)), (code, i, v)
            assert da == db, (code, i, v)


def test_read_only_refuses_stores():
    mine, ref = memview.memoryview(bytes(8)), builtins.memoryview(bytes(8))

    def put(m):
        m[0] = 1

    assert outcome(lambda: put(mine)) == outcome(lambda: put(ref))
    assert mine[0] == 0


def test_released_view_refuses_items():
    data = bytearray(16)
    for M in (memview.memoryview, builtins.memoryview):
        m = M(data).cast("i")
        assert m[1] == 0
        m.release()
        with pytest.raises(ValueError, match="released"):
            m[1]
        with pytest.raises(ValueError, match="released"):
            m[1] = 2
        with pytest.raises(ValueError, match="released"):
            len(m)
    g = memview.memoryview(data).cast("B", [4, 4])
    g.release()
    with pytest.raises(ValueError, match="released"):
        g[1, 1]


def test_refused_release_keeps_the_view_working():
    data = bytearray(16)
    m = memview.memoryview(data).cast("i")
    held = builtins.memoryview(m)  # an export: release is refused
    with pytest.raises(BufferError):
        m.release()
    m[2] = 7
    assert (m[2], len(m), held[2]) == (7, 4, 7)
    held.release()
    m.release()
    with pytest.raises(ValueError):
        m[2]


def test_writes_land_in_the_exporter():
    data = bytearray(8 * 4)
    m = memview.memoryview(data).cast("d")[::-1]
    m[0] = 2.5
    assert struct.unpack_from("d", data, 24)[0] == 2.5
    q = memview.memoryview(data).cast("q")
    q[-4] = -(2**63)
    assert struct.unpack_from("q", data, 0)[0] == -(2**63)


@pytest.mark.parametrize("size", [0, 1, 63, 64, (1 << 16) - 1, 1 << 16, (1 << 16) + 1])
def test_tobytes_of_every_layout(size):
    data = bytearray((i * 13 + 5) % 256 for i in range(size))
    views = [
        lambda M: M(data),
        lambda M: M(bytes(data)),
        lambda M: M(data)[1:],
        lambda M: M(data)[::2],
        lambda M: M(data)[::-1],
        lambda M: M(data)[: size // 4 * 4].cast("i"),
        lambda M: M(data)[: size // 8 * 8].cast("B", [2, size // 8 * 4]) if size >= 8 else M(data),
    ]
    for make in views:
        mine, ref = make(memview.memoryview), make(builtins.memoryview)
        for order in (None, "C", "F", "A", "X"):
            args = () if order is None else (order,)
            assert outcome(lambda: mine.tobytes(*args)) == outcome(lambda: ref.tobytes(*args))
        mine.release()
        with pytest.raises(ValueError, match="released"):
            mine.tobytes()


class IntSub(int):
    pass


class Idx:
    def __index__(self):
        return 2


class FloatSub(float):
    pass


@pytest.mark.parametrize("code", "Bid")
def test_the_type_slots_hand_every_other_key_to_the_general_path(code):
    """`m[key]`, `m[key] = v`, `del m[key]` and `len(m)` are CPython slots whose fast path
    takes only an exact `int` (or a pair of them) and an exact number; every other key,
    value and view must answer as the builtin does."""
    data = data_for(code)
    for shape in (None, [4, 6]):
        mine = memview.memoryview(bytearray(data)).cast(code, *([shape] if shape else []))
        ref = builtins.memoryview(bytearray(data)).cast(code, *([shape] if shape else []))
        keys = [True, False, IntSub(3), Idx(), 2**64, -(2**64), 1.0, "1", None, (), (1,),
                (1, 2), (1, 2, 3), (True, 1), (IntSub(1), 2), (1, 2**70), slice(1, 3),
                Ellipsis, [1]]
        for key in keys:
            assert outcome(lambda: mine[key]) == outcome(lambda: ref[key]), (shape, key)
        values = [7, True, IntSub(5), FloatSub(1.5), 1.5, 2**70, -1, b"\x01", "x", None, Idx()]
        for key in (1, -1, 10**3, True, (1, 2), IntSub(1)):
            for v in values:
                a = outcome(lambda: mine.__setitem__(key, v))
                b = outcome(lambda: ref.__setitem__(key, v))
                assert a == b, (shape, key, v)
                assert mine.tobytes() == ref.tobytes(), (shape, key, v)
            assert outcome(lambda: mine.__delitem__(key)) == outcome(lambda: ref.__delitem__(key))
        assert outcome(lambda: len(mine)) == outcome(lambda: len(ref))
        mine.release()
        ref.release()
        for f in (lambda m: m[0], lambda m: m.__setitem__(0, 1), len, lambda m: m[0, 0]):
            assert outcome(lambda: f(mine)) == outcome(lambda: f(ref))
    one = bytearray(struct.calcsize(code))
    zero = memview.memoryview(one).cast(code, [])
    zref = builtins.memoryview(bytearray(one)).cast(code, [])
    for f in (lambda m: m[0], lambda m: m[()], lambda m: m.__setitem__(0, 1), len):
        assert outcome(lambda: f(zero)) == outcome(lambda: f(zref))


@pytest.mark.parametrize("code", CODES + "nN")
def test_tolist_at_each_codes_edges(code):
    """`tolist` makes each number with the C call CPython makes for its code: the extremes
    of every code, and small numbers (CPython's cached ints), as the builtin gives them."""
    size = struct.calcsize(code)
    if code in "fd":
        values = [0.0, -0.0, 1.5, float("inf"), -float("inf"), 3.4e38 if code == "f" else 1.7e308, 1e-45]
    else:
        bits = 8 * size
        lo, hi = (0, 2**bits - 1) if code.isupper() else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        values = [lo, hi, 0, 1, -1 if lo < 0 else 2, 256 if hi > 256 else hi - 1, 257 if hi > 257 else 0]
    data = bytearray(struct.pack(f"{len(values)}{code}", *values))
    mine = memview.memoryview(data).cast(code).tolist()
    ref = builtins.memoryview(data).cast(code).tolist()
    assert mine == ref
    assert [type(x) for x in mine] == [type(x) for x in ref]


class _Index:
    """An object with `__index__`, which a slice's fields may be."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


BIG = 10**30
SLICES = [
    slice(None, None, None), slice(1, None, -1), slice(5, 1, -1), slice(-3, None), slice(None, -3, 2),
    slice(-BIG, BIG, 3), slice(BIG, -BIG, -2), slice(None, None, -(2**63)), slice(None, None, -(2**63) + 1),
    slice(2**63 - 1, None, None), slice(-(2**63), 2**63 - 1, 2**63 - 1), slice(True, 7, 2),
    slice(_Index(2), _Index(40), _Index(3)), slice(0, 0), slice(49, 50), slice(50, 49, -1),
]
BAD_SLICES = [slice(None, None, 0), slice(0, 1, "x"), slice(1.0, 2), slice(_Index(1), None, 0), slice(0, BIG, False)]


@pytest.mark.parametrize("s", SLICES, ids=repr)
def test_slices_of_every_kind_of_field_select_what_the_builtins_do(s):
    # Fields that are `None` or exact `int`s in a word are read directly; others (huge ints,
    # bools, objects with `__index__`) through `PySlice_Unpack`: both as the builtin reads.
    for data, fmt in [(bytearray(range(50)), "B"), (bytes(range(200)), "i")]:
        mine, theirs = memview.memoryview(data).cast(fmt), builtins.memoryview(data).cast(fmt)
        assert mine[s].tolist() == theirs[s].tolist()
        assert (mine[s].shape, mine[s].strides) == (theirs[s].shape, theirs[s].strides)


@pytest.mark.parametrize("s", BAD_SLICES, ids=repr)
def test_slices_the_builtin_refuses_are_refused_alike(s):
    data = bytearray(range(50))
    errors = []
    for m in (memview.memoryview(data), builtins.memoryview(data)):
        with pytest.raises(Exception) as e:
            m[s]
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]

"""The differential against the builtin memoryview: the same operation chains on
memview.memoryview and on the builtin, each over its *own* exporter of identical contents,
compared after every step: values, exception classes, and the exporters' bytes (so a wrong
write is caught at the step that made it).

Exporters are drawn from bytes, bytearray, array.array, `_testbuffer.ndarray` (formats,
shapes, strides, Fortran and PIL layouts, read-only or writable) and NumPy (strided, records,
0-d, empty). Cases are drawn by Hypothesis (`MEMVIEW_DIFF_EXAMPLES` sets how many; CI runs the
default, a release runs more) and by a fixed list of seeds that never changes.

Where memview goes further than the builtin by design (N-D keys and sub-views, `tolist` of
multi-item formats), the builtin's `NotImplementedError` is not the reference: NumPy is, and
the step is compared with NumPy's answer for the same key. Every other `NotImplementedError`
is compared like any other outcome.
"""

import array
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import _testbuffer
from _testbuffer import ND_FORTRAN, ND_PIL, ND_WRITABLE, ndarray

import memview
from conftest import builtin_memoryview as bmv

numpy = pytest.importorskip("numpy")

EXAMPLES = int(os.environ.get("MEMVIEW_DIFF_EXAMPLES", "300"))

TB_FORMATS = ["B", "b", "c", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "?", "@B", "<i", ">h", "2B", "e"]
NP_DTYPES = ["u1", "i1", "<i2", ">i2", "<u4", "i8", "<f4", ">f8", "?", "f2", "c16", "u1,<i4", "i2,f8", "V3"]
HUGE = [2**31 - 1, 2**31, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, -2**31, -2**62, -2**63, -2**63 - 1, -10**30]


# ----- exporters, built twice from one recipe -----

def tb_items(fmt, n, rng):
    if fmt in ("f", "d", "e"):
        return [rng.choice([0.5, -1.25, 3.0, 100.0, float("nan"), float("inf")]) for _ in range(n)]
    if fmt == "?":
        return [rng.random() < 0.5 for _ in range(n)]
    if fmt == "c":
        return [bytes([rng.randrange(256)]) for _ in range(n)]
    if fmt == "2B":
        return [(rng.randrange(256), rng.randrange(256)) for _ in range(n)]
    lo, hi = {"b": (-128, 127), "h": (-32768, 32767), ">h": (-32768, 32767)}.get(fmt, (0, 127))
    return [rng.randint(lo, hi) for _ in range(n)]


def random_recipe(rng):
    """A description of an exporter, from which identical exporters can be built."""
    kind = rng.choice(["bytes", "bytearray", "array", "testbuffer", "testbuffer", "testbuffer", "numpy", "numpy"])
    if kind in ("bytes", "bytearray"):
        return (kind, bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 5, 8, 12]))))
    if kind == "array":
        code = rng.choice("bBhHiIlLqQfd")
        n = rng.choice([0, 1, 3, 6])
        items = [rng.randint(0, 100) if code not in "fd" else rng.choice([0.5, -2.0, float("nan")]) for _ in range(n)]
        return (kind, code, items)
    if kind == "testbuffer":
        fmt = rng.choice(TB_FORMATS)
        ndim = rng.choice([0, 1, 1, 2, 3])
        shape = [rng.randint(0, 4) for _ in range(ndim)]
        n = 1
        for d in shape:
            n *= d
        flags = ND_WRITABLE if rng.random() < 0.6 else 0
        if ndim >= 1 and rng.random() < 0.2:
            flags |= ND_FORTRAN
        if ndim >= 1 and n > 0 and rng.random() < 0.2:
            flags |= ND_PIL
        items = tb_items(fmt, max(n, 1), rng)
        step = None
        if ndim >= 1 and shape[0] > 1 and rng.random() < 0.4 and not flags & ND_PIL:
            step = rng.choice([-1, 2, -2])
        return (kind, fmt, shape, flags, items, step)
    if rng.random() < 0.25:
        # Items at odd addresses (a view one byte into a buffer) or broadcast (zero strides).
        dtype = rng.choice(["<i4", ">i2", "<f8", "u2", "f4", "<q"])
        return ("numpy-odd", dtype, rng.choice(["unaligned", "broadcast"]), rng.randint(0, 5), rng.randrange(2**32))
    dtype = rng.choice(NP_DTYPES)
    shape = rng.choice([(), (0,), (1,), (4,), (2, 3), (3, 0), (2, 2, 2)])
    key = rng.choice([None, None, (slice(None, None, -1),), (slice(None, None, 2),), (Ellipsis, slice(1, None))])
    if key is not None and not shape:
        key = None
    return ("numpy", dtype, shape, key, rng.random() < 0.3, rng.randrange(2**32))


def build(recipe):
    """A fresh exporter from a recipe, and a function returning its memory's bytes."""
    kind = recipe[0]
    if kind == "bytes":
        ex = bytes(recipe[1])
        return ex, lambda: bytes(ex)
    if kind == "bytearray":
        ex = bytearray(recipe[1])
        return ex, lambda: bytes(ex)
    if kind == "array":
        ex = array.array(recipe[1], recipe[2])
        return ex, lambda: ex.tobytes()
    if kind == "testbuffer":
        _, fmt, shape, flags, items, step = recipe
        base = ndarray(items if shape else items[0], shape=shape, format=fmt, flags=flags)
        ex = base[::step] if step else base
        return ex, lambda: base.tobytes()
    if kind == "numpy-odd":
        _, dtype, how, n, seed = recipe
        size = numpy.dtype(dtype).itemsize
        raw = bytearray(random.Random(seed).randbytes(1 + max(n, 1) * size))
        if how == "unaligned":
            ex = numpy.frombuffer(raw, dtype=dtype, count=n, offset=1)
            return ex, lambda: bytes(raw)
        one = numpy.frombuffer(raw, dtype=dtype, count=1, offset=1)
        ex = numpy.broadcast_to(one, (n, 3))
        return ex, lambda: bytes(raw)
    _, dtype, shape, key, readonly, seed = recipe
    n = 1
    for d in shape:
        n *= d
    raw = random.Random(seed).randbytes(n * numpy.dtype(dtype).itemsize)
    base = numpy.frombuffer(bytearray(raw), dtype=dtype).reshape(shape).copy()
    ex = base[key] if key is not None else base
    if readonly:
        ex.flags.writeable = False
    return ex, lambda: base.tobytes()


# ----- operations -----

def random_key(rng, ndim):
    kind = rng.random()

    def part():
        return rng.choice([None, 0, 1, -1, 2, 5, -7, rng.choice(HUGE)])
    if kind < 0.3:
        return rng.choice([rng.randint(-5, 5), rng.choice(HUGE)])
    if kind < 0.6:
        return slice(part(), part(), rng.choice([None, 1, 2, -1, -2, 2**62, -2**62, 2**64, 10**30]))
    if kind < 0.8:
        return tuple(rng.choice([rng.randint(-3, 3), slice(part(), part(), rng.choice([None, 2, -1]))])
                     for _ in range(rng.randint(0, 3)))
    return rng.choice([(), Ellipsis, (slice(None), slice(None)), "x", 1.0, None, [0], (0, "x")])


def random_value(rng):
    return rng.choice([0, 1, 255, -1, 2.5, b"a", b"ab", True, 2**63, -2**64, float("nan"), None, "a", (1, 2)])


def random_ops(rng, n):
    """`n` operations: (name, function of a view, extended) where `extended` marks the keys
    memview reads with NumPy's meaning where the builtin stops."""
    ops = []
    for _ in range(n):
        pick = rng.randrange(23)
        if pick == 0:
            order = rng.choice(["C", "F", "A", None, "X"])
            ops.append({"name": f"tobytes({order})", "fn": lambda m, o=order: m.tobytes(o) if o else m.tobytes()})
        elif pick == 1:
            ops.append({"name": "tolist", "fn": lambda m: m.tolist()})
        elif pick == 2:
            sep, per = rng.choice([None, ":", b"-", "ab", "é", 5]), rng.choice([1, 2, -3, 4, 9] + HUGE)
            ops.append({"name": f"hex({sep!r}, {per})", "fn": lambda m, s=sep, p=per: m.hex() if s is None else m.hex(s, p)})
        elif pick == 3:
            ops.append({"name": "len", "fn": lambda m: len(m)})
        elif pick == 4:
            ops.append({"name": "attrs", "fn": lambda m: (m.format, m.itemsize, m.ndim, m.shape, m.strides, m.suboffsets,
                                                          m.readonly, m.nbytes, m.c_contiguous, m.f_contiguous,
                                                          m.contiguous)})
        elif pick in (5, 6, 7):
            k = random_key(rng, 0)
            ops.append({"name": f"m[{k!r}]", "fn": lambda m, k=k: m[k], "key": k})
        elif pick in (8, 9):
            k, v = random_key(rng, 0), random_value(rng)
            ops.append({"name": f"m[{k!r}] = {v!r}", "fn": lambda m, k=k, v=v: m.__setitem__(k, v), "key": k,
                        "write": True})
        elif pick == 10:
            k, n_ = random_key(rng, 0), rng.randint(0, 4)
            ops.append({"name": f"m[{k!r}] = bytes({n_})", "fn": lambda m, k=k, n_=n_: m.__setitem__(k, bytes(range(n_))),
                        "key": k, "write": True})
        elif pick == 11:
            k = slice(None, None, rng.choice([1, -1, 2]))
            ops.append({"name": f"m[{k!r}] = m[{k!r}]", "fn": lambda m, k=k: m.__setitem__(k, m[k])})
        elif pick == 12:
            f = rng.choice(["B", "b", "c", "h", "i", "d", "e", "?", "2B", "<i", "T{i:a:}", "Q", 3])
            ops.append({"name": f"cast({f!r})", "fn": lambda m, f=f: m.cast(f)})
        elif pick == 13:
            f = rng.choice(["B", "c", "i"])
            s = rng.choice([[2, 2], [4], [1, 1, 1], [0], [-1, 4], [2**62, 2], [2**63], [3, 2**61], (2, 3), [1.0]])
            ops.append({"name": f"cast({f!r}, {s!r})", "fn": lambda m, f=f, s=s: m.cast(f, s)})
        elif pick == 14:
            ops.append({"name": "hash", "fn": lambda m: hash(m)})
        elif pick == 15:
            ops.append({"name": "list(m)", "fn": lambda m: list(m)})
        elif pick == 16:
            ops.append({"name": "m == m", "fn": lambda m: (m == m, m != m)})
        elif pick == 17:
            ops.append({"name": "toreadonly", "fn": lambda m: m.toreadonly()})
        elif pick == 18:
            ops.append({"name": "m == bytes", "fn": lambda m: m == m.tobytes()})
        elif pick == 19:
            ops.append({"name": "m == cast", "fn": lambda m: m == m.cast("B") if m.c_contiguous else m == m})
        elif pick == 20:
            ops.append({"name": "release", "fn": lambda m: m.release()})
        elif pick == 21:
            ops.append({"name": "m[:]", "fn": lambda m: m[:]})
        else:
            k = rng.choice([0, -1, (0, 0), (slice(None), 0), (0, slice(None, None, -1))])
            ops.append({"name": f"m[{k!r}]", "fn": lambda m, k=k: m[k], "key": k})
    return ops


# ----- outcomes -----

def outcome(f):
    """What a step gave: a value's repr (NaN-aware), a view's description, or an exception
    class. A `PanicException` (a Rust panic reaching Python) fails the test at once."""
    try:
        r = f()
    except BaseException as e:  # noqa: BLE001 - the class is what is compared
        if type(e).__name__ == "PanicException":
            raise AssertionError(f"a Rust panic reached Python: {e!r}") from None
        if not isinstance(e, Exception):
            raise
        return ("raises", type(e).__name__)
    if isinstance(r, (bmv, memview.memoryview, WrongWrite)):
        return ("view",) + describe(r)
    return ("value", repr(r))


def describe(v):
    try:
        return (v.format, v.shape, v.strides, v.readonly, v.tobytes())
    except Exception as e:  # noqa: BLE001
        return ("raises", type(e).__name__)


def numpy_model(ex, key):
    """NumPy's answer for `m[key]` over the same exporter (the reference where memview goes
    further than the builtin), or None where NumPy cannot read the format."""
    try:
        arr = numpy.asarray(ex)
    except Exception:  # noqa: BLE001
        return None
    # NumPy's `S` items drop trailing NUL bytes, where `c` items keep them: not a reference.
    if arr.dtype.kind in "OVS" or arr.dtype.fields is not None or arr.dtype.subdtype is not None:
        return None
    try:
        r = arr[key]
    except Exception as e:  # noqa: BLE001
        return ("raises", type(e).__name__)
    return ("value", repr(lists(r.tolist() if isinstance(r, numpy.ndarray) else r.item())))


def lists(x):
    """Tuples as lists, all the way down (a sub-array item is a tuple in memview, a list in
    NumPy)."""
    return [lists(y) for y in x] if isinstance(x, (list, tuple)) else x


NO_KEY = object()


def numpy_style(key):
    """A key only NumPy's indexing reads: a tuple holding a slice, `...` or `None`, or `...`
    or `None` alone."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(p, slice) or p is Ellipsis or p is None for p in parts) and not (
        isinstance(key, slice))


def extended(op, want, b_view):
    """Whether a step is one where memview goes further than the builtin by design: a key of
    an N-D view (sub-views), or a NumPy-style key, where the builtin stops."""
    key = op.get("key", NO_KEY)
    if key is NO_KEY or want[0] != "raises":
        return False
    if want[1] == "NotImplementedError" and (b_view.ndim >= 2 or numpy_style(key)):
        return True
    return want[1] == "TypeError" and numpy_style(key)


def run_chain(recipe, ops, follow, wrap=None):
    """Runs `ops` on both sides; returns the first difference, or None. `follow[i]` says
    whether the chain goes on with the views step `i` made (on both sides)."""
    ex_a, bytes_a = build(recipe)
    ex_b, bytes_b = build(recipe)
    assert bytes_a() == bytes_b(), "a recipe must build identical exporters"
    make = wrap or memview.memoryview
    a, b = outcome(lambda: make(ex_a)), outcome(lambda: bmv(ex_b))
    if a != b:
        return ("memoryview()", a, b)
    if a[0] == "raises":
        return None
    va, vb = make(ex_a), bmv(ex_b)
    for op, go_on in zip(ops, follow):
        name, fn = op["name"], op["fn"]
        got, want = outcome(lambda: fn(va)), outcome(lambda: fn(vb))
        if got != want and extended(op, want, vb):
            # NumPy's indexing is the reference for the key; the values follow memoryview's
            # conversion rules, so a refused value is not compared with NumPy's.
            model = numpy_model(vb, op["key"])
            if model is None:
                return None  # NumPy cannot read this format: nothing to compare the rest with
            if op.get("write"):
                if model[0] == "raises" and got != model:
                    return (name, got, model, "NumPy's answer for the key")
                if got[0] != "raises":
                    # The same items written on the other side by NumPy, so the bytes check
                    # below shows any byte memview wrote outside the selection.
                    numpy.asarray(vb)[op["key"]] = numpy.asarray(va)[op["key"]]
            else:
                mine = outcome(lambda: lists(fn(va).to_list())) if got[0] == "view" else got
                if mine != model:
                    return (name, mine, model, "NumPy's answer")
        elif got != want:
            return (name, got, want)
        if bytes_a() != bytes_b():
            return (name, "exporter bytes differ after this step", bytes_a(), bytes_b())
        if go_on and got[0] == "view" and want[0] == "view":
            va, vb = fn(va), fn(vb)
    for v in (va, vb):
        try:
            v.release()
        except Exception:  # noqa: BLE001 - a view with exports stays; the release is compared above
            pass
    return None


def case(rng, n_ops):
    return random_recipe(rng), random_ops(rng, n_ops), [rng.random() < 0.4 for _ in range(n_ops)]


def check(rng, n_ops=8):
    recipe, ops, follow = case(rng, n_ops)
    diff = run_chain(recipe, ops, follow)
    assert diff is None, (recipe, diff)


# ----- the tests -----

@pytest.mark.parametrize("seed", range(1000))
def test_same_as_builtin(seed):
    check(random.Random(seed))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") is not None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_same_as_builtin_hypothesis(rng):
    check(rng, n_ops=12)


class WrongWrite:
    """memview, with a fault injected: every successful item or slice assignment then flips
    the first byte of the exporter (where the exporter is writable and that byte can be
    reached as a plain byte). The differential must catch it."""

    flips = 0

    def __init__(self, ex):
        self.view = memview.memoryview(ex)
        self.ex = ex

    def __setitem__(self, k, v):
        self.view[k] = v
        with bmv(self.ex) as raw:
            if raw.nbytes and not raw.readonly and raw.c_contiguous:
                flat = raw.cast("B")
                flat[0] ^= 0xFF
                WrongWrite.flips += 1

    def __getattr__(self, name):
        return getattr(self.view, name)

    def __getitem__(self, k):
        return self.view[k]

    def __len__(self):
        return len(self.view)

    def __eq__(self, other):
        return self.view == other

    def __hash__(self):
        return hash(self.view)


def test_a_wrong_write_is_caught():
    """The mutation check: with writes made wrong, every chain in which the fault changed
    the exporter's memory fails the differential (proof that it compares what writes store,
    not only whether they raised), and the unfaulted chain passes."""
    faulted = 0
    for seed in range(300):
        recipe, ops, follow = case(random.Random(seed), 8)
        WrongWrite.flips = 0
        diff = run_chain(recipe, ops, follow, WrongWrite)
        if WrongWrite.flips:
            faulted += 1
            assert diff is not None, (seed, recipe, "a wrong write went unnoticed")
            assert run_chain(recipe, ops, follow) is None, seed
    assert faulted >= 15, faulted


@pytest.mark.parametrize("n", [0, 1, 2, 5, 4096, 9000])
def test_hex_groups_of_any_size(n):
    data = bytes(i * 37 % 256 for i in range(n))
    for sep in [":", "-"]:
        for per in [1, -1, 2, -2, 3, 4, -4, 7, 8, 2048, -2049, 2**62, -2**62, 2**63 - 1, -2**63]:
            got = value_or_error(lambda: memview.memoryview(data).hex(sep, per))
            assert got == value_or_error(lambda: bmv(data).hex(sep, per)), (n, sep, per)


def value_or_error(f):
    """The result, or the exception's type and message."""
    try:
        return ("value", f())
    except Exception as e:  # noqa: BLE001
        return ("raises", type(e).__name__, str(e))


@pytest.mark.parametrize("data", [b"", b"a", b"abcab", bytes(range(10)) * 2])
def test_index_and_count_follow_the_sequence_protocol(data):
    """`count` and `index(value, start, stop)` (CPython 3.14's memoryview methods) answer as
    the list of the items does, bounds counted as slice bounds."""
    m = memview.memoryview(data)
    items = list(data)
    bounds = [None, 0, 1, 2, -1, -3, 5, 100, -100, 2**63, -2**63, 2**100, -2**100]
    for value in set(items) | {255}:
        assert m.count(value) == items.count(value)
        for start in bounds:
            for stop in bounds:
                args = [a for a in (start, stop) if a is not None] if stop is None or start is not None else None
                if args is None:
                    continue
                assert outcome(lambda: m.index(value, *args)) == outcome(lambda: items.index(value, *args))

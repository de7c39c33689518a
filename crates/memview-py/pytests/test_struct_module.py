"""memview.struct against the stdlib struct on random formats and values."""

import random
import struct as std

import pytest

from memview import struct as ours

CODES = "xcbB?hHiIlLqQnNefdspP"


def random_format(rng):
    order = rng.choice(["", "@", "=", "<", ">", "!"])
    parts = []
    for _ in range(rng.randint(0, 5)):
        c = rng.choice(CODES)
        if order not in ("", "@") and c in "nNP":
            c = "i"
        n = rng.choice(["", "", "2", "3", "0"])
        parts.append(n + c)
    return order + "".join(parts)


@pytest.mark.parametrize("seed", range(300))
def test_random_formats_match_the_stdlib(seed):
    rng = random.Random(seed)
    fmt = random_format(rng)
    assert ours.calcsize(fmt) == std.calcsize(fmt)
    raw = bytes(rng.randrange(256) for _ in range(std.calcsize(fmt)))
    try:
        expected = std.unpack(fmt, raw)
    except SystemError:
        # CPython 3.11 fails `0p` this way (a negative length to PyBytes_FromStringAndSize);
        # memview unpacks it as b"".
        assert ours.unpack(fmt, raw) is not None
        return
    except std.error:
        with pytest.raises(ours.error):
            ours.unpack(fmt, raw)
        return
    got = ours.unpack(fmt, raw)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        if isinstance(e, float) and e != e:
            assert g != g
        else:
            assert g == e and type(g) is type(e)
    values = list(expected)
    packed = std.pack(fmt, *values)
    assert ours.pack(fmt, *values) == packed
    s = ours.Struct(fmt)
    assert (s.format, s.size) == (fmt, std.calcsize(fmt))
    buf = bytearray(len(packed) + 3)
    s.pack_into(buf, 3, *values)
    assert bytes(buf[3:]) == packed
    again = s.unpack_from(buf, 3)
    assert std.pack(fmt, *again) == packed     # NaNs compare unequal: compare by packing
    if s.size:
        rows = list(s.iter_unpack(packed * 2))
        assert [std.pack(fmt, *r) for r in rows] == [packed, packed]


@pytest.mark.parametrize("call", [
    lambda m: m.pack("h", 70000),
    lambda m: m.pack("i", 1.5),
    lambda m: m.pack("c", b"ab"),
    lambda m: m.pack("3s"),
    lambda m: m.unpack("i", b"abc"),
    lambda m: m.calcsize("1000000000000000000000i"),
    lambda m: m.calcsize("q5"),
    lambda m: m.pack_into("i", bytearray(2), 0, 1),
    lambda m: m.iter_unpack("", b""),
])
def test_errors_match(call):
    with pytest.raises(std.error) as e1:
        call(std)
    with pytest.raises(ours.error) as e2:
        call(ours)
    assert str(e1.value) == str(e2.value)


def test_type_errors_match():
    for call in (lambda m: m.unpack("b", 0), lambda m: m.Struct(1), lambda m: m.pack_into("b", b"x", 0, 1)):
        with pytest.raises(TypeError):
            call(std)
        with pytest.raises(TypeError):
            call(ours)


def test_error_is_named_as_cpython():
    assert ours.error.__name__ == "error" and issubclass(ours.error, Exception)


class Idx:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class Flt:
    def __float__(self):
        return 2.5


POOL = [0, 1, -1, 127, 128, 255, 256, -129, 2**15, 2**31, -2**31 - 1, 2**63, 2**64, -2**63 - 1, 10**30,
        1.5, -0.0, float("inf"), float("nan"), 1e300, True, False, None, b"", b"a", b"abc", bytearray(b"x"),
        "a", Idx(3), Idx(2**70), Flt(), [1], (2,)]


def outcome(f):
    try:
        return ("ok", f())
    except Exception as e:
        return ("raises", type(e).__name__ if type(e).__name__ != "error" else "struct.error", str(e))


@pytest.mark.parametrize("seed", range(1500))
def test_random_values_pack_like_the_stdlib(seed):
    """Any value, valid or not, packs to the same bytes or fails with the same exception
    type and message."""
    rng = random.Random(seed)
    fmt = random_format(rng)
    s = std.Struct(fmt)
    n = len(ours.unpack(fmt, bytes(s.size)))   # (CPython 3.11's unpack fails on `0p`)
    values = [rng.choice(POOL) for _ in range(n)]
    want = outcome(lambda: std.pack(fmt, *values))
    got = outcome(lambda: ours.pack(fmt, *values))
    if want[0] == "ok" and isinstance(want[1], bytes) and any(v != v for v in values if isinstance(v, float)):
        assert got[0] == "ok"
        return
    assert got == want, (fmt, values)


def test_init_compiles_again_and_is_refused_inside_a_call():
    """`Struct.__init__` compiles another format into the object (as CPython's does); an
    argument's `__index__` that calls it while the same object packs gets RuntimeError, and
    the object is whole afterwards."""
    s = ours.Struct("<i")
    s.__init__("<hh")
    assert (s.format, s.size, s.pack(1, 2)) == ("<hh", 4, b"\x01\x00\x02\x00")
    assert s.unpack(b"\x01\x00\x02\x00") == (1, 2)

    class Sneaky:
        def __index__(self):
            s.__init__("<q")
            return 3

    with pytest.raises(RuntimeError):
        s.pack(Sneaky(), 4)
    assert (s.format, s.size, s.pack(5, 6)) == ("<hh", 4, b"\x05\x00\x06\x00")
    assert repr(s) == "Struct('<hh')"


class Index:
    """An offset given by `__index__`."""

    def __init__(self, n):
        self.n = n

    def __index__(self):
        return self.n


UNPACK_FROM_CALLS = [
    (("<I", bytes(range(16))), {}),
    (("<I", bytes(range(16)), 8), {}),
    (("<I", bytes(range(16)), -4), {}),
    (("<I", bytes(range(16)), 13), {}),
    (("<I", bytes(range(16)), -17), {}),
    (("<I", bytes(range(16)), 2**63), {}),
    (("<I", bytes(range(16)), -(2**70)), {}),
    (("<I", bytes(range(16)), True), {}),
    (("<I", bytes(range(16)), Index(4)), {}),
    (("<I", bytes(range(16)), 1.0), {}),
    (("<I", bytes(range(16)), None), {}),
    (("<I", bytearray(range(16)), 4), {}),
    (("<I", memoryview(bytes(range(16)))[::2], 0), {}),
    (("<I", "not a buffer", 0), {}),
    ((b"<hh", bytes(8), 2), {}),
    (("<z", bytes(8), 0), {}),
    ((["<I"], bytes(8), 0), {}),
    (("<I",), {}),
    ((), {}),
    (("<I", bytes(8), 0, 1), {}),
    (("<I",), {"buffer": bytes(range(8))}),
    (("<I",), {"buffer": bytes(range(8)), "offset": 4}),
    (("<I", bytes(range(8))), {"offset": 4}),
    (("<I", bytes(range(8)), 4), {"offset": 4}),
    (("<I",), {"buffer": bytes(8), "nope": 1}),
    ((), {"format": "<I", "buffer": bytes(8)}),
]


def outcome(f, *args, **kwargs):
    try:
        return ("ok", f(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - the exception kind is the result compared
        return ("raised", type(e).__name__)


@pytest.mark.parametrize("args, kwargs", UNPACK_FROM_CALLS)
def test_unpack_from_called_every_way(args, kwargs):
    # The module function answers positional calls itself and hands every other call on:
    # both as the stdlib's does.
    theirs = outcome(std.unpack_from, *args, **kwargs)
    mine = outcome(ours.unpack_from, *args, **kwargs)
    if theirs[0] == "raised" and theirs[1] == "error":
        assert mine == ("raised", "error")
    else:
        assert mine == theirs


def test_unpack_from_converts_the_offset_after_holding_the_buffer():
    data = bytearray(range(16))

    class Resizing:
        def __index__(self):
            try:
                data.extend(b"x")
                return 0
            except BufferError:
                return 4

    for f in (std.unpack_from, ours.unpack_from):
        assert f("<I", data, Resizing()) == std.unpack_from("<I", bytes(range(16)), 4)


class _Bytes(bytes):
    """A `bytes` subclass: read through the buffer protocol, as any exporter."""


def _outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # the exception's type and message are part of the answer
        return (type(e).__name__, str(e))


@pytest.mark.parametrize("kind", [bytes, _Bytes, bytearray, memoryview, lambda b: memoryview(b)[::-1][::-1]])
@pytest.mark.parametrize("size", [0, 7, 22, 23])
def test_unpack_reads_every_kind_of_argument_as_the_stdlib(kind, size):
    # Exact `bytes` are read in place, every other argument through its buffer: the answers
    # and the errors are the stdlib's either way.
    raw = kind(bytes(range(7, 7 + size)))
    for fmt in ["<IhdQ", ">7s", "@i"]:
        mine, theirs = ours.Struct(fmt), std.Struct(fmt)
        assert _outcome(lambda: mine.unpack(raw)) == _outcome(lambda: theirs.unpack(raw))
        assert _outcome(lambda: ours.unpack(fmt, raw)) == _outcome(lambda: std.unpack(fmt, raw))
        for offset in [0, 1, -4, size, -size - 1]:
            assert _outcome(lambda: ours.unpack_from(fmt, raw, offset)) == _outcome(
                lambda: std.unpack_from(fmt, raw, offset)
            )

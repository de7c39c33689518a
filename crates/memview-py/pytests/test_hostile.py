"""Hostile arguments to every entry point: sizes near 2**31, 2**62, 2**63 and 2**64, huge
repeat counts, deep nesting, wrong types. The process must survive each one, no Rust panic
may reach Python (`PanicException` is not an `Exception`, so `except Exception` would not
catch it), and where the builtin has the same function the exception class must be its.

A random part (Hypothesis) draws struct formats with hostile counts and values and compares
every struct function with the stdlib's.
"""

import array
import os
import struct as std

import pytest
from hypothesis import given, settings, strategies as st

import _testbuffer

import memview
from memview import struct as ours
from conftest import builtin_memoryview as bmv

EXAMPLES = int(os.environ.get("MEMVIEW_DIFF_EXAMPLES", "300"))

SIZES = [2**31 - 1, 2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30,
         -1, -2**31, -2**62, -2**63, -2**63 - 1, -2**64]
COUNTS = ["2147483647", "2147483648", "4294967296", "4611686018427387904", "9223372036854775807",
          "9223372036854775808", "18446744073709551616", "99999999999999999999999999"]


def outcome(f):
    """A value's repr or an exception class; a Rust panic fails at once."""
    try:
        return ("value", repr(f()))
    except BaseException as e:  # noqa: BLE001
        if type(e).__name__ == "PanicException":
            raise AssertionError(f"a Rust panic reached Python: {e!r}") from None
        if not isinstance(e, Exception):
            raise
        return ("raises", type(e).__name__)


def same(call, ours_mod, std_mod):
    got, want = outcome(lambda: call(ours_mod)), outcome(lambda: call(std_mod))
    if want == ("raises", "SystemError") and got[0] == "value":
        # CPython 3.11 and 3.12 unpack `0p` into a bytes object of length -1, a
        # SystemError (3.13 returns b"", as memview does).
        return
    assert got == want


# ----- struct -----

def struct_calls():
    for n in COUNTS:
        for code in "bBcx?hHiIqQdspe":
            fmt = n + code
            yield f"calcsize {fmt}", lambda m, f=fmt: m.calcsize(f)
            yield f"Struct {fmt}", lambda m, f=fmt: m.Struct(f).size
            yield f"unpack {fmt}", lambda m, f=fmt: m.unpack(f, b"")
            yield f"unpack_from {fmt}", lambda m, f=fmt: m.unpack_from(f, b"abc", 1)
            yield f"iter_unpack {fmt}", lambda m, f=fmt: list(m.iter_unpack(f, b"abcd"))
            yield f"pack {fmt}", lambda m, f=fmt: m.pack(f, 1, 2)
            yield f"pack_into {fmt}", lambda m, f=fmt: m.pack_into(f, bytearray(8), 0, 1)
            yield f"2 runs {fmt}", lambda m, f=fmt: m.calcsize(f + f)
    # A record far larger than memory: MemoryError, as CPython's bytes allocation fails.
    yield "pack of 2**62 bytes", lambda m: m.pack("4611686018427387904x")
    for off in SIZES:
        yield f"unpack_from at {off}", lambda m, o=off: m.unpack_from("<i", b"abcdefgh", o)
        yield f"pack_into at {off}", lambda m, o=off: m.pack_into("<i", bytearray(8), o, 1)
        yield f"pack_into '' at {off}", lambda m, o=off: m.pack_into("", bytearray(1), o)
        for code in "bBhHiIlLqQnNP":
            yield f"pack {code} {off}", lambda m, c=code, o=off: m.pack(c, o)
            yield f"pack <{code} {off}", lambda m, c=code, o=off: m.pack("<" + c, o) if c not in "nNP" else None
            yield f"pack >{code} {off}", lambda m, c=code, o=off: m.pack(">" + c, o) if c not in "nNP" else None
        yield f"pack e {off}", lambda m, o=off: m.pack("e", float(o))
        yield f"pack f {off}", lambda m, o=off: m.pack("<f", o * 1e300)
    for bad in [None, "x", 1.5, [], b"ab", 2**64, object()]:
        yield f"unpack_from offset {bad!r}", lambda m, b=bad: m.unpack_from("b", b"a", b)
        yield f"pack_into offset {bad!r}", lambda m, b=bad: m.pack_into("b", bytearray(1), b, 1)
        yield f"pack_into buffer {bad!r}", lambda m, b=bad: m.pack_into("b", b, 0, 1)
        yield f"unpack buffer {bad!r}", lambda m, b=bad: m.unpack("b", b)
        yield f"calcsize {bad!r}", lambda m, b=bad: m.calcsize(b)
        yield f"Struct {bad!r}", lambda m, b=bad: m.Struct(b).size
    for fmt in ["é", "\0", "b\0", b"\xff", b"3\xe9", "  ", "3", "<", "<<", "T{i:a:}", "(2)i", "&"]:
        yield f"calcsize {fmt!r}", lambda m, f=fmt: m.calcsize(f)
    yield "Struct with 2 arguments", lambda m: m.Struct("b", "c").size
    yield "Struct with a keyword", lambda m: m.Struct(format="b").size
    yield "Struct with a bad keyword", lambda m: m.Struct("b", x=1).size
    yield "pack_into without buffer", lambda m: m.Struct("b").pack_into()
    yield "pack_into without offset", lambda m: m.Struct("b").pack_into(bytearray(1))
    yield "pack_into into bytes", lambda m: m.pack_into("L", bytes(8), 0, [])


@pytest.mark.parametrize("name,call", list(struct_calls()), ids=lambda x: x if isinstance(x, str) else "")
def test_struct_survives_and_agrees(name, call):
    same(call, ours, std)


def test_struct_error_is_the_stdlib_class():
    assert ours.error is std.error
    with pytest.raises(std.error):
        ours.unpack("i", b"")


def test_pack_into_holds_the_buffer_while_it_converts():
    """An argument's __index__ that resizes the target: CPython holds the buffer first, so
    the resize fails inside __index__ (BufferError), and the call fails with it."""
    for mod in (ours, std):
        target = bytearray(8)

        class Shrink:
            def __index__(self):
                target.clear()
                return 1
        with pytest.raises(BufferError):
            mod.pack_into("<i", target, 0, Shrink())
        assert len(target) == 8


def test_pack_into_writes_value_by_value_as_cpython():
    """A failing value leaves the record zeroed up to it and the earlier values written."""
    for_ours, for_std = bytearray(b"\xaa" * 8), bytearray(b"\xaa" * 8)
    for mod, buf in ((ours, for_ours), (std, for_std)):
        with pytest.raises(std.error):
            mod.pack_into("<hhh", buf, 1, 7, 70000, 3)
    assert for_ours == for_std


# ----- memoryview -----

def exporters():
    yield "bytes", lambda: b"abcdefgh"
    yield "bytearray", lambda: bytearray(b"abcdefgh")
    yield "array d", lambda: array.array("d", [1.5, float("nan"), -0.0])
    yield "2-D", lambda: _testbuffer.ndarray(list(range(12)), shape=[3, 4], format="B", flags=_testbuffer.ND_WRITABLE)
    yield "0-d", lambda: _testbuffer.ndarray(7, shape=[], format="i", flags=_testbuffer.ND_WRITABLE)
    yield "empty", lambda: bytearray()


def view_calls():
    for k in SIZES:
        yield f"m[{k}]", lambda m, k=k: m[k]
        yield f"m[{k}] = 1", lambda m, k=k: m.__setitem__(k, 1)
        yield f"m[1] = {k}", lambda m, k=k: m.__setitem__(1, k)
        yield f"m[{k}:]", lambda m, k=k: m[k:].tolist()
        yield f"m[:{k}]", lambda m, k=k: m[:k].tolist()
        yield f"m[1:2:{k}]", lambda m, k=k: m[1:2:k].tolist() if k else None
        yield f"m[::{k}][{k}:]", lambda m, k=k: m[::k][k:].tolist() if k else None
        yield f"m[{k}, 0]", lambda m, k=k: m[k, 0]
        yield f"hex(':', {k})", lambda m, k=k: m.hex(":", k)
        yield f"cast B [{k}]", lambda m, k=k: m.cast("B", [k])
        yield f"cast B [{k}, {k}]", lambda m, k=k: m.cast("B", [k, k])
        yield f"cast c [2, {k}]", lambda m, k=k: m.cast("c", [2, k])
        yield f"m[{k}:{k}] = b''", lambda m, k=k: m.__setitem__(slice(k, k), b"")
    yield "cast 65 dims", lambda m: m.cast("B", [1] * 65)
    yield "cast 64 dims", lambda m: m.cast("B", [1] * 64)
    yield "cast shape of floats", lambda m: m.cast("B", [1.0])
    yield "cast shape not a list", lambda m: m.cast("B", 8)
    yield "cast to a long format", lambda m: m.cast("B" * 1000)
    yield "cast format not str", lambda m: m.cast(b"B")
    yield "deeply nested key", lambda m: m[((((((0,),),),),),)]
    yield "long tuple key", lambda m: m[(0,) * 100]
    yield "hex(None)", lambda m: m.hex(None)
    yield "hex(sep list)", lambda m: m.hex([":"])
    yield "hex('::')", lambda m: m.hex("::")
    yield "hex('é')", lambda m: m.hex("é")
    yield "tobytes(None)", lambda m: m.tobytes(None)
    yield "tobytes('Z')", lambda m: m.tobytes("Z")
    yield "m == m", lambda m: (m == m, m != m)
    yield "m == m[:]", lambda m: m == m[:]
    yield "hash", lambda m: hash(m.toreadonly())
    yield "release twice", lambda m: (m.release(), m.release())
    yield "tolist", lambda m: m.tolist()
    yield "list", lambda m: list(m)
    yield "len", lambda m: len(m)


@pytest.mark.parametrize("ex_name,make", list(exporters()), ids=lambda x: x if isinstance(x, str) else "")
@pytest.mark.parametrize("name,call", list(view_calls()), ids=lambda x: x if isinstance(x, str) else "")
def test_view_survives_and_agrees(ex_name, make, name, call):
    got = outcome(lambda: call(memview.memoryview(make())))
    want = outcome(lambda: call(bmv(make())))
    assert got == want


def extension_calls():
    """memview's own methods, which the builtin does not have: they must survive and raise
    only ordinary exceptions."""
    for k in SIZES:
        yield f"nd[{k}]", lambda m, k=k: m.nd[k]
        yield f"nd[:, {k}]", lambda m, k=k: m.nd[:, k]
        yield f"nd[::{k}, ::{k}]", lambda m, k=k: m.nd[::k, ::k].to_list() if k else None
        yield f"transpose({k}, 0)", lambda m, k=k: m.transpose(k, 0)
        yield f"reshape({k})", lambda m, k=k: m.reshape(k)
        yield f"reshape({k}, {k})", lambda m, k=k: m.reshape(k, k)
        yield f"field({k})", lambda m, k=k: m.field(k)
        yield f"_from_flags {k}", lambda m, k=k: memview.memoryview._from_flags(m, k)
        yield f"count({k})", lambda m, k=k: m.count(k)
        yield f"index({k})", lambda m, k=k: m.index(k)
        yield f"index(1, {k}, {k})", lambda m, k=k: m.index(1, k, k)
        yield f"__dlpack__ max_version ({k}, 0)", lambda m, k=k: m.__dlpack__(max_version=(k, 0))
        yield f"__dlpack__ dl_device ({k}, 0)", lambda m, k=k: m.__dlpack__(dl_device=(k, 0))
    yield "__dlpack__ max_version not a pair", lambda m: m.__dlpack__(max_version=("a",))
    yield "__dlpack__ stream", lambda m: m.__dlpack__(stream=0)
    yield "__dlpack__ copy", lambda m: m.__dlpack__(copy=True)
    yield "from_dlpack of a non-producer", lambda m: memview.from_dlpack(object())
    yield "from_dlpack of a producer of junk", lambda m: memview.from_dlpack(type("P", (), {"__dlpack__": lambda self, **k: 42})())
    yield "nd deep", lambda m: m.nd[(((0,),),)]
    yield "nd many ellipses", lambda m: m.nd[..., ...]
    yield "nd 100 new axes", lambda m: m.nd[(None,) * 100]
    yield "T", lambda m: m.T.to_list()
    yield "to_list", lambda m: m.to_list()
    yield "fields", lambda m: m.fields


@pytest.mark.parametrize("ex_name,make", list(exporters()), ids=lambda x: x if isinstance(x, str) else "")
@pytest.mark.parametrize("name,call", list(extension_calls()), ids=lambda x: x if isinstance(x, str) else "")
def test_extensions_survive(ex_name, make, name, call):
    outcome(lambda: call(memview.memoryview(make())))


def test_hostile_exporter_layouts_survive():
    """Layouts from `_testbuffer` at the edges: huge extents with a zero, zero strides,
    negative strides, suboffsets."""
    nd = _testbuffer.ndarray
    cases = [
        lambda: nd([], shape=[0], format="B"),
        lambda: nd(list(range(8)), shape=[2, 4], strides=[-4, -1], offset=7, format="B"),
        lambda: nd([1], shape=[2**20, 2**20], strides=[0, 0], format="B"),
        lambda: nd(list(range(12)), shape=[3, 4], format="B", flags=_testbuffer.ND_PIL),
    ]
    for make in cases:
        for call in (lambda m: m.tolist(), lambda m: m.tobytes(), lambda m: m.shape, lambda m: m[-1],
                     lambda m: m == m, lambda m: m.cast("B") if m.c_contiguous else None):
            try:
                ex = make()
            except Exception:  # noqa: BLE001 - _testbuffer refused the layout itself
                continue
            if ex.nbytes > 2**24:
                continue
            assert outcome(lambda: call(memview.memoryview(ex))) == outcome(lambda: call(bmv(ex)))


# ----- struct, random (Hypothesis) -----

CODES = "xcbB?hHiIlLqQnNefdspP"


@st.composite
def formats(draw):
    order = draw(st.sampled_from(["", "@", "=", "<", ">", "!"]))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        code = draw(st.sampled_from(CODES))
        if order not in ("", "@") and code in "nNP":
            code = "i"
        count = draw(st.sampled_from(["", "", "0", "1", "2", "3", "17"] + COUNTS))
        parts.append(count + code)
    return order + draw(st.sampled_from(["", " "])).join(parts)


values = st.one_of(
    st.integers(-2**70, 2**70), st.sampled_from(SIZES), st.floats(allow_nan=True),
    st.binary(max_size=5), st.booleans(), st.none(), st.just("s"),
)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("CI") is not None)
@given(formats(), st.lists(values, max_size=6), st.binary(max_size=40), st.sampled_from(SIZES + [0, 1, 2, -2]))
def test_struct_random_calls_agree(fmt, args, data, offset):
    same(lambda m: m.calcsize(fmt), ours, std)
    try:
        small = std.calcsize(fmt) < 2**20
    except std.error:
        small = True
    same(lambda m: m.unpack(fmt, data), ours, std)
    same(lambda m: m.unpack_from(fmt, data, offset), ours, std)
    same(lambda m: [tuple(r) for r in m.iter_unpack(fmt, data)], ours, std)
    if small:
        same(lambda m: m.pack(fmt, *args), ours, std)
        buf_ours, buf_std = bytearray(data), bytearray(data)
        got = outcome(lambda: ours.pack_into(fmt, buf_ours, offset, *args))
        want = outcome(lambda: std.pack_into(fmt, buf_std, offset, *args))
        assert got == want
        assert buf_ours == buf_std

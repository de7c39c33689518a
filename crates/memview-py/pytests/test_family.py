"""Views derived from views (a family sharing one import) against the builtin memoryview:
random programs of derive, compare, read, write, release, delete and resize run on both, step
by step, and every step must answer alike (value, or exception class).

With the GIL a view nothing is derived from has no shared family until its first sibling is
made; these programs cross that point in every order (compare a lone view with itself and
with a family's view, release the parent before or after its children, derive from a
released view, collect cycles)."""

import gc

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from memview import memoryview as mv
from conftest import builtin_memoryview as bmv


def outcome(f):
    """A step's answer: its value, or its exception's class."""
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return ("err", type(e).__name__)


DERIVE = [
    ("slice", lambda m: m[1:]),
    ("step", lambda m: m[::-2]),
    ("empty", lambda m: m[3:1]),
    ("readonly", lambda m: m.toreadonly()),
    ("cast", lambda m: m.cast("B")),
    ("view", lambda m: (bmv if type(m) is bmv else mv)(m)),
]

STEP = st.one_of(
    st.tuples(st.just("derive"), st.integers(0, 7), st.integers(0, len(DERIVE) - 1)),
    st.tuples(st.just("eq"), st.integers(0, 7), st.integers(0, 7)),
    st.tuples(st.just("read"), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("write"), st.integers(0, 7), st.integers(0, 255)),
    st.tuples(st.just("release"), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("delete"), st.integers(0, 7), st.just(0)),
    st.tuples(st.just("resize"), st.just(0), st.just(0)),
    st.tuples(st.just("with"), st.integers(0, 7), st.just(0)),
)


def run(make_view, program):
    """Runs `program` on views that `make_view` makes of a fresh bytearray; the answers."""
    data = bytearray(range(8))
    views = [make_view(data)]
    answers = []
    for op, i, j in program:
        live = [v for v in views if v is not None]
        if op == "resize":
            answers.append(outcome(lambda: data.extend(b"x") or len(data)))
            continue
        if not live:
            answers.append(("none",))
            continue
        v = live[i % len(live)]
        if op == "derive":
            w = outcome(lambda: DERIVE[j][1](v))
            answers.append((w[0], DERIVE[j][0]))
            if w[0] == "ok":
                views.append(w[1])
            del w
        elif op == "eq":
            w = live[j % len(live)]
            answers.append(outcome(lambda: (v == w, w == v, v != w)))
            del w
        elif op == "read":
            answers.append(outcome(lambda: (v.tobytes(), v.format, v.shape, v.readonly)))
        elif op == "write":
            answers.append(outcome(lambda: v.__setitem__(0, j)))
        elif op == "release":
            answers.append(outcome(v.release))
        elif op == "delete":
            views[views.index(v)] = None
            del v, live  # freed by its count at once: the programs make no cycles
            answers.append(outcome(lambda: (bytes(data), outcome(lambda: data.append(1)))))
        elif op == "with":
            def block():
                with v as inner:
                    return inner.nbytes
            answers.append(outcome(block))
    views.clear()
    # Every view gone: the bytearray is free to resize again.
    answers.append(outcome(lambda: data.extend(b"end") or bytes(data)))
    return answers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=14))
def test_family_programs_agree_with_the_builtin(program):
    assert run(mv, program) == run(bmv, program)


@pytest.mark.parametrize("fmt", ["B", "d"])
def test_a_lone_view_compares_with_itself(fmt):
    data = bytearray(8)
    m, b = mv(data).cast(fmt), bmv(data).cast(fmt)
    # The cast is a sibling; a fresh import of it is a lone view again.
    lone = mv(m)
    assert (lone == lone) == (b == b) is True
    assert lone.__eq__(lone) is True
    assert (lone == m) and (m == lone)
    if fmt == "d":
        del lone, m, b
        gc.collect()
        data[:] = b"\x00" * 6 + b"\xf8\x7f"  # a NaN
        nan = mv(data).cast("d")
        assert (nan == nan) is False and (bmv(data).cast("d") == bmv(data).cast("d")) is False


def test_siblings_outlive_a_released_parent():
    data = bytearray(b"abcdef")
    parent = mv(data)
    child = parent[2:]
    grandchild = child[::2]
    parent.release()
    assert grandchild.tobytes() == b"ce"
    with pytest.raises(BufferError):
        data.append(0)
    del child
    gc.collect()
    with pytest.raises(BufferError):
        data.append(0)
    grandchild.release()
    data.append(0)
    assert bytes(data) == b"abcdef\x00"


def test_a_lone_view_in_a_cycle_is_collected():
    data = bytearray(4)
    holder = []
    m = mv(data)
    holder.append(m)
    holder.append(holder)
    del m, holder
    gc.collect()
    data.append(1)
    assert len(data) == 5

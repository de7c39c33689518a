"""Large outputs (`tobytes`, `hex`, `tolist` of 4 MiB and more), whose fresh memory memview asks
Linux to back with huge pages: the same results as the builtin's, for contiguous, strided,
reversed and 2-D views, with the advice on and turned off (`MEMVIEW_MADVISE_HUGEPAGE=0`,
read once per process, so that run is a child process)."""

import builtins
import os
import subprocess
import sys

import memview

BIG = (4 << 20) + 4099  # past the advice's threshold, not a whole number of pages


def pairs():
    data = bytearray((i * 7 + i // 251) & 0xFF for i in range(2 * BIG))
    for M in (memview.memoryview, builtins.memoryview):
        assert M(data).nbytes == 2 * BIG
    views = [
        lambda M: M(data),
        lambda M: M(data)[::2],
        lambda M: M(data)[::-3],
        lambda M: M(data)[: 4096 * 2048].cast("B", (4096, 2048)),
        lambda M: M(data)[: 8 * 1024 * 1024].cast("Q")[1::2],
    ]
    for make in views:
        yield make(memview.memoryview), make(builtins.memoryview)


def test_large_outputs_match_the_builtin():
    for ours, theirs in pairs():
        assert ours.tobytes() == theirs.tobytes()
        assert ours.hex() == theirs.hex()
        assert ours.hex(":", 3) == theirs.hex(":", 3)
        if ours.format == "Q" or ours.ndim == 2:
            assert ours.tolist() == theirs.tolist()


def test_large_outputs_match_the_builtin_without_the_advice():
    env = dict(os.environ, MEMVIEW_MADVISE_HUGEPAGE="0")
    code = (
        "import sys; sys.path[:0] = %r; import test_large_outputs as t; "
        "t.test_large_outputs_match_the_builtin()" % ([os.path.dirname(__file__)] + sys.path,)
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

"""Per-call costs where users cross: memview.memoryview and memview.struct beside the builtin
memoryview and struct, one row per call, in one sitting.

Two measures:

* time (default): interleaved repeats (builtin, memview, builtin, ...), best of 7 rounds,
  nanoseconds per call and the ratio memview / builtin (below 1 is faster);
* `--instructions`: instructions per call counted by valgrind (cachegrind without cache
  simulation), loops of 12,000 and 2,000 calls, less the same loops without the call; a figure a loaded machine
  cannot disturb.

Run by `cargo xtask py bench --calls` (`--instructions` for the counts).

Usage: PYTHONPATH=target/python python3 crates/memview-py/bench/calls.py [--instructions] [ROW...]
"""

import builtins
import os
import re
import struct as std_struct
import subprocess
import sys
import tempfile
import timeit

import memview
from memview import struct as mv_struct

SETUP = {
    "builtin": "M = builtins.memoryview; S = std_struct",
    "memview": "M = memview.memoryview; S = mv_struct",
}

COMMON = """
data = bytearray(range(256)) * 4
m = M(data)
m64 = M(bytes(64))
g = M(bytes(1024)).cast('B', [32, 32])
w = M(bytearray(1024))
rec = S.Struct('<IhdQ')
packed = rec.pack(1, 2, 3.0, 4)
buf = bytes(64)
"""

# name: statement (the call measured), run with COMMON's names bound for each side.
ROWS = {
    "memoryview(bytearray)": "M(data)",
    "with memoryview(b) as v: v[0]": "with M(data) as v: v[0]",
    "m[i]": "m[100]",
    "m[-1]": "m[-1]",
    "m[a:b:c]": "m[1:100:2]",
    "m[i, j] 2-D": "g[3, 7]",
    "m[i] = v": "w[100] = 7",
    "len(m)": "len(m)",
    "m.shape": "m.shape",
    "m.tobytes() 64 B": "m64.tobytes()",
    "m.tolist() 64 B": "m64.tolist()",
    "Struct.pack <IhdQ": "rec.pack(1, 2, 3.0, 4)",
    "Struct.unpack <IhdQ": "rec.unpack(packed)",
    "struct.unpack_from('<I', buf, 8)": "S.unpack_from('<I', buf, 8)",
}


def namespace(impl):
    g = {"builtins": builtins, "memview": memview, "std_struct": std_struct, "mv_struct": mv_struct}
    exec(SETUP[impl], g)
    exec(COMMON, g)
    return g


def times(rows, rounds=7):
    """{row: {impl: best ns per call}}, interleaving the two sides round by round."""
    best = {r: {"builtin": float("inf"), "memview": float("inf")} for r in rows}
    spaces = {impl: namespace(impl) for impl in SETUP}
    for _ in range(rounds):
        for r in rows:
            for impl in ("builtin", "memview"):
                t = timeit.Timer(ROWS[r], globals=spaces[impl])
                n = 20000
                per = t.timeit(n) / n * 1e9
                best[r][impl] = min(best[r][impl], per)
    return best


def instructions(row, impl, n, empty=False):
    """Instructions of a process that makes the call `n` times (with `empty`, runs the same
    loop without the call), under valgrind."""
    script = (
        "import builtins, struct as std_struct, memview\n"
        "from memview import struct as mv_struct\n"
        f"{SETUP[impl]}\n{COMMON}\n"
        f"for _ in range({n}):\n    {'pass' if empty else ROWS[row]}\n"
    )
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "row.py")
        with open(path, "w") as f:
            f.write(script)
        out = os.path.join(d, "cg.out")
        r = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
             sys.executable, path],
            capture_output=True, text=True,
            # A fixed hash seed: the same dictionary work on every run of the interpreter.
            env=dict(os.environ, PYTHONMALLOC="malloc", PYTHONHASHSEED="0"),
        )
        found = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
        if not found:
            raise RuntimeError(r.stderr[-2000:])
        return int(found.group(1).replace(",", ""))


def main(argv):
    count = "--instructions" in argv
    rows = [a for a in argv if not a.startswith("--")] or list(ROWS)
    print(f"{'call':36s} {'builtin':>12s} {'memview':>12s} {'ratio':>7s}")
    if count:
        # Two loop lengths: their difference cancels everything but the calls (start-up,
        # imports, set-up), and the empty loop's difference the loop itself.
        short, long = 2000, 12000
        for r in rows:
            per = {}
            for impl in ("builtin", "memview"):
                calls = instructions(r, impl, long) - instructions(r, impl, short)
                loop = instructions(r, impl, long, empty=True) - instructions(r, impl, short, empty=True)
                per[impl] = (calls - loop) / (long - short)
            print(f"{r:36s} {per['builtin']:9.0f} in {per['memview']:9.0f} in "
                  f"{per['memview'] / per['builtin']:6.2f}x", flush=True)
        return 0
    best = times(rows)
    for r in rows:
        b, m = best[r]["builtin"], best[r]["memview"]
        print(f"{r:36s} {b:9.1f} ns {m:9.1f} ns {m / b:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

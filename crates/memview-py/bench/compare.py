"""memview.memoryview beside the builtin memoryview on the same workloads, in one sitting:
per-call operations and bulk operations, as time per call and the ratio memview/builtin
(below 1 is faster). Run by `cargo xtask py bench` (needs NumPy, from PyPI, for the tolist row).

Usage: PYTHONPATH=target/python python3 crates/memview-py/bench/compare.py
"""

import builtins
import timeit

import memview

try:
    import numpy as np
except ImportError:  # the tolist row is skipped
    np = None

B = builtins.memoryview
M = memview.memoryview


def per_call(stmt, g, n):
    return min(timeit.repeat(stmt, globals=g, number=n, repeat=5)) / n * 1e9


def main():
    data = bytearray(range(256)) * 4
    big = bytearray(16 << 20)
    rows = [
        ("m[i]", "m[100]", 500000),
        ("m[a:b:c]", "m[1:100:2]", 500000),
        ("len(m)", "len(m)", 500000),
        ("m[:16].tobytes()", "s.tobytes()", 500000),
        ("m[i, j] (2-D)", "g[3, 7]", 500000),
        ("m[i] = v", "w[100] = 7", 500000),
        ("memoryview(bytearray)", "T(data)", 500000),
        ("tobytes 16 MiB", "bm.tobytes()", 20),
        ("hex 16 MiB", "bm.hex()", 5),
        ("hex(':', 2) 16 MiB", "bm.hex(':', 2)", 5),
        ("== 16 MiB", "bm == bm2", 20),
    ]
    if np is not None:
        rows.append(("tolist 4M doubles", "am.tolist()", 3))
    arr = np.arange(4_000_000, dtype="f8") if np is not None else None
    print(f"{'operation':24s} {'builtin':>12s} {'memview':>12s} {'ratio':>7s}")
    for name, stmt, n in rows:
        res = []
        for T in (B, M):
            m = T(data)
            g = dict(m=m, s=m[:16], g=T(data).cast("B", [32, 32]), w=T(bytearray(data)), bm=T(big),
                     bm2=T(bytes(big)), am=T(arr) if arr is not None else None, T=T, data=data)
            res.append(per_call(stmt, g, n))
        print(f"{name:24s} {res[0]:10.1f}ns {res[1]:10.1f}ns {res[1] / res[0]:6.2f}x")


if __name__ == "__main__":
    main()

"""CPython's (and NumPy's) rates on the workloads of memview's criterion benches.

Run in the same sitting as `cargo xtask bench`, on the same machine, so the criterion
figures can be divided by these. Needs CPython 3.11+ and, for the NumPy rows, NumPy from
PyPI (`pip install numpy`); rows whose library is missing are skipped, nothing is installed.

    python3 bench/python/compare.py            # or: cargo xtask bench --python
"""
import struct
import sys
import timeit


def rate(stmt, setup, number, per=1):
    """Items (or bytes) per second of `stmt`, best of 5 repeats."""
    best = min(timeit.repeat(stmt, setup, number=number, repeat=5, globals=globals()))
    return number * per / best


def row(group, name, value, unit):
    print(f"{group:<36} {name:<28} {value:>14.4g} {unit}")


def main():
    print(f"# CPython {sys.version.split()[0]}")
    print(f"{'criterion group':<36} {'workload':<28} {'rate':>14} unit")
    b1k = "b = bytes(range(256)) * 4; m = memoryview(b)"
    row("memview/make_view_1KiB", "memoryview(b)", rate("memoryview(b)", b1k, 1_000_000), "views/s")
    row("memview/make_view_1KiB", "m[1::2]", rate("m[1::2]", b1k, 1_000_000), "views/s")
    row("memview/make_view_1KiB", "m[1:]", rate("m[1:]", b1k, 1_000_000), "views/s")

    grid = ("import array; n = 1024; a = array.array('i', range(n * n)); "
            "m = memoryview(a).cast('B').cast('i', [n, n]); "
            "idx = [((k * 2654435761) % (n * n) // n, (k * 2654435761) % (n * n) % n) for k in range(1000)]")
    row("memview/random_get_1024x1024_i", "m[i, j]", rate("for ij in idx: m[ij]", grid, 200, per=1000), "items/s")

    d4m = "import array; a = array.array('d', [0.5] * (4 << 20)); m = memoryview(a)"
    row("memview/to_list_4M_d", "m.tolist()", rate("m.tolist()", d4m, 3, per=4 << 20), "items/s")

    h16 = "b = bytes(range(256)) * 65536; m = memoryview(b)"
    row("memview/hex_16MiB", "m.hex()", rate("m.hex()", h16, 5, per=16 << 20), "bytes/s")
    row("memview/hex_16MiB", "m.hex(':', 2)", rate("m.hex(':', 2)", h16, 5, per=16 << 20), "bytes/s")

    eqb = "b = bytes(range(256)) * 65536; c = bytes(b); mb, mc = memoryview(b), memoryview(c)"
    row("memview/eq_16MiB_bytes", "mb == mc", rate("mb == mc", eqb, 20, per=16 << 20), "bytes/s")
    eqiq = ("import array; k = 4 << 20; mi = memoryview(array.array('i', range(k))); "
            "mq = memoryview(array.array('q', range(k)))")
    row("memview/eq_4M_i_vs_q", "mi == mq", rate("mi == mq", eqiq, 2, per=4 << 20), "items/s")

    rec = ("import struct; s = struct.Struct('<IhdQ'); "
           "data = b''.join(s.pack(i, -i % 30000, i * 0.5, i) for i in range(1 << 20))")
    row("codec/decode_1M_<IhdQ", "s.iter_unpack(data)", rate("for r in s.iter_unpack(data): pass", rec, 2, per=1 << 20), "records/s")

    try:
        import numpy  # noqa: F401
    except ImportError:
        print("# NumPy rows skipped: pip install numpy")
        return
    print(f"# NumPy {numpy.__version__}")
    le = ("import numpy as np; n = 2 << 20; a = np.arange(n, dtype='<f8') * 0.5; "
          "b = a.astype('>f8'); ma, mb = memoryview(a), memoryview(b)")
    row("memview/eq_2M_<d_vs_>d", "memoryview ==", rate("ma == mb", le, 1, per=2 << 20), "items/s")
    row("memview/eq_2M_<d_vs_>d", "numpy array_equal", rate("np.array_equal(a, b)", le, 20, per=2 << 20), "items/s")
    perm = "import numpy as np; a = np.ones((256, 256, 256), dtype=np.float32)"
    row("strided/permute_256^3_f32", "transpose(2,0,1).tobytes()",
        rate("a.transpose(2, 0, 1).tobytes()", perm, 3, per=256 ** 3 * 4), "bytes/s")


if __name__ == "__main__":
    main()

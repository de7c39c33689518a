"""Two Python threads doing bulk work on two views, beside one thread doing the same work:
memview's tobytes, hex and == run without the GIL on views of 64 KiB and more, so two threads should
approach twice one thread's throughput on two cores; the builtin memoryview holds the GIL
(its ratio, near 1.0x, is printed beside).

    PYTHONPATH=target/python python3 crates/memview-py/bench/threads.py
"""

import builtins
import threading
import time

import memview

SIZES = [1 << 20, 32 << 20]  # per view: within the caches, and far beyond them
WORK = 256 << 20  # bytes each thread reads per measurement
REPEATS = 5


def job(kind, make, data):
    m = make(data)
    other = make(bytes(data))
    if kind == "tobytes":
        return lambda: m[::2].tobytes()
    if kind == "hex":
        return lambda: m[: len(data) // 4].hex()
    return lambda: m == other


def run(kind, make, threads, size):
    datas = [bytearray(range(256)) * (size // 256) for _ in range(threads)]
    jobs = [job(kind, make, d) for d in datas]
    rounds = max(2, WORK // size // (4 if make is builtins.memoryview else 1))

    def loop(f):
        for _ in range(rounds):
            f()

    best = float("inf")
    for _ in range(REPEATS):
        ts = [threading.Thread(target=loop, args=(f,)) for f in jobs]
        start = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        best = min(best, time.perf_counter() - start)
    return threads * rounds / best  # jobs per second


def main():
    print(f"{'job':<10} {'size':>7} {'view':<10} {'1 thread/s':>11} {'2 threads/s':>12} {'speed-up':>9}")
    for size in SIZES:
        for kind in ["tobytes", "hex", "eq"]:
            for name, make in [("memview", memview.memoryview), ("builtin", builtins.memoryview)]:
                one = run(kind, make, 1, size)
                two = run(kind, make, 2, size)
                mib = f"{size >> 20} MiB"
                print(f"{kind:<10} {mib:>7} {name:<10} {one:>11.1f} {two:>12.1f} {two / one:>8.2f}x")


if __name__ == "__main__":
    main()

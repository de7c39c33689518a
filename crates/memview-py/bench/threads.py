"""Two Python threads doing bulk work on two views, beside one thread doing the same work:
memview's tobytes, hex and == run without the GIL on large views, so two threads should
approach twice one thread's throughput on two cores; the builtin memoryview holds the GIL
(its ratio, near 1.0x, is printed beside).

    PYTHONPATH=target/python python3 crates/memview-py/bench/threads.py
"""

import builtins
import threading
import time

import memview

SIZE = 32 << 20  # 32 MiB per view
ROUNDS = 8
REPEATS = 5


def job(kind, make, data):
    m = make(data)
    other = make(bytes(data))
    if kind == "tobytes":
        return lambda: m[::2].tobytes()
    if kind == "hex":
        return lambda: m[: SIZE // 4].hex()
    return lambda: m == other


def run(kind, make, threads):
    datas = [bytearray(range(256)) * (SIZE // 256) for _ in range(threads)]
    jobs = [job(kind, make, d) for d in datas]

    def loop(f):
        for _ in range(ROUNDS):
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
    return threads * ROUNDS / best  # jobs per second


def main():
    print(f"{'job':<10} {'view':<10} {'1 thread/s':>11} {'2 threads/s':>12} {'speed-up':>9}")
    for kind in ["tobytes", "hex", "eq"]:
        for name, make in [("memview", memview.memoryview), ("builtin", builtins.memoryview)]:
            one = run(kind, make, 1)
            two = run(kind, make, 2)
            print(f"{kind:<10} {name:<10} {one:>11.1f} {two:>12.1f} {two / one:>8.2f}x")


if __name__ == "__main__":
    main()

"""Views passed between threads: no crash, no race on export counts or released state."""

import threading

import pytest

from memview import memoryview as mv
from conftest import builtin_memoryview as bmv


def run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_shared_view_read_and_sliced_from_many_threads():
    data = bytearray(range(256)) * 16
    m = mv(data)

    def work(i):
        for _ in range(2000):
            s = m[i::8]
            assert s[0] == i % 256
            assert len(s.tobytes()) == len(s)
            e = bmv(s)           # an export counted on `s`, from this thread
            e.release()

    run_threads(8, work)
    m.release()
    data.append(0)                # every export and view is gone


def test_release_races_are_safe():
    for _ in range(50):
        m = mv(bytearray(1024))
        outcomes = []

        def work(i):
            try:
                if i % 2:
                    m.release()
                else:
                    outcomes.append(len(m[1:].tobytes()))
            except ValueError as e:
                assert "released" in str(e)

        run_threads(4, work)
        with pytest.raises(ValueError):
            m.tobytes()
        assert all(n == 1023 for n in outcomes)


def test_exports_counted_exactly_across_threads():
    m = mv(bytearray(64))
    held = []
    lock = threading.Lock()

    def work(i):
        for _ in range(200):
            e = bmv(m)
            with lock:
                held.append(e)

    run_threads(6, work)
    with pytest.raises(BufferError, match="1200 exported buffers"):
        m.release()
    for e in held:
        e.release()
    m.release()

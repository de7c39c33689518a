"""A small program typed against memview's stubs, checked with `mypy --strict`."""

import memview
from memview import struct


def column_sum(data: bytes, width: int, column: int) -> int:
    grid = memview.memoryview(data).cast("B", [len(data) // width, width])
    total = 0
    for value in grid[:, column].tolist():
        total += int(value)
    return total


def header(record: bytes) -> tuple[int, float]:
    tag, price = struct.unpack("<Id", record)
    return int(tag), float(price)


def fill(buffer: bytearray) -> memview.memoryview:
    with memview.memoryview(buffer) as m:
        shape: tuple[int, ...] = m.shape
        m[0] = len(shape)
        struct.pack_into("<h", buffer, 1, -2)
        return m.toreadonly()


s = struct.Struct("<hI")
packed: bytes = s.pack(-2, 7)
values: tuple[object, ...] = s.unpack(packed)
hexed: str = memview.memoryview(packed).hex(":", 2)
size: int = struct.calcsize("<q") + s.size
records = list(s.iter_unpack(packed * 2))
transposed: memview.memoryview = memview.memoryview(bytes(6)).cast("B", [2, 3]).T

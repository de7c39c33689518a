"""Computes the values tests/python.rs checks, with CPython's struct and memoryview and NumPy.

Run: python3 crates/examples/tests/expected.py
"""
import struct

import numpy as np

frames = [(i * 1000 - 3000, 1234 - i * 700) for i in range(8)]
data = b"".join(struct.pack("<hh", l, r) for l, r in frames)
header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 2,
                     44100, 44100 * 4, 4, 16, b"data", len(data))
wav = header + data
print("header", struct.unpack("<4sI4s4sIHHIIHH4sI", wav[:44]))
left = memoryview(wav)[44:].cast("h")[::2]
print("left", left.tolist(), "peak", max(abs(x) for x in left), "sum", sum(left))

img = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
green = img[1:5, 2:7][:, ::-1][..., 1]
print("green", green.shape, green.strides, green.tobytes().hex(), int(green.sum()))

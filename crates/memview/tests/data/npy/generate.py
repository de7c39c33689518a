"""Writes the .npy test files and what NumPy reads from them (expected.json) into a folder.

    python3 generate.py [DIR]      (default: this file's folder; needs NumPy from PyPI)
"""
import json
import os
import sys

import numpy as np

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
out = {}


def save(name, a):
    path = os.path.join(out_dir, name + ".npy")
    np.save(path, a)
    b = np.load(path)
    entry = {"shape": list(b.shape), "descr": np.lib.format.dtype_to_descr(b.dtype),
             "fortran": bool(np.isfortran(b)) and b.ndim > 1}
    if b.dtype.names:
        entry["sums"] = {n: (float(b[n].sum()) if b[n].dtype.kind in "fiub" else None) for n in b.dtype.names}
    elif b.dtype.kind in "fiub":
        entry["sum"] = float(b.sum())
    if b.dtype.kind not in "cV":
        entry["tolist"] = b.tolist() if b.dtype.kind != "S" else [x.decode() for x in b.ravel().tolist()]
    out[name] = entry


save("f8_2x3", np.arange(6, dtype="<f8").reshape(2, 3) / 4)
save("f4_fortran_3x2", np.asfortranarray(np.arange(6, dtype="<f4").reshape(3, 2) * 1.5))
save("i4_big_endian", np.array([1, -2, 300000], dtype=">i4"))
save("u1_vector", np.arange(10, dtype="u1"))
save("bool", np.array([True, False, True]))
save("i8_scalar", np.array(42, dtype="<i8"))
save("f8_empty_0x3", np.zeros((0, 3), dtype="<f8"))
save("c16", np.array([1 + 2j, -0.5j], dtype="<c16"))
rec = np.array([(1, 0.5, b"ab"), (2, 1.5, b"cde"), (3, -2.0, b"")],
               dtype=[("id", "<i4"), ("price", "<f8"), ("tag", "S3")])
save("records", rec)
sub = np.zeros(2, dtype=[("v", "<f4", (2,)), ("n", "<u2")])
sub["v"] = [[1, 2], [3, 4]]
sub["n"] = [7, 8]
save("subarray_records", sub)
with open(os.path.join(out_dir, "expected.json"), "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)

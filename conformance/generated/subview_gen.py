"""Random multi-dimensional keys: CPython's answer (usually a refusal) and NumPy's result."""
import json
import random
import struct
import numpy as np
from _testbuffer import ndarray, ND_WRITABLE
from common import enc, pykey

random.seed(9001)
FMTS = {"B": "u1", "b": "i1", "h": "i2", "H": "u2", "i": "i4", "I": "u4", "q": "i8", "Q": "u8",
        "f": "f4", "d": "f8", "?": "?", "<i": "<i4", ">h": ">i2", "e": "f2", ">d": ">f8"}


def rand_key(ndim):
    parts = []
    n = random.randint(1, ndim + 1) if ndim else 1
    for _ in range(n):
        r = random.random()
        if r < 0.4:
            parts.append(random.randint(-2, 2))
        elif r < 0.85:
            parts.append({"slice": [random.choice([None, -2, 0, 1, 3]), random.choice([None, -1, 2, 5]),
                                    random.choice([None, 1, 2, -1, -2])]})
        else:
            parts.append("...")
    if parts.count("...") > 1:
        parts = [p for p in parts if p != "..."] + ["..."]
    return parts if random.random() < 0.9 else parts[0]


def observe_np(a):
    out = {"shape": list(a.shape), "ndim": a.ndim, "tolist": enc(a.tolist()),
           "tobytes": {"bytes": a.tobytes("C").hex()}, "tobytes:F": {"bytes": a.tobytes("F").hex()}}
    if a.size > 0:
        out["strides"] = list(a.strides)
    return out


def observe_mv(m, names):
    out = {}
    for n in names:
        if n == "shape": out[n] = list(m.shape)
        elif n == "strides": out[n] = list(m.strides)
        elif n == "ndim": out[n] = m.ndim
        elif n == "tolist": out[n] = enc(m.tolist())
        elif n == "tobytes": out[n] = {"bytes": m.tobytes().hex()}
        elif n == "tobytes:F": out[n] = {"bytes": m.tobytes("F").hex()}
    return out


cases = []
for i in range(4000):
    fmt = random.choice(list(FMTS))
    itemsize = struct.calcsize(fmt)
    ndim = random.choice([1, 2, 2, 3])
    shape = [random.randint(1, 4) for _ in range(ndim)]
    strides = []
    acc = itemsize
    for d in reversed(shape):
        strides.insert(0, acc * random.choice([1, 1, -1]))
        acc *= d * random.choice([1, 2])
    low = sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
    high = sum((n - 1) * s for n, s in zip(shape, strides) if s > 0)
    offset = -low
    nitems = (high - low) // itemsize + 1
    raw = np.frombuffer(bytes(random.getrandbits(8) for _ in range(nitems * itemsize)), dtype=FMTS[fmt]).copy()
    if FMTS[fmt] in ("f4", "f8", "f2", ">f8"):
        raw[~np.isfinite(raw)] = 0
    mem = raw.tobytes()
    arr = np.ndarray(shape=shape, dtype=FMTS[fmt], buffer=bytearray(mem), offset=offset, strides=strides)
    key = rand_key(ndim)
    try:
        sub = arr[pykey(key)]
    except Exception:
        continue
    if not isinstance(sub, np.ndarray):
        continue  # an item, not a view
    ext = observe_np(sub)
    names = list(ext)
    # CPython's answer on the same layout.
    items = [x.item() if hasattr(x, "item") else x for x in raw.tolist()] if fmt not in ("<i", ">h", "e", ">d") else None
    source = {"memory": mem.hex(), "format": fmt, "itemsize": itemsize, "shape": shape, "strides": strides,
              "offset": offset, "readonly": False}
    case = {"id": f"extra-subview-{i}", "group": "view", "source": source, "ops": [["getitem", key]], "observe": names}
    try:
        nd = ndarray(raw.tolist() if items is None else items, shape=shape, strides=strides, offset=offset,
                     format=fmt, flags=ND_WRITABLE)
        m = memoryview(nd)[pykey(key)]
        if not isinstance(m, memoryview):
            continue
        plain = observe_mv(m, names)
        if plain != ext:
            continue  # CPython and NumPy disagree: not a case either semantics can pin down
        case["expect"] = {"ok": plain}
    except NotImplementedError:
        case["expect"] = {"error": "NotImplementedError", "at": 0}
        case["expect_extended"] = {"ok": ext}
    except TypeError as e:
        if "invalid slice key" not in str(e):
            continue
        case["expect"] = {"error": "TypeError", "at": 0}
        case["expect_extended"] = {"ok": ext}
    except Exception:
        continue
    cases.append(case)

with open("extra-subview.jsonl", "w") as f:
    for c in cases:
        f.write(json.dumps(c) + "\n")
print(len(cases))

"""Random assignments through N-D keys: CPython's answer (usually a refusal) and NumPy's result."""
import json
import random
import struct
import numpy as np
from _testbuffer import ndarray, ND_WRITABLE
from common import enc, pykey

random.seed(31337)
FMTS = {"B": "u1", "b": "i1", "h": "i2", "H": "u2", "i": "i4", "q": "i8", "d": "f8", "f": "f4", "?": "?", "<i": "<i4", ">h": ">i2"}


def rand_key(ndim):
    parts = []
    for _ in range(random.randint(1, ndim)):
        r = random.random()
        if r < 0.4:
            parts.append(random.randint(-2, 2))
        elif r < 0.85:
            parts.append({"slice": [random.choice([None, -2, 0, 1]), random.choice([None, -1, 3]),
                                    random.choice([None, 1, 2, -1])]})
        else:
            parts.append("...")
    if parts.count("...") > 1:
        parts = [p for p in parts if p != "..."] + ["..."]
    return parts if random.random() < 0.85 else parts[0]


def layout(fmt, shape):
    itemsize = struct.calcsize(fmt)
    strides = []
    acc = itemsize
    for d in reversed(shape):
        strides.insert(0, acc * random.choice([1, -1]))
        acc *= d
    low = sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
    high = sum((n - 1) * s for n, s in zip(shape, strides) if s > 0)
    nitems = (high - low) // itemsize + 1
    raw = np.frombuffer(bytes(random.getrandbits(8) for _ in range(nitems * itemsize)), dtype=FMTS[fmt]).copy()
    if raw.dtype.kind == "f":
        raw[~np.isfinite(raw)] = 0
    if raw.dtype.kind == "b":
        raw = raw.astype(bool)
    return raw, strides, -low, itemsize


cases = []
for i in range(3000):
    fmt = random.choice(list(FMTS))
    shape = [random.randint(1, 3) for _ in range(random.choice([1, 2, 3]))]
    raw, strides, offset, itemsize = layout(fmt, shape)
    mem = bytearray(raw.tobytes())
    arr = np.ndarray(shape=shape, dtype=FMTS[fmt], buffer=mem, offset=offset, strides=strides)
    key = rand_key(len(shape))
    try:
        target = arr[pykey(key)]
    except Exception:
        continue
    if not isinstance(target, np.ndarray) or target.size == 0:
        continue
    source = {"memory": bytes(mem).hex(), "format": fmt, "itemsize": itemsize, "shape": shape, "strides": strides,
              "offset": offset, "readonly": False}
    if random.random() < 0.6:
        # From another exporter of the same format and shape.
        oraw, ostrides, ooffset, _ = layout(fmt, list(target.shape)) if target.ndim else (None, [], 0, itemsize)
        if target.ndim == 0:
            oraw = np.frombuffer(bytes(random.getrandbits(8) for _ in range(itemsize)), dtype=FMTS[fmt]).copy()
            if oraw.dtype.kind == "f":
                oraw[~np.isfinite(oraw)] = 0
            if oraw.dtype.kind == "b":
                oraw = oraw.astype(bool)
        omem = bytearray(oraw.tobytes())
        other = np.ndarray(shape=list(target.shape), dtype=FMTS[fmt], buffer=omem, offset=ooffset, strides=ostrides)
        value = {"view": {"memory": bytes(omem).hex(), "format": fmt, "itemsize": itemsize, "shape": list(target.shape),
                          "strides": ostrides, "offset": ooffset, "readonly": True}}
        np_value = other
    else:
        kind = np.dtype(FMTS[fmt]).kind
        v = {"i": random.choice([0, 1, 7, -1]), "u": random.choice([0, 1, 7]), "f": 1.5, "b": True}[kind]
        value = enc(v)
        np_value = v
    try:
        arr[pykey(key)] = np_value
    except Exception:
        continue
    ext = {"memory": {"bytes": bytes(mem).hex()}, "tolist": enc(arr.tolist())}
    case = {"id": f"extra-assign-{i}", "group": "view", "source": source, "ops": [["setitem", key, value]],
            "observe": ["memory", "tolist"]}
    # CPython's answer.
    try:
        items = np.frombuffer(bytes.fromhex(source["memory"]), dtype=FMTS[fmt]).tolist()
        nd = ndarray(items, shape=shape, strides=strides, offset=offset, format=fmt, flags=ND_WRITABLE)
        m = memoryview(nd)
        if "view" in value:
            v = value["view"]
            oitems = np.frombuffer(bytes.fromhex(v["memory"]), dtype=FMTS[fmt]).tolist()
            rhs = ndarray(oitems, shape=v["shape"], strides=v["strides"], offset=v["offset"], format=fmt)
        else:
            rhs = np_value
        m[pykey(key)] = rhs
        continue  # CPython managed it itself: the other generators cover that path
    except NotImplementedError:
        case["expect"] = {"error": "NotImplementedError", "at": 0}
    except TypeError as e:
        if "invalid slice key" not in str(e):
            continue
        case["expect"] = {"error": "TypeError", "at": 0}
    except Exception:
        continue
    case["expect_extended"] = {"ok": ext}
    cases.append(case)

with open("extra-assign.jsonl", "w") as f:
    for c in cases:
        f.write(json.dumps(c) + "\n")
print(len(cases))

"""Random `eq` cases: two views, possibly of different formats, compared with CPython's ==."""
import json
import random
import struct
from _testbuffer import ndarray, ND_WRITABLE, ND_PIL

random.seed(4242)
FMTS = ["B", "b", "h", "H", "i", "I", "l", "q", "Q", "f", "d", "?", "c", "<i", ">i", "=h", "2h", "<d", "e", "P"]


def values_for(fmt, n):
    c = fmt[-1]
    out = []
    for _ in range(n):
        if c == "c":
            out.append(random.choice([b"a", b"b"]))
        elif c == "?":
            out.append(random.choice([True, False]))
        elif c in "fde":
            out.append(random.choice([0.0, -0.0, 1.5, 2.0, float("nan"), 1.0]))
        elif fmt == "2h":
            out.append((random.choice([0, 1, -1]), random.choice([0, 2])))
        elif c in "BHIQLP":
            out.append(random.choice([0, 1, 2, 100]))
        else:
            out.append(random.choice([0, 1, -1, 2, 100]))
    return out


def side(values, fmt, shape):
    itemsize = struct.calcsize(fmt)
    n = len(values)
    pil = random.random() < 0.15 and len(shape) >= 1
    readonly = random.random() < 0.5
    strides = []
    acc = itemsize
    for d in reversed(shape):
        strides.insert(0, acc)
        acc *= max(d, 1)
    flags = (0 if readonly else ND_WRITABLE) | (ND_PIL if pil else 0)
    try:
        nd = ndarray(values, shape=shape, strides=strides, offset=0, format=fmt, flags=flags)
    except Exception:
        return None, None
    mem = b"".join(struct.pack(fmt, *(v if isinstance(v, tuple) else (v,))) for v in values)
    src = {"memory": mem.hex(), "format": fmt, "itemsize": itemsize, "shape": shape, "strides": strides,
           "offset": 0, "readonly": readonly}
    if pil:
        src["pil"] = True
    m = memoryview(nd)
    ops = []
    for _ in range(random.randint(0, 2)):
        r = random.random()
        if r < 0.4 and m.ndim >= 1:
            sl = [random.choice([None, 0, 1, -1]), random.choice([None, 2, -1]), random.choice([None, 1, -1, 2])]
            ops.append(["getitem", {"slice": sl}])
            m = m[slice(*sl)]
        elif r < 0.6:
            f2 = random.choice(["B", "b", "c", "i", "h"])
            ops.append(["cast", f2])
            try:
                m = m.cast(f2)
            except Exception:
                return None, None
        elif r < 0.8:
            ops.append(["toreadonly"])
            m = m.toreadonly()
        else:
            ops.append(["release"])
            m.release()
            break
    return {"source": src, "ops": ops}, m


cases = []
for i in range(3000):
    shape = random.choice([[], [3], [4], [2, 3], [0], [3, 0], [1, 2, 2]])
    n = 1
    for d in shape:
        n *= d
    fa = random.choice(FMTS)
    fb = fa if random.random() < 0.4 else random.choice(FMTS)
    va = values_for(fa, max(n, 1) if shape == [] else n)
    vb = list(va) if fa[-1] == fb[-1] or random.random() < 0.3 else values_for(fb, len(va))
    if fa[-1] != fb[-1]:
        vb = values_for(fb, len(va))
    shape_b = shape if random.random() < 0.9 else random.choice([[3], [2, 3]])
    nb = 1
    for d in shape_b:
        nb *= d
    if shape_b != shape:
        vb = values_for(fb, max(nb, 1) if shape_b == [] else nb)
    a, ma = side(va, fa, shape)
    b, mb = side(vb, fb, shape_b)
    if a is None or b is None:
        continue
    try:
        res = {"ok": ma == mb}
    except Exception as e:
        res = {"error": type(e).__name__}
    cases.append({"id": f"extra-eq-{i}", "group": "eq", "a": a, "b": b, "expect": res})

with open("extra-eq.jsonl", "w") as f:
    for c in cases:
        f.write(json.dumps(c) + "\n")
print(len(cases))

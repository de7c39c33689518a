import random, json, struct
from _testbuffer import ndarray, ND_WRITABLE, ND_PIL
from common import enc, pykey
random.seed(777)
FMTS = ["B", "b", "c", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "f", "d", "?", "P", "@i", "<i", ">h", "2h"]
def val_for(fmt):
    c = fmt[-1]
    if c == "c": return random.choice([b"a", b"\x00", b"ab", 5])
    if c == "?": return random.choice([True, False, 0, 3])
    if c in "fd": return random.choice([1.5, -0.0, 1e300, float("inf"), 2, b"x"])
    return random.choice([0, 1, -1, 127, 255, 256, -129, 2**31, 2**63, 2**64, 1.5, b"a", True])
def rand_layout(itemsize):
    ndim = random.choice([0, 1, 1, 2, 2, 3])
    shape = [random.randint(0, 4) for _ in range(ndim)]
    strides = []
    for d in range(ndim):
        strides.append(random.choice([1, 2, -1, 3]) * itemsize * random.choice([1, 1, 2]))
    # compute needed memory and offset
    low = high = 0
    for n, s in zip(shape, strides):
        if n == 0: continue
        span = (n - 1) * s
        if span < 0: low += span
        else: high += span
    offset = -low
    memlen = high - low + itemsize
    if any(n == 0 for n in shape): offset = 0; memlen = itemsize
    return shape, strides, offset, memlen
def rand_key(ndim):
    r = random.random()
    def sl():
        return {"slice": [random.choice([None, -3, -1, 0, 1, 2, 5]), random.choice([None, -1, 0, 2, 4, 9]), random.choice([None, 1, 2, -1, -2, 0])]}
    if r < 0.05: return random.choice([True, False, [True, 0], [1, False], [True, {"slice": [None, None, None]}]])
    if r < 0.4: return random.randint(-5, 5)
    if r < 0.7: return sl()
    return [random.randint(-3, 3) for _ in range(random.choice([ndim, ndim, ndim + 1]))]
def observe(m, name, mem_obj):
    if name == "released": return m.obj is None if False else None
    if name in ("format","itemsize","ndim","nbytes","readonly","c_contiguous","f_contiguous","contiguous"):
        return getattr(m, name)
    if name in ("shape","strides","suboffsets"): return list(getattr(m, name))
    if name == "len": return len(m)
    if name == "tolist": return enc(m.tolist())
    if name.startswith("tobytes"):
        order = name.split(":")[1] if ":" in name else "C"
        return {"bytes": m.tobytes(order).hex()}
    if name == "hex": return m.hex()
    if name.startswith("hex:"):
        rest = name[4:]; sep = rest[0]; n = int(rest[2:])
        return m.hex(sep, n)
    if name.startswith("item:"):
        return enc(m[pykey(json.loads(name[5:]))])
    if name == "memory":
        m.nbytes
        return {"bytes": mem_obj.tobytes().hex()}
    raise KeyError(name)
OBS = ["format","itemsize","ndim","nbytes","readonly","shape","strides","suboffsets","c_contiguous","f_contiguous","contiguous","len","tolist","tobytes","tobytes:F","tobytes:A","hex","hex:-:2","hex:::-3"]
cases = []
for i in range(6000):
    fmt = random.choice(FMTS)
    itemsize = struct.calcsize(fmt)
    shape, strides, offset, memlen = rand_layout(itemsize)
    memlen += random.randint(0, 4)
    nitems = -(-memlen // itemsize)
    raw = bytes(random.getrandbits(8) for _ in range(nitems * itemsize))
    items = []
    for k in range(nitems):
        t = struct.unpack(fmt, raw[k*itemsize:(k+1)*itemsize])
        items.append(t[0] if len(t) == 1 else t)
    mem = bytearray(b"".join(struct.pack(fmt, *(it if isinstance(it, tuple) else (it,))) for it in items))
    readonly = random.random() < 0.3
    pil = random.random() < 0.15 and len(shape) >= 1 and all(s > 0 for s in strides[1:]) and fmt[0] not in "<>2"
    flags = (0 if readonly else ND_WRITABLE) | (ND_PIL if pil else 0)
    try:
        nd = ndarray(items, shape=shape, strides=strides, offset=offset, format=fmt, flags=flags)
    except Exception as e:
        continue
    source = {"memory": mem.hex(), "format": fmt, "itemsize": itemsize, "shape": shape, "strides": strides, "offset": offset, "readonly": readonly}
    if pil: source["pil"] = True
    m = memoryview(nd)
    ndarray_base = memoryview(nd) if not pil else None
    ops = []
    err = None
    for k in range(random.randint(0, 3)):
        r = random.random()
        try:
            cur_ndim = m.ndim
        except ValueError:
            cur_ndim = 1
        if r < 0.35:
            key = rand_key(cur_ndim); op = ["getitem", key]
        elif r < 0.55:
            f2 = random.choice(["B", "b", "c", "i", "d", "h", "@B", "<i", "e"])
            if random.random() < 0.5: op = ["cast", f2]
            else: op = ["cast", f2, [random.randint(0, 4) for _ in range(random.randint(0, 2))]]
        elif r < 0.8:
            key = rand_key(cur_ndim) if random.random() < 0.7 else random.choice(["...", []])
            op = ["setitem", key, enc(val_for(fmt))]
        elif r < 0.9: op = ["toreadonly"]
        else: op = ["release"]
        ops.append(op)
        try:
            if op[0] == "getitem":
                r2 = m[pykey(op[1])]
                if not isinstance(r2, memoryview): ops.pop(); continue
                m = r2
            elif op[0] == "cast":
                m = m.cast(op[1], *([op[2]] if len(op) > 2 else []))
            elif op[0] == "setitem":
                v = op[2]
                pv = {"int": None}
                val = json.loads(json.dumps(v))
                def dec(x):
                    if isinstance(x, dict):
                        if "int" in x: return int(x["int"])
                        if "float" in x: return float(x["float"])
                        if "bytes" in x: return bytes.fromhex(x["bytes"])
                    return x
                m[pykey(op[1])] = dec(val)
            elif op[0] == "toreadonly": m = m.toreadonly()
            else: m.release()
        except Exception as e:
            err = (type(e).__name__, len(ops) - 1, str(e)); break
    obs = random.sample(OBS, 4) + (["item:0"] if random.random() < 0.3 else []) + (["released"] if random.random() < 0.1 else [])
    case = {"id": f"extra-view-{i}", "group": "view", "source": source, "ops": ops, "observe": obs}
    if err is None:
        out = {}
        for k2, name in enumerate(obs):
            try:
                if name == "released":
                    try: m.nbytes; out[name] = False
                    except ValueError: out[name] = True
                    continue
                out[name] = observe(m, name, ndarray_base)
            except Exception as e:
                err = (type(e).__name__, len(ops) + k2, str(e)); break
    if err is not None:
        kind, at, msg = err
        if kind == "NotImplementedError" or "invalid slice key" in msg or "0-dim" in msg or kind == "TypeError" and "cannot index" in msg:
            continue
        case["expect"] = {"error": kind, "at": at}
    else:
        case["expect"] = {"ok": out}
    try: json.dumps(case)
    except Exception: continue
    cases.append(case)
with open("extra-view.jsonl", "w") as f:
    for c in cases: f.write(json.dumps(c) + "\n")
print(len(cases))

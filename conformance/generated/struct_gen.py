import struct, random, json
from common import enc, pykey
random.seed(12345)
codes = "xcbB?hHiIlLqQnNefdspP"
def rand_fmt():
    p = random.choice(["", "@", "=", "<", ">", "!", " ", "@ "])
    items = []
    for _ in range(random.randint(0, 6)):
        c = random.choice(codes + "  ")
        if c == " ":
            items.append(random.choice([" ", "\t", "\n"])); continue
        n = random.choice(["", "", "0", "1", "2", "3", "12"])
        items.append(n + c)
    if random.random() < 0.05: items.append(random.choice(["3", "T", "w", "Z", "2 i"]))
    return p + "".join(items)
def rand_val(c):
    r = random.random()
    if c in "bBhHiIlLqQnNP":
        return random.choice([0, 1, -1, 127, 128, 255, 256, -129, 32767, 65536, 2**31, -2**31-1, 2**32, 2**63-1, 2**63, 2**64-1, 2**64, -2**63, 10**30, random.randint(-2**70, 2**70), True, 1.0, b"a"])
    if c in "efd":
        return random.choice([0.0, -0.0, 1.5, 65504.0, 65520.0, 1e300, -1e-8, float("inf"), float("nan"), 3, 10**40, True, b"x", 2**-24, 2**-25, 3.4e38, 3.5e38])
    if c == "?": return random.choice([True, False, 0, 2, b"", b"a", 0.0, [], [1]])
    if c == "c": return random.choice([b"a", b"", b"ab", 1])
    return random.choice([b"", b"abc", b"a"*300, 1, bytearray(b"zz")])
def kind(e):
    if isinstance(e, struct.error): return "StructError"
    return type(e).__name__
cases = []
for i in range(6000):
    fmt = rand_fmt()
    op = random.choice(["calcsize", "pack", "unpack", "iter_unpack", "pack_into", "unpack_from"])
    case = {"id": f"extra-struct-{i}", "group": "struct", "op": op, "format": fmt}
    try:
        size = struct.calcsize(fmt)
        nvals = len(struct.unpack(fmt, bytes(size)))
    except Exception:
        size, nvals = 0, 0
    # value codes in order
    vcodes = []
    try:
        s = struct.Struct(fmt)
        vcodes = [None]*nvals
    except Exception: pass
    # build codes from fmt roughly
    seq = []
    num = ""
    for ch in fmt:
        if ch.isdigit(): num += ch; continue
        if ch in codes:
            n = int(num) if num else 1
            if ch in "sp": seq.append(ch)
            elif ch != "x": seq += [ch]*n
        num = ""
    try:
        if op == "calcsize":
            res = struct.calcsize(fmt)
        elif op == "pack":
            vals = [rand_val(c) for c in seq]
            if random.random() < 0.05 and vals: vals.pop()
            case["values"] = [enc(v) for v in vals]
            res = {"bytes": struct.pack(fmt, *vals).hex()}
        elif op == "unpack":
            b = bytes(random.getrandbits(8) for _ in range(size + random.choice([0,0,0,1,-1]) if size else random.choice([0,1])))
            case["bytes"] = b.hex(); res = [enc(v) for v in struct.unpack(fmt, b)]
        elif op == "iter_unpack":
            b = bytes(random.getrandbits(8) for _ in range(size*random.randint(0,3) + random.choice([0,0,1])))
            case["bytes"] = b.hex(); res = [[enc(v) for v in t] for t in struct.iter_unpack(fmt, b)]
        elif op == "unpack_from":
            b = bytes(random.getrandbits(8) for _ in range(size + random.randint(0, 6)))
            off = random.randint(-len(b)-2, len(b)+2)
            case["bytes"] = b.hex(); case["offset"] = off; res = [enc(v) for v in struct.unpack_from(fmt, b, off)]
        else:
            vals = [rand_val(c) for c in seq]
            buf = bytearray(random.getrandbits(8) for _ in range(size + random.randint(0, 6)))
            off = random.randint(-len(buf)-2, len(buf)+2)
            case["values"] = [enc(v) for v in vals]; case["buffer"] = buf.hex(); case["offset"] = off
            struct.pack_into(fmt, buf, off, *vals); res = {"bytes": buf.hex()}
        case["expect"] = {"ok": res}
    except Exception as e:
        if "values" not in case and op in ("pack", "pack_into"):
            continue
        if isinstance(e, (UnicodeEncodeError, SystemError)): continue
        case["expect"] = {"error": kind(e)}
    # skip unencodable values (bytearray, lists)
    try: json.dumps(case)
    except Exception: continue
    cases.append(case)
with open("extra-struct.jsonl", "w") as f:
    for c in cases: f.write(json.dumps(c) + "\n")
print(len(cases))

"""Helpers shared by the case generators: values and keys in the cases' JSON form."""


def enc(v):
    """A Python (or NumPy scalar) value in the JSON form of SCHEMA.md."""
    if type(v).__module__ == "numpy":
        v = v.item()
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -2**63 <= v < 2**64 else {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    raise TypeError(type(v))


def pykey(k):
    """A JSON key as the Python key it stands for."""
    if isinstance(k, dict):
        return slice(*k["slice"])
    if isinstance(k, list):
        return tuple(pykey(x) for x in k)
    if k == "...":
        return Ellipsis
    return k

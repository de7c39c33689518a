"""The ``struct`` module over memview's ``format-codec``: the same functions, classes,
results and errors as CPython's ``struct``."""

from memview._memview import struct as _impl

error = _impl.error
Struct = _impl.Struct
calcsize = _impl.calcsize
pack = _impl.pack
pack_into = _impl.pack_into
unpack = _impl.unpack
unpack_from = _impl.unpack_from
iter_unpack = _impl.iter_unpack
_clearcache = _impl._clearcache

__all__ = [
    "calcsize", "pack", "pack_into", "unpack", "unpack_from",
    "iter_unpack", "Struct", "error",
]

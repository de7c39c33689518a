"""memview: Python's buffer protocol done in Rust.

``memview.memoryview`` is the builtin ``memoryview`` (same API, same results, same
exceptions) plus N-D extensions: ``m[:, 1]`` on an N-D view, ``m.nd[...]`` with NumPy's
indexing, ``m.T`` and ``m.transpose(*axes)``, ``m.fields`` and ``m.field(name)`` for PEP 3118
records, and ``m.to_list()`` for every format. ``memview.struct`` is the ``struct`` module.
``memview.from_dlpack(x)`` views any DLPack producer, and ``numpy.from_dlpack(m)`` takes a
view, both without a copy.
"""

import sys as _sys

from memview._memview import from_dlpack, memoryview, __version__
from memview._memview import _testing
from memview import struct

# `import memview._testing` works too (Rust exporters for the tests and the guide).
_sys.modules[__name__ + "._testing"] = _testing

__all__ = ["memoryview", "from_dlpack", "struct", "__version__"]

"""memview: Python's buffer protocol done in Rust.

``memview.memoryview`` is the builtin ``memoryview`` (same API, same results, same
exceptions) plus N-D extensions: ``m[:, 1]`` on an N-D view, ``m.nd[...]`` with NumPy's
indexing, ``m.T`` and ``m.transpose(*axes)``, ``m.fields`` and ``m.field(name)`` for PEP 3118
records, and ``m.to_list()`` for every format. ``memview.struct`` is the ``struct`` module.
"""

from memview._memview import memoryview, __version__
from memview import struct

__all__ = ["memoryview", "struct", "__version__"]

"""PEP 688 (CPython 3.12+): `memview.memoryview` has `__buffer__` and `__release_buffer__`,
and any object whose class defines `__buffer__` is an exporter. On 3.11 neither exists, for
memview as for the builtin."""

import sys

import pytest

import memview
from conftest import builtin_memoryview as bmv

NEW = sys.version_info >= (3, 12)


def test_the_methods_exist_where_the_builtin_has_them():
    for name in ("__buffer__", "__release_buffer__"):
        assert hasattr(memview.memoryview, name) == hasattr(bmv, name) == NEW


@pytest.mark.parametrize("data", [b"abc", bytearray(b"xyz"), b""])
def test_buffer_and_release_buffer(data):
    m = memview.memoryview(data)
    if not NEW:
        with pytest.raises(AttributeError):
            m.__buffer__(0)
        return
    import inspect

    inner = m.__buffer__(inspect.BufferFlags.FULL_RO)
    assert isinstance(inner, bmv)  # CPython's slot wraps an export in the builtin type
    assert bytes(inner) == bytes(data)
    with pytest.raises(BufferError):
        m.release()  # exported
    m.__release_buffer__(inner)
    m.release()
    if isinstance(data, bytearray):
        data.append(1)  # released: the exporter may resize again


def test_writable_request_of_read_only_memory_is_refused():
    if not NEW:
        return
    import inspect

    with pytest.raises(BufferError):
        memview.memoryview(b"abc").__buffer__(inspect.BufferFlags.WRITABLE)
    assert memview.memoryview(bytearray(b"abc")).__buffer__(inspect.BufferFlags.WRITABLE).readonly is False


class PythonExporter:
    """An exporter written in Python (PEP 688): its buffer is a builtin view of its data."""

    def __init__(self, data):
        self.data = data
        self.released = 0

    def __buffer__(self, flags):
        return bmv(self.data)

    def __release_buffer__(self, view):
        self.released += 1
        view.release()


def test_python_exporters_are_exporters():
    ex = PythonExporter(bytearray(b"hello"))
    if not NEW:
        with pytest.raises(TypeError):
            memview.memoryview(ex)
        return
    m = memview.memoryview(ex)
    assert m.tobytes() == b"hello"
    m[0] = ord("j")
    assert ex.data == b"jello"
    assert ex.released == 0
    m.release()
    assert ex.released == 1
    assert memview.struct.unpack_from("<h", ex, 1) == (0x6c65,)
    assert ex.released == 2

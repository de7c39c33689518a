import memview

def test_import():
    assert memview.memoryview(b"ab").tobytes() == b"ab"

"""memview's extensions to memoryview: NumPy's N-D indexing where CPython refuses."""

import pytest

from memview import memoryview as mv


def grid():
    return mv(bytearray(range(12))).cast("B", [3, 4])


def test_mixed_keys_on_nd_views():
    g = grid()
    assert g[:, 1].tolist() == [1, 5, 9]
    assert g[1, ::2].tolist() == [4, 6]
    assert g[..., -1].tolist() == [3, 7, 11]
    g[:, 0] = bytes([100, 101, 102])
    assert g.tolist()[2][0] == 102


def test_cpython_refusals_kept():
    g = grid()
    with pytest.raises(NotImplementedError):
        g[0]                        # a sub-view by one index: as CPython
    with pytest.raises(NotImplementedError):
        g[1:, ::2]                  # all slices: as CPython
    with pytest.raises(TypeError):
        mv(b"abc")[0, :]            # 1-D with a tuple: as CPython


def test_nd_indexer_is_numpy():
    g = grid()
    row = g.nd[1]
    assert row.tolist() == [4, 5, 6, 7]
    assert g.nd[1:, ::2].tolist() == [[4, 6], [8, 10]]
    assert g.nd[::-1, ::-1].tolist()[0] == [11, 10, 9, 8]
    assert g.nd[2, 3] == 11
    assert g.nd[None].shape == (1, 3, 4)
    g.nd[0] = bytes([9, 9, 9, 9])
    assert g[0, 3] == 9
    with pytest.raises(IndexError):
        g.nd[3]


def test_transpose_and_reshape():
    g = grid()
    assert g.T.shape == (4, 3)
    assert g.T.tolist()[1] == [1, 5, 9]
    assert g.transpose(1, 0).strides == (1, 4)
    assert g.reshape([2, 6]).tolist()[1] == [6, 7, 8, 9, 10, 11]


def test_to_list_of_every_format():
    m = mv(bytes([1, 0, 0, 0, 2, 0, 0, 0])).cast("B", [2, 4])
    assert m.to_list() == [[1, 0, 0, 0], [2, 0, 0, 0]]   # rows are lists


def test_count_and_index():
    m = mv(b"abcabc")
    assert m.count(ord("a")) == 2
    assert m.index(ord("c")) == 2
    with pytest.raises(ValueError):
        m.index(ord("z"))

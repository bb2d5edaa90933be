"""The Tensor object: construction, dtypes, operators with arrays and scalars, errors."""
import numpy as np
import pytest

import minigrad as mg


def test_dtype_rules():
    assert mg.Tensor([[1.0, 2.0]]).dtype == np.float32        # Python floats -> float32
    assert mg.Tensor(2.5).dtype == np.float32
    assert mg.Tensor(np.ones(2)).dtype == np.float64          # float arrays keep their dtype
    assert mg.Tensor(np.ones(2, dtype=np.float16)).dtype == np.float16
    assert mg.Tensor([1, 2]).dtype == np.int64                # integer tensors exist (labels)
    assert mg.Tensor([1, 2], dtype=np.float64).dtype == np.float64
    x = mg.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    w = mg.Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    y = (x @ w).relu().sum()
    y.backward()
    assert x.grad.shape == (4, 3) and x.grad.dtype == np.float64
    assert w.grad.shape == (3, 2) and w.grad.dtype == np.float32


def test_float32_stays_float32_with_python_scalars():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5 + 1 - 0.5) / 3.0 ** 1.0
    assert y.dtype == np.float32


def test_grad_is_none_before_backward_and_assignable():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    x.grad = np.array([0.5, 0.5], dtype=np.float32)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.5, 2.5])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        mg.Tensor([1, 2], requires_grad=True)
    labels = mg.Tensor([0, 1])
    with pytest.raises(TypeError, match="floating-point"):
        labels.requires_grad = True
    assert labels.requires_grad is False


@pytest.mark.parametrize("bad", ["abc", ["a", 1.0], {"x": 1}, None, object()])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="numeric"):
        mg.Tensor(bad)


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    for result in (np.ones(3) + x, np.ones(3) * x, np.ones(3) - x, np.ones(3) / x,
                   np.ones((2, 3)) @ x, 2.0 ** x):
        assert isinstance(result, mg.Tensor)
        assert result.data.dtype == np.float64
        assert result.requires_grad


def test_reflected_operators_compute_the_right_values():
    x = mg.Tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    np.testing.assert_allclose((10 - x).data, [9, 8, 6])
    np.testing.assert_allclose((8 / x).data, [8, 4, 2])
    np.testing.assert_allclose((2 ** x).data, [2, 4, 16])
    np.testing.assert_allclose((np.array([1.0, 1.0, 1.0]) @ x).data, 7.0)
    np.testing.assert_allclose((-x).data, [-1, -2, -4])
    np.testing.assert_allclose(abs(mg.Tensor([-1.0, 2.0])).data, [1, 2])


def test_shape_facts_and_conversions():
    x = mg.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.numpy() is x.data
    assert x[1, 2].item() == 5.0
    assert float(x.sum()) == 15.0
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        x.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)


def test_comparisons_give_boolean_tensors_without_grad():
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [False, True, True])
    assert (x == x).data.all()
    assert len({x, x}) == 1  # hashable by identity


def test_repr_shows_values_dtype_and_origin():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x) and "float32" in repr(x)
    assert "op=mul" in repr(x * 2)


def test_shape_mismatches_name_both_shapes():
    a = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        a @ mg.Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        a + mg.Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2,\)"):
        a * np.ones(2)


def test_reshape_error_names_the_sizes():
    with pytest.raises(ValueError, match="6.*4"):
        mg.Tensor(np.ones((2, 3))).reshape(4)


def test_requires_grad_cannot_be_switched_off_on_a_result():
    x = mg.Tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad = False
    assert y.detach().requires_grad is False


def test_heavy_submodules_load_on_first_use():
    import subprocess
    import sys

    code = ("import sys, minigrad as mg; heavy = ('matplotlib', 'sklearn');"
            "assert not any(m in sys.modules for m in heavy), 'imported eagerly';"
            "assert callable(mg.viz.draw_graph) and callable(mg.lab.run)")
    subprocess.run([sys.executable, "-c", code], check=True)

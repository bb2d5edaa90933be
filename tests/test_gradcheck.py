"""gradcheck itself: it passes correct gradients, and catches and names wrong ones."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import Primitive

# A deliberately wrong primitive: the gradient of sin is cos, not -cos.
_wrong_sin = Primitive("wrong_sin_for_tests", np.sin, lambda xp, g, out, a: -g * np.cos(a))


def test_passes_on_a_correct_gradient_and_leaves_inputs_untouched():
    a = mg.Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    b = mg.Tensor(np.array([1.5, -0.5]), requires_grad=True)
    before = a.data.copy()
    assert mg.gradcheck(lambda a, b: (a * b).tanh() @ b, [a, b]) is True
    np.testing.assert_array_equal(a.data, before)
    assert a.grad is None and b.grad is None


def test_reports_input_index_and_both_values():
    a = mg.Tensor(np.array([0.3, 0.7, 1.1]), requires_grad=True)
    with pytest.raises(mg.GradcheckError) as failure:
        mg.gradcheck(lambda a: _wrong_sin(a), [a])
    message = str(failure.value)
    assert "input 0" in message and "index (0,)" in message
    assert "analytic" in message and "numeric" in message
    assert isinstance(failure.value, AssertionError)


def test_checks_the_right_input_among_several():
    constant = mg.Tensor(np.array([1.0, 2.0]))
    x = mg.Tensor(np.array([0.2, 0.4]), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match="input 1"):
        mg.gradcheck(lambda c, x: _wrong_sin(x) * c, [constant, x])


def test_float32_inputs_are_checked_in_float64():
    a = mg.Tensor([0.5, 1.5, -2.0], requires_grad=True)  # float32
    assert mg.gradcheck(lambda a: (a * a * a).sum(), [a])
    assert a.dtype == np.float32


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        mg.gradcheck(lambda a: a * 2, [mg.Tensor(np.ones(2))])


def test_function_must_return_a_tensor():
    with pytest.raises(TypeError, match="ndarray"):
        mg.gradcheck(lambda a: a.data * 2, [mg.Tensor(np.ones(2), requires_grad=True)])

"""The backward pass: order, accumulation, freeing, grad modes, anomaly detection."""
import gc
import weakref

import numpy as np
import pytest

import minigrad as mg


def test_long_chain_backprops_without_recursion():
    x = mg.Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 10_000], rtol=1e-9)


def test_diamond_graph_accumulates_both_paths():
    x = mg.Tensor(np.array([2.0, -1.0]), requires_grad=True)
    a = x * 3
    b = a.exp()
    c = a * a
    (b + c).sum().backward()
    expected = 3 * np.exp(3 * x.data) + 18 * x.data
    np.testing.assert_allclose(x.grad, expected)


def test_reuse_of_one_tensor():
    x = mg.Tensor(np.array([3.0]), requires_grad=True)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [27.0])


def test_shared_subexpression_and_same_input_twice():
    x = mg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    s = x.sum(axis=0)
    (s * s + x @ x).sum().backward()
    # s * s is broadcast over x's 2 rows, so sum(...) holds 2 sum(s^2): d/dx = 2 * 2 s per row;
    # d/dx sum(x @ x) = 1 x^T + x^T 1
    ones = np.ones((2, 2))
    expected = 4 * s.data[None, :] + ones @ x.data.T + x.data.T @ ones
    np.testing.assert_allclose(x.grad, expected)


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    x.zero_grad()
    assert x.grad is None


def test_leaf_grads_are_independent_arrays():
    # add hands the same upstream array to both inputs; each leaf must own its own grad.
    a = mg.Tensor(np.zeros(3), requires_grad=True)
    b = mg.Tensor(np.zeros(3), requires_grad=True)
    (a + b).sum().backward()
    a.grad += 1
    np.testing.assert_array_equal(b.grad, [1, 1, 1])


def test_graph_is_freed_after_backward():
    x = mg.Tensor(np.ones(4), requires_grad=True)
    hidden = x * 2
    probe = weakref.ref(hidden)
    loss = (hidden.exp() + hidden).sum()
    del hidden
    assert probe() is not None  # the graph keeps it alive until backward
    loss.backward()
    gc.collect()
    assert probe() is None


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()
    np.testing.assert_array_equal(x.grad, [2, 2])  # nothing half changed


def test_retain_graph_allows_a_second_backward():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4, 4])


def test_non_scalar_backward_needs_a_gradient():
    x = mg.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        y.backward()
    y.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_graph():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.Tensor([1.0]).backward()


def test_no_grad_records_nothing_and_is_a_decorator():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with mg.no_grad():
        y = x * 2
        with mg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y._node is None
    assert z.requires_grad

    @mg.no_grad()
    def doubled(t):
        return t * 2

    assert not doubled(x).requires_grad
    assert mg.is_grad_enabled()


def test_retain_grad_keeps_intermediate_gradients():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    np.testing.assert_array_equal(x.grad, 6 * h.data)


def test_detach_cuts_the_graph_and_shares_data():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad
    y = x * 1
    assert y.detach().data is y.data


def test_detect_anomaly_names_the_op_in_forward_and_backward():
    x = mg.Tensor(np.array([-1.0, 1.0]), requires_grad=True)
    with mg.detect_anomaly(), np.errstate(invalid="ignore", divide="ignore"):
        with pytest.raises(FloatingPointError, match="log.*forward"):
            x.log()
        y = mg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
        out = y.sqrt().sum()  # forward finite, gradient 1/(2*0) = inf
        with pytest.raises(FloatingPointError, match="sqrt.*gradient"):
            out.backward()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().data[0])  # outside the context: no check


def test_gradients_keep_each_input_dtype():
    a = mg.Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    b = mg.Tensor(np.ones((2, 2), dtype=np.float64), requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_backward_trace_reports_each_vector_jacobian_product():
    from minigrad.autograd import run_backward

    x = mg.Tensor(np.array([2.0]), requires_grad=True)
    y = (x * 3).exp()
    seen = []
    run_backward(y, np.ones(1), trace=lambda t, i, up, g: seen.append((t.op, i, g.copy())))
    assert [(op, i) for op, i, _ in seen] == [("exp", 0), ("mul", 0)]
    np.testing.assert_allclose(seen[1][2], 3 * np.exp(6.0))


def test_leaf_grad_never_aliases_the_callers_gradient_array():
    x = mg.Tensor(np.zeros(3), requires_grad=True)
    upstream = np.ones(3)
    x.backward(upstream)
    x.grad += 1
    np.testing.assert_array_equal(upstream, [1, 1, 1])
    y = mg.Tensor(np.zeros(3), requires_grad=True)
    (y.reshape(3, 1) + 0).backward(np.ones((3, 1)))  # a view of the upstream reaches the leaf
    assert y.grad.data.base is None or y.grad.data.base is not upstream


class _FailingBackward(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        raise ArithmeticError("this backward always fails")


def test_a_backward_that_raises_leaves_every_leaf_gradient_as_it_was():
    """The leaves get their gradients only after every node's rule ran: a rule that raises
    half-way changes no .grad (here one leaf had a gradient, the other none)."""
    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = mg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    (a * 5).sum().backward()
    failing = _FailingBackward.apply(a * 2).sum()
    loss = failing + (a * b).sum()  # made later, so a * b's rule runs before the failing one
    with pytest.raises(ArithmeticError, match="always fails"):
        loss.backward()
    np.testing.assert_array_equal(a.grad, [5.0, 5.0])
    assert b.grad is None

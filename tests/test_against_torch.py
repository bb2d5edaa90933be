"""Random compositions of primitives compared with torch.autograd: values and gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg

torch = pytest.importorskip("torch")

# Each step: (minigrad function, torch function) on one running value `h` and a fixed operand `w`
# of the same shape; every step keeps values in a range where all ops are smooth.
UNARY_STEPS = {
    "tanh": (lambda h, w: h.tanh(), lambda h, w: h.tanh()),
    "sigmoid": (lambda h, w: h.sigmoid(), lambda h, w: h.sigmoid()),
    "exp": (lambda h, w: (h * 0.3).exp(), lambda h, w: (h * 0.3).exp()),
    "log": (lambda h, w: (h * h + 1).log(), lambda h, w: (h * h + 1).log()),
    "sqrt": (lambda h, w: (h * h + 0.5).sqrt(), lambda h, w: (h * h + 0.5).sqrt()),
    "relu": (lambda h, w: h.relu() + h * 0.1, lambda h, w: h.relu() + h * 0.1),
    "abs": (lambda h, w: (h + 3).abs(), lambda h, w: (h + 3).abs()),
    "mul": (lambda h, w: h * w, lambda h, w: h * w),
    "div": (lambda h, w: h / (w * w + 1), lambda h, w: h / (w * w + 1)),
    "sub": (lambda h, w: w - h, lambda h, w: w - h),
    "pow": (lambda h, w: (h * h + 1) ** 1.5, lambda h, w: (h * h + 1) ** 1.5),
    "tensor_pow": (lambda h, w: (h * h + 1) ** (w * 0.5), lambda h, w: (h * h + 1) ** (w * 0.5)),
    "matmul": (lambda h, w: (h @ w.T) @ h * 0.1, lambda h, w: (h @ w.T) @ h * 0.1),
    "row_broadcast": (lambda h, w: h - h.mean(axis=0, keepdims=True), lambda h, w: h - h.mean(dim=0, keepdim=True)),
    "col_max": (lambda h, w: h + h.max(axis=1, keepdims=True), lambda h, w: h + h.amax(dim=1, keepdim=True)),
    "transpose": (lambda h, w: (h.T * w.T).T, lambda h, w: (h.T * w.T).T),
    "getitem": (lambda h, w: h[:, ::-1] * w, lambda h, w: h.flip(1) * w),
    "maximum": (lambda h, w: mg.maximum(h, w), lambda h, w: torch.maximum(h, w)),
    "clip": (lambda h, w: h.clip(-1.0, 1.0) + h * 0.5, lambda h, w: h.clamp(-1.0, 1.0) + h * 0.5),
}


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.sampled_from(sorted(UNARY_STEPS)), min_size=1, max_size=6),
       seed=st.integers(0, 2**16), rows=st.integers(1, 4), cols=st.integers(1, 4))
def test_random_compositions_match_torch(steps, seed, rows, cols):
    rng = np.random.default_rng(seed)
    x0, w0 = rng.standard_normal((rows, cols)), rng.standard_normal((rows, cols))
    x, w = mg.Tensor(x0, requires_grad=True), mg.Tensor(w0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    h, th = x, tx
    for name in steps:
        ours, theirs = UNARY_STEPS[name]
        h, th = ours(h, w), theirs(th, tw)
    loss, tloss = (h * h).sum(), (th * th).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    if tw.grad is None:  # w took no part in this composition
        assert w.grad is None
    else:
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape_a,shape_b", [((3, 4), (4, 5)), ((4,), (4, 2)), ((2, 3, 4), (4,)),
                                             ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))])
def test_matmul_matches_torch(shape_a, shape_b):
    rng = np.random.default_rng(7)
    a0, b0 = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    a, b = mg.Tensor(a0, requires_grad=True), mg.Tensor(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    out, tout = a @ b, ta @ tb
    upstream = rng.standard_normal(tout.shape)
    out.backward(upstream)
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-10)


def test_full_max_with_ties_matches_torch():
    data = np.array([[1.0, 3.0], [3.0, 0.0]])
    a, ta = mg.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    a.max().backward()
    ta.max().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy())

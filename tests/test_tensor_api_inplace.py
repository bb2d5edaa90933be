"""In-place ops with PyTorch's rules: values and gradients as PyTorch's, the same refusals
(a leaf that requires grad, a view of one, a value saved for backward then overwritten),
and the version counter."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def run(scenario, m, data):
    """``scenario(m, x)`` -> loss, then backward; returns (loss, x.grad) or the exception."""
    x = m.tensor(data.copy(), requires_grad=True)
    try:
        loss = scenario(m, x)
        loss.backward()
    except (RuntimeError, TypeError, ValueError) as error:
        return error
    grad = x.grad
    return loss.item(), (np.zeros(data.shape) if grad is None else np.asarray(grad.detach().numpy()))


def _mask(m, values):
    return m.tensor(np.asarray(values))


SCENARIOS = {
    "add_": lambda m, x: (x * 2).add_(x * x).sum(),
    "add_alpha": lambda m, x: (x * 2).add_(x, alpha=3.0).sum(),
    "sub_": lambda m, x: (x * 2).sub_(x.exp()).sum(),
    "mul_": lambda m, x: (x + 1).mul_(x).sum(),
    "mul_number": lambda m, x: (x * 2).mul_(3.0).pow(2).sum(),
    "div_": lambda m, x: (x * 2).div_(x * x + 1).sum(),
    "pow_": lambda m, x: (x * 2).pow_(3).sum(),
    "clamp_": lambda m, x: (x * 2).clamp_(-1.0, 1.0).mul(x).sum(),
    "zero_": lambda m, x: ((x * 2).zero_() + x).sum(),
    "fill_": lambda m, x: ((x * 2).fill_(1.5) * x).sum(),
    "fill_tensor": lambda m, x: (m.zeros(3, dtype=m.float64).fill_(x[0] * 2) * x).sum(),
    "copy_": lambda m, x: (m.zeros(2, 3, dtype=m.float64).copy_(x * 3) * x).sum(),
    "masked_fill_": lambda m, x: (x * 2).masked_fill_(_mask(m, [True, False, True]), 0.5).mul(x).sum(),
    "lerp_": lambda m, x: (x * 2).lerp_(x * x, 0.25).sum(),
    "addcmul_": lambda m, x: (x * 2).addcmul_(x, x, value=0.5).sum(),
    "iadd": lambda m, x: _iadd(x * 2, x * x).sum(),
    "imul": lambda m, x: _imul(x * 2, x).sum(),
    "isub_number": lambda m, x: _isub(x * 2, 1.0).pow(2).sum(),
    "idiv": lambda m, x: _idiv(x * 2, x * x + 1).sum(),
    "setitem_value": lambda m, x: _setitem(x * 2, 1, x[0] * 5).pow(2).sum(),
    "setitem_slice": lambda m, x: _setitem(x * 2, slice(0, 2), x[1:] * x[1:]).sum(),
    "setitem_number": lambda m, x: (_setitem(x * x, 0, 7.0) * x).sum(),
    "setitem_mask": lambda m, x: _setitem(x * 2, _mask(m, [False, True, True]), 0.0).mul(x).sum(),
    "setitem_index": lambda m, x: _setitem(x * 2, _mask(m, [2, 0]), x[1] * 3).pow(2).sum(),
    "buffer_gets_a_graph": lambda m, x: _iadd(m.zeros(3, dtype=m.float64), x * 3).pow(2).sum(),
    "twice": lambda m, x: (x * 2).add_(1).mul_(x).add_(x.exp()).sum(),
    # an earlier user of the tensor keeps the value it saw (PyTorch: mul saved only the 3)
    "used_before": lambda m, x: _used_before(x),
    "detached_alias": lambda m, x: _detached_alias(x),
    "no_grad_on_a_result": lambda m, x: _no_grad_on_result(m, x),
    # refusals
    "leaf": lambda m, x: x.add_(1).sum(),
    "leaf_iadd": lambda m, x: _iadd(x, 1.0).sum(),
    "leaf_setitem": lambda m, x: _setitem(x, 0, 1.0).sum(),
    "view_of_leaf": lambda m, x: x[0].mul_(2).sum(),
    "saved_output": lambda m, x: _saved_output(x),
    "saved_input": lambda m, x: _saved_input(x),
    "saved_by_no_grad_write": lambda m, x: _saved_by_no_grad_write(m, x),
}


def _iadd(a, b):
    a += b
    return a


def _imul(a, b):
    a *= b
    return a


def _isub(a, b):
    a -= b
    return a


def _idiv(a, b):
    a /= b
    return a


def _setitem(a, index, value):
    a[index] = value
    return a


def _used_before(x):
    h = x * 2
    later = h * 3
    h.add_(1)
    return (later + h * h).sum()


def _detached_alias(x):
    y = x * 2
    y.detach().add_(1)
    return y.sum()


def _no_grad_on_result(m, x):
    h = x * 2
    with m.no_grad():
        h.mul_(3)
    return h.sum()


def _saved_output(x):
    y = x.exp()  # exp keeps its output for the gradient
    y.mul_(2)
    return y.sum()


def _saved_input(x):
    h = x * 2
    out = h * x  # x's gradient needs h's value
    h.add_(1)
    return out.sum()


def _saved_by_no_grad_write(m, x):
    out = x.sigmoid()
    with m.no_grad():
        out.zero_()
    return out.sum()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_in_place_scenarios_match_torch(name):
    data = np.array([0.5, -1.2, 2.0]) if "copy" not in name else np.arange(6.0).reshape(2, 3) / 4
    ours, theirs = run(SCENARIOS[name], mg, data), run(SCENARIOS[name], torch, data)
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"PyTorch raised {theirs!r}, minigrad did not"
        assert type(ours) is type(theirs)
        return
    assert not isinstance(ours, Exception), f"minigrad raised {ours!r}, PyTorch did not"
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_refusals_name_the_problem():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Tensor that requires grad is being used in an in-place"):
        x += 1
    with pytest.raises(RuntimeError, match="a view of a leaf Tensor that requires grad"):
        x[:1].zero_()
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"gradient of 'exp' \(its output, shape \(2,\)\) was modified"):
        y.sum().backward()
    assert x.grad is None  # nothing was computed before the refusal
    with pytest.raises(TypeError, match="dtype float32, which cannot be cast to this tensor's dtype int64"):
        mg.tensor([1, 2]).add_(0.5)
    with pytest.raises(ValueError, match=r"shape \(2, 2\), which does not fit this tensor's shape \(2,\)"):
        mg.zeros(2).add_(mg.zeros(2, 2))
    with pytest.raises(ValueError, match="read-only"):
        mg.zeros(3).expand(2, 3).add_(1)
    base = mg.zeros(3)
    before = base.data.copy()
    with pytest.raises(TypeError):
        base.add_("a")
    np.testing.assert_array_equal(base.data, before)  # nothing half changed


def test_a_write_through_a_view_is_refused_when_the_base_is_used_after():
    # PyTorch re-derives the base's history (CopySlices); minigrad refuses rather than
    # give a wrong gradient.
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = x * 2
    base[1:].mul_(3)
    with pytest.raises(RuntimeError, match="modified in place through a view"):
        (base * base).sum().backward()
    y = x * 2
    view = y[1:]
    view.mul_(3)
    view.sum().backward()  # the view's own history is right: d(6x)/dx
    np.testing.assert_array_equal(x.grad.data, [0, 6, 6])


def test_no_grad_updates_of_parameters_are_allowed_and_counted():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mg.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    assert not w.grad.data.any() and w.is_leaf and w.requires_grad
    assert w._version == 1
    w.data[...] = 0  # writes through .data (an ndarray) are not counted, as PyTorch's .data
    view = mg.zeros(4)
    view[1:3].fill_(1.0)
    view[0] = 2.0
    assert view._version == 2 and view.tolist() == [2.0, 1.0, 1.0, 0.0]


def test_in_place_ops_keep_dtype_and_identity():
    t = mg.tensor([1.0, 2.0])
    same = t.mul_(mg.tensor([2.0, 2.0], dtype=mg.float64))
    assert same is t and t.dtype == np.float32 and t.tolist() == [2.0, 4.0]
    counts = mg.tensor([1, 2])
    counts += 3
    counts[0] = 7.9  # setitem casts, as PyTorch
    assert counts.tolist() == [7, 5] and counts.dtype == np.int64
    flags = mg.tensor([True, False])
    flags |= mg.tensor([False, True])
    assert flags.tolist() == [True, True]


def test_second_derivatives_through_in_place_ops_match_torch():
    data = np.array([0.3, -0.7, 1.1])
    results = []
    for m in (mg, torch):
        x = m.tensor(data, requires_grad=True)
        h = x * x
        h.mul_(x)
        h += x.sin()
        (g,) = (mg.autograd.grad if m is mg else torch.autograd.grad)(h.sum(), x, create_graph=True)
        (gg,) = (mg.autograd.grad if m is mg else torch.autograd.grad)(g.sum(), x)
        results.append((np.asarray(g.detach().numpy()), np.asarray(gg.detach().numpy())))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_random_fills_use_the_generator():
    a = mg.zeros(5).uniform_(-1, 1, generator=mg.Generator().manual_seed(3))
    b = mg.zeros(5).uniform_(-1, 1, generator=mg.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.data, b.data)
    assert -1 <= a.data.min() and a.data.max() < 1
    n = mg.zeros(2000, dtype=mg.float64).normal_(1.0, 0.5, generator=mg.Generator().manual_seed(0))
    assert abs(n.data.mean() - 1.0) < 0.05 and abs(n.data.std() - 0.5) < 0.05
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.normal_()
    with mg.no_grad():
        w.normal_(generator=mg.Generator().manual_seed(1))
    assert w.requires_grad and w.data.any()

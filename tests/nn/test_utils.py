"""nn.utils: gradient clipping and parameter vectors against PyTorch, in place on the
gradients an optimizer's flat buffer holds (so Adam steps with the clipped values)."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _with_grads(shapes, seed=0, dtype=np.float64, scale=3.0):
    rng = np.random.default_rng(seed)
    params = [mg.Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]
    for p in params:
        p.grad = rng.normal(0, scale, size=p.shape).astype(dtype)
    return params


def _torch_twins(torch, params):
    twins = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    for p, t in zip(params, twins):
        t.grad = torch.tensor(np.asarray(p.grad).copy())
    return twins


SHAPES = [(3, 4), (4,), (2, 2, 2), ()]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    torch = pytest.importorskip("torch")
    params = _with_grads(SHAPES, dtype=dtype)
    twins = _torch_twins(torch, params)
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(twins, max_norm, norm_type=norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == () and total.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(total.item(), expected.item(), rtol=rtol)
    for p, t in zip(params, twins):
        np.testing.assert_allclose(np.asarray(p.grad), t.grad.numpy(), rtol=rtol, atol=1e-7)


def test_clip_grad_norm_scales_to_the_bound_and_leaves_small_gradients_alone():
    params = _with_grads([(5,), (2, 3)])
    before = [np.asarray(p.grad).copy() for p in params]
    total = clip_grad_norm_(params, 1.0).item()
    assert total == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in before)))
    after = np.sqrt(sum((np.asarray(p.grad) ** 2).sum() for p in params))
    assert after == pytest.approx(1.0, rel=1e-5)
    kept = [np.asarray(p.grad).copy() for p in params]
    assert clip_grad_norm_(params, 10.0).item() == pytest.approx(after)
    for p, k in zip(params, kept):
        np.testing.assert_array_equal(np.asarray(p.grad), k)


def test_clip_grad_norm_skips_missing_gradients_and_takes_one_tensor_or_a_generator():
    params = _with_grads([(3,), (2,)])
    params[1].grad = None
    single = clip_grad_norm_(params[0], 0.1)
    assert single.item() > 0.1 and params[1].grad is None
    model = nn.Linear(3, 2, seed=0)
    F.mse_loss(model(mg.Tensor(np.ones((4, 3), np.float32))), np.zeros((4, 2), np.float32)).backward()
    assert clip_grad_norm_(model.parameters(), 1e-3).dtype == np.float32  # a generator, read once
    empty = clip_grad_norm_([mg.Tensor([1.0], requires_grad=True)], 1.0)
    assert empty.item() == 0.0  # no gradients: norm 0, as PyTorch


def test_clip_grad_norm_non_finite():
    params = _with_grads([(3,)])
    params[0].grad.data[0] = np.inf
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert np.isinf(params[0].grad.data[0])  # nothing changed
    assert np.isinf(clip_grad_norm_(params, 1.0).item())
    np.testing.assert_array_equal(np.asarray(params[0].grad), [np.nan, 0.0, 0.0])  # max_norm / inf = 0, as PyTorch
    with pytest.raises(TypeError, match="max_norm must be a number"):
        clip_grad_norm_(params, "1")
    with pytest.raises(TypeError, match="element 1 is a ndarray"):
        clip_grad_norm_([params[0], np.ones(2)], 1.0)


def test_get_total_norm_matches_torch():
    torch = pytest.importorskip("torch")
    arrays = [np.random.default_rng(1).normal(size=s) for s in SHAPES]
    ours = get_total_norm([mg.Tensor(a) for a in arrays], 3.0).item()
    assert ours == pytest.approx(torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays], 3.0).item())


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    params = _with_grads(SHAPES)
    twins = _torch_twins(torch, params)
    grad_arrays = [p.grad.data for p in params]
    assert clip_grad_value_(params, 0.7) is None
    torch.nn.utils.clip_grad_value_(twins, 0.7)
    for p, t, array in zip(params, twins, grad_arrays):
        np.testing.assert_array_equal(np.asarray(p.grad), t.grad.numpy())
        assert p.grad.data is array  # in place
    with pytest.raises(TypeError, match="clip_value must be a number"):
        clip_grad_value_(params, None)


# ---- with an optimizer's flat gradient buffer -------------------------------------------------------
def _models(torch, layered):
    ours = nn.MLP([3, 8, 8, 2], activation="tanh", seed=0, dtype=np.float64)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 2)).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    forward = (lambda x: nn.Sequential(*ours)(x)) if layered else ours
    return ours, twin, forward


@pytest.mark.parametrize("layered", [False, True], ids=["fused-into-the-buffer", "copied-into-the-buffer"])
@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_before_adam_steps_with_the_clipped_gradients(layered, clip):
    """The MLP's fused node writes its gradients straight into Adam's flat buffer; layer by
    layer they arrive elsewhere and step() copies them in. Either way the clipped values are
    what Adam uses: the parameters follow PyTorch's clip-then-Adam, step after step."""
    torch = pytest.importorskip("torch")
    ours, twin, forward = _models(torch, layered)
    opt = optim.Adam(ours.parameters(), lr=0.05)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.05)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(16, 3)) * 4, rng.integers(0, 2, 16)
    flat_grad = opt._chunks[0][0].grad_flat
    for _ in range(4):
        opt.zero_grad()
        F.cross_entropy(forward(mg.Tensor(x)), y).backward()
        twin_opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        if clip == "norm":
            ours_norm = clip_grad_norm_(ours.parameters(), 0.05)
            twin_norm = torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.05)
            assert ours_norm.item() == pytest.approx(twin_norm.item(), rel=1e-10)
        else:
            clip_grad_value_(ours.parameters(), 0.01)
            torch.nn.utils.clip_grad_value_(twin.parameters(), 0.01)
        if not layered:  # the gradients are views of the flat buffer, which holds the clipped values
            clipped = np.concatenate([np.asarray(p.grad).ravel() for p in ours.parameters()])
            np.testing.assert_array_equal(flat_grad, clipped)
        opt.step()
        twin_opt.step()
        np.testing.assert_allclose(flat_grad, np.concatenate([p.grad.numpy().ravel() for p in twin.parameters()]),
                                   rtol=1e-9, atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---- parameter vectors ---------------------------------------------------------------------------
def test_parameters_to_vector_and_back_match_torch_and_keep_the_arrays():
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 4, 2], seed=0, dtype=np.float64)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    vector = parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(vector.data, torch.nn.utils.parameters_to_vector(twin.parameters()).detach().numpy())
    opt = optim.SGD(model.parameters(), lr=0.1)  # the parameters now live in one flat buffer
    arrays = [p.data for p in model.parameters()]
    new = np.arange(vector.shape[0], dtype=np.float64)
    vector_to_parameters(mg.Tensor(new), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), twin.parameters())
    for p, q, array in zip(model.parameters(), twin.parameters(), arrays):
        np.testing.assert_array_equal(p.data, q.detach().numpy())
        assert p.data is array
    np.testing.assert_array_equal(opt._chunks[0][0].data, new)


def test_parameters_to_vector_is_differentiable():
    params = _with_grads([(2, 2), (3,)])
    for p in params:
        p.grad = None
    weights = np.arange(7.0)
    (parameters_to_vector(params) * weights).sum().backward()
    np.testing.assert_array_equal(np.asarray(params[0].grad).ravel(), weights[:4])
    np.testing.assert_array_equal(np.asarray(params[1].grad), weights[4:])


def test_vector_to_parameters_checks_before_writing():
    params = _with_grads([(2, 2), (3,)])
    before = [p.data.copy() for p in params]
    with pytest.raises(ValueError, match=r"the vector has 6 elements, the parameters 7 \(\(2, 2\), \(3,\)\)"):
        vector_to_parameters(mg.Tensor(np.zeros(6)), params)
    with pytest.raises(ValueError, match=r"1-D vector, got shape \(7, 1\)"):
        vector_to_parameters(mg.Tensor(np.zeros((7, 1))), params)
    with pytest.raises(TypeError, match="expected a Tensor, but got: list"):
        vector_to_parameters([0.0] * 7, params)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)
    with pytest.raises(ValueError, match="no parameters"):
        parameters_to_vector([])

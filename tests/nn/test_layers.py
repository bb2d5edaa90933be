"""Layers: Linear's initialization and checks, activations, Dropout, MLP against PyTorch."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def rows(n, features, seed=0, dtype=np.float64):
    return mg.Tensor(np.random.default_rng(seed).normal(size=(n, features)).astype(dtype))


# ---- Linear -----------------------------------------------------------------------------
def test_linear_shapes_and_pytorch_default_init():
    layer = nn.Linear(50, 200, seed=0)
    assert layer.weight.shape == (200, 50) and layer.bias.shape == (200,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound  # fills the whole interval
    # the variance of U(-b, b) is b^2 / 3
    assert abs(layer.weight.data.var() - bound ** 2 / 3) < 0.05 * bound ** 2


def test_linear_same_seed_same_weights_and_generator_is_shared():
    a, b = nn.Linear(4, 3, seed=7), nn.Linear(4, 3, seed=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(a.weight.data, nn.Linear(4, 3, seed=8).weight.data)
    rng = np.random.default_rng(7)
    c = nn.Linear(4, 3, rng=rng)
    np.testing.assert_array_equal(c.weight.data, a.weight.data)
    d = nn.Linear(4, 3, rng=rng)  # the next draws of the same generator
    assert not np.array_equal(d.weight.data, c.weight.data)
    with pytest.raises(ValueError, match="either seed= or rng="):
        nn.Linear(4, 3, seed=1, rng=rng)


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, seed=0)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = rows(4, 3, dtype=np.float32)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T, rtol=1e-6)


def test_linear_feature_mismatch_names_both_numbers():
    layer = nn.Linear(4, 2, seed=0)
    with pytest.raises(ValueError, match="4 features.*got 3"):
        layer(rows(5, 3))
    with pytest.raises(ValueError, match="scalar"):
        layer(mg.Tensor(1.0))
    with pytest.raises(ValueError, match="in_features.*0"):
        nn.Linear(0, 2)


def test_linear_accepts_batches_of_any_rank_and_gradchecks():
    layer = nn.Linear(3, 2, seed=0, dtype=np.float64)
    x = mg.Tensor(np.random.default_rng(1).normal(size=(2, 4, 3)), requires_grad=True)
    assert layer(x).shape == (2, 4, 2)
    assert mg.gradcheck(layer, [x])


# ---- activations --------------------------------------------------------------------------
@pytest.mark.parametrize("module,expected", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
])
def test_activation_modules(module, expected):
    x = rows(3, 4)
    np.testing.assert_allclose(module(x).data, expected(x.data), rtol=1e-12)
    assert module.num_parameters() == 0


# ---- Dropout ----------------------------------------------------------------------------------
def test_dropout_same_seed_same_mask_and_scaling():
    x = mg.Tensor(np.ones((50, 40)))
    a, b = nn.Dropout(0.3, seed=3)(x).data, nn.Dropout(0.3, seed=3)(x).data
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {0.0, 1 / 0.7}
    assert abs((a == 0).mean() - 0.3) < 0.03
    assert not np.array_equal(a, nn.Dropout(0.3, seed=4)(x).data)


def test_dropout_is_identity_in_eval_and_gradient_follows_mask():
    layer = nn.Dropout(0.5, seed=0)
    x = mg.Tensor(np.random.default_rng(0).normal(size=(6, 5)), requires_grad=True)
    layer.eval()
    assert layer(x) is x
    layer.train()
    out = layer(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, (out.data != 0) * 2.0)
    with pytest.raises(ValueError, match="1.5"):
        nn.Dropout(1.5)



@pytest.mark.parametrize("make", [lambda p: nn.Dropout(p), lambda p: nn.MLP([2, 3, 1], dropout=p)])
@pytest.mark.parametrize("p", ["0.5", True, None])
def test_dropout_probability_that_is_not_a_number_is_named(make, p):
    with pytest.raises(TypeError, match=rf"dropout probability must be a real number, got {p!r}"):
        make(p)

def test_dropout_keeps_float32():
    out = nn.Dropout(0.2, seed=0)(rows(4, 4, dtype=np.float32))
    assert out.dtype == np.float32


# ---- MLP ------------------------------------------------------------------------------------
def test_mlp_structure():
    model = nn.MLP([4, 8, 8, 3], activation="tanh", dropout=0.2, seed=0)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert nn.MLP([4, 3]).num_parameters() == 15
    assert [type(m).__name__ for m in nn.MLP([4, 5, 3], activation="leaky_relu")] == ["Linear", "LeakyReLU", "Linear"]


def test_mlp_bad_arguments():
    with pytest.raises(ValueError, match="'swish'.*relu, leaky_relu, tanh, sigmoid, gelu, silu"):
        nn.MLP([2, 3], activation="swish")
    with pytest.raises(ValueError, match="at least"):
        nn.MLP([3])
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        nn.MLP([3, -2, 1])


def test_mlp_same_seed_same_model_and_training_run():
    def run(seed):
        model = nn.MLP([3, 6, 2], dropout=0.5, seed=seed)
        out = model(rows(5, 3, dtype=np.float32))
        return [p.data.copy() for p in model.parameters()] + [out.data]

    for a, b in zip(run(0), run(0)):
        np.testing.assert_array_equal(a, b)


def call_with_parameters(model, tensors, x):
    """model(x) computed with ``tensors`` in place of its parameters (in parameters() order),
    so that gradcheck, which perturbs its own copies of the inputs, can reach the weights."""
    slots = [(m, name) for m in model.modules() for name, p in m._parameters.items() if p is not None]
    originals = [m.__dict__[name] for m, name in slots]
    for (m, name), t in zip(slots, tensors):
        m.__dict__[name] = t
    try:
        return model(x)
    finally:
        for (m, name), p in zip(slots, originals):
            m.__dict__[name] = p


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_forward_and_backward_gradcheck_in_float64(activation):
    model = nn.MLP([3, 5, 4, 2], activation=activation, seed=0, dtype=np.float64)
    params = list(model.parameters())
    x = mg.Tensor(np.random.default_rng(1).normal(size=(6, 3)), requires_grad=True)
    target = np.array([0, 1, 1, 0, 1, 0])
    assert mg.gradcheck(lambda x, *w: call_with_parameters(model, w, x), [x, *params])
    assert mg.gradcheck(lambda x, *w: nn.functional.cross_entropy(call_with_parameters(model, w, x), target),
                        [x, *params])
    assert all(p.grad is None for p in params)  # gradcheck worked on copies


def _torch_twin(model, torch):
    layers = []
    for module in model:
        if isinstance(module, nn.Linear):
            layers.append(torch.nn.Linear(module.in_features, module.out_features, dtype=torch.float64))
        else:
            layers.append({"ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh, "Sigmoid": torch.nn.Sigmoid,
                           "LeakyReLU": torch.nn.LeakyReLU}[type(module).__name__]())
    twin = torch.nn.Sequential(*layers)
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_matches_torch_sequential(activation):
    torch = pytest.importorskip("torch")
    model = nn.MLP([6, 16, 8, 4], activation=activation, seed=0, dtype=np.float64)
    twin = _torch_twin(model, torch)
    assert list(twin.state_dict()) == list(model.state_dict())  # the same keys, in the same order
    x = np.random.default_rng(1).normal(size=(10, 6))
    target = np.random.default_rng(2).integers(0, 4, size=10)
    out = model(mg.Tensor(x))
    nn.functional.cross_entropy(out, target).backward()
    t_out = twin(torch.tensor(x))
    torch.nn.functional.cross_entropy(t_out, torch.tensor(target)).backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-14)
    for (name, p), (t_name, t_p) in zip(model.named_parameters(), twin.named_parameters()):
        assert name == t_name
        np.testing.assert_allclose(p.grad, t_p.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_mlp_float32_loss_is_float32_even_for_float64_data():
    model = nn.MLP([3, 4, 2], seed=0)
    loss = nn.CrossEntropyLoss()(model(rows(5, 3)), np.array([0, 1, 1, 0, 1]))
    assert loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_loss_modules():
    z = rows(4, 3)
    y = np.array([0, 2, 1, 1])
    assert nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)(z, y).item() == pytest.approx(
        nn.functional.cross_entropy(z, y, reduction="sum", label_smoothing=0.1).item())
    assert nn.MSELoss()(z, z.data * 0).item() == pytest.approx((z.data ** 2).mean())
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction="none")(z, np.ones((4, 3))).data,
                               np.log1p(np.exp(-z.data)))
    assert nn.NLLLoss()(z, y).item() == pytest.approx(-z.data[np.arange(4), y].mean())
    with pytest.raises(ValueError, match="'avg'"):
        nn.MSELoss(reduction="avg")


def test_linear_takes_a_nested_list_like_an_array():
    layer = nn.Linear(2, 3, seed=0)
    from_list = layer([[1.0, 2.0]])
    from_array = layer(np.array([[1.0, 2.0]], dtype=np.float32))
    np.testing.assert_array_equal(from_list.data, from_array.data)


# ---- the fused forward of MLP ---------------------------------------------------------------
def _layer_by_layer(model, x):
    for layer in model:
        x = layer(x)
    return x


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_is_one_node_with_the_bits_of_its_layers(activation):
    model = nn.MLP([6, 16, 8, 4], activation=activation, seed=0)
    x = rows(9, 6, dtype=np.float32)
    target = np.arange(9) % 4
    fused = model(x)
    assert fused.op == "mlp"
    nn.functional.cross_entropy(fused, target).backward()
    fused_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    separate = _layer_by_layer(model, x)
    assert separate.op == "linear"
    nn.functional.cross_entropy(separate, target).backward()
    np.testing.assert_array_equal(fused.data, separate.data)
    for got, want in zip(fused_grads, [p.grad for p in model.parameters()]):
        np.testing.assert_array_equal(got, want)


def test_mlp_fuses_only_what_the_fused_node_computes():
    x = rows(5, 3, dtype=np.float32)
    assert nn.MLP([3, 4, 2], activation="leaky_relu")(x).op == "linear"
    with_dropout = nn.MLP([3, 4, 2], dropout=0.5, seed=0)
    assert with_dropout(x).op == "linear"  # training: the masks are drawn layer by layer
    with_dropout.eval()
    assert with_dropout(x).op == "mlp"  # dropout is the identity in eval mode
    np.testing.assert_array_equal(with_dropout(x).data, _layer_by_layer(with_dropout, x).data)


def test_mlp_follows_its_layers_when_they_change():
    model = nn.MLP([3, 4, 2], seed=0)
    x = rows(5, 3, dtype=np.float32)
    assert model(x).op == "mlp"
    model.add_module("1", nn.Tanh())  # no longer the relu network the plan was made for
    out = model(x)
    assert out.op == "linear"
    np.testing.assert_array_equal(out.data, _layer_by_layer(model, x).data)
    model.add_module("1", nn.ReLU())
    assert model(x).op == "mlp"
    model[2].weight = nn.Parameter(model[2].weight.data.astype(np.float64))  # mixed dtypes
    assert model(x).op == "linear"
    model[2].weight = nn.Parameter(np.zeros((2, 4), dtype=np.float32))  # a replaced parameter is used
    np.testing.assert_array_equal(model(x).data, np.broadcast_to(model[2].bias.data, (5, 2)))


def test_mlp_refuses_inputs_of_the_wrong_width_like_linear():
    model = nn.MLP([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"Linear expects inputs with 3 features \(last axis\), got 5 \(input shape \(2, 5\)\)"):
        model(rows(2, 5))
    out = model([[1.0, 2.0, 3.0]])  # a nested list, as Linear takes it
    assert out.shape == (1, 2)
    assert model(mg.Tensor(np.ones(3, dtype=np.float32))).shape == (2,)
    assert model(mg.Tensor(np.ones((2, 7, 3), dtype=np.float32))).shape == (2, 7, 2)


def test_layers_without_a_seed_draw_from_the_default_generator_so_manual_seed_repeats_them():
    mg.manual_seed(11)
    first = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    first_masks = first(mg.ones(2, 3)).data.copy()
    mg.manual_seed(11)
    second = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    for name, value in first.state_dict().items():
        np.testing.assert_array_equal(value, second.state_dict()[name], err_msg=name)
    np.testing.assert_array_equal(first_masks, second(mg.ones(2, 3)).data)
    mg.manual_seed(12)
    other = nn.Linear(3, 4)
    assert not np.array_equal(other.weight.data, first[0].weight.data)


def test_nn_functional_has_pytorchs_pad_one_hot_and_normalize():
    from minigrad.nn import functional as F

    assert F.one_hot(mg.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.pad(mg.ones(2), (1, 1)).tolist() == [0.0, 1.0, 1.0, 0.0]
    np.testing.assert_allclose(F.normalize(mg.tensor([[3.0, 4.0]])).data, [[0.6, 0.8]])

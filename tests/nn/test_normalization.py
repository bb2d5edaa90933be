"""LayerNorm and BatchNorm1d against PyTorch (outputs, gradients of input, weight and bias,
running statistics over several steps, train and eval), gradchecks, and the errors."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


def _torch_twin(torch, ours, make):
    twin = make().double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return twin


def _run_both(torch, ours, twin, x, upstream):
    a = mg.Tensor(x, requires_grad=True)
    out = ours(a)
    out.backward(upstream)
    b = torch.tensor(x, requires_grad=True)
    expected = twin(b)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), (_, q) in zip(ours.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
        p.grad = None
        q.grad = None


# ---- LayerNorm -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((5, 4), 4), ((2, 3, 4), 4), ((2, 3, 4), (3, 4)), ((3, 1), 1),
                                               ((0, 4), 4)])
@pytest.mark.parametrize("options", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 0.1}])
def test_layer_norm_matches_torch(shape, normalized, options):
    torch = pytest.importorskip("torch")
    ours = nn.LayerNorm(normalized, dtype=np.float64, **options)
    rng = np.random.default_rng(0)
    for p in ours.parameters():
        p.data[...] = rng.normal(size=p.shape)
    twin = _torch_twin(torch, ours, lambda: torch.nn.LayerNorm(normalized, **options))
    assert list(ours.state_dict()) == list(twin.state_dict())
    x = rng.normal(2.0, 3.0, size=shape)
    _run_both(torch, ours, twin, x, rng.normal(size=shape))


def test_layer_norm_function_and_gradchecks():
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.normal(size=(3, 2, 4)), requires_grad=True)
    w = mg.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    b = mg.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b), [x, w, b])
    assert mg.gradgradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b, eps=1e-3), [x, w, b])
    out = F.layer_norm(x, 4)
    np.testing.assert_allclose(out.data.mean(axis=-1), 0, atol=1e-12)
    variance = x.data.var(axis=-1)
    np.testing.assert_allclose(out.data.var(axis=-1), variance / (variance + 1e-5), rtol=1e-12)


def test_layer_norm_bad_shapes_name_both():
    ln = nn.LayerNorm(4)
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\) needs an input of shape \(\*, 4\), got .*\(2, 3\)"):
        ln(mg.Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape=\(3,\), got \(4,\)"):
        F.layer_norm(mg.Tensor(np.zeros((2, 3))), 3, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        F.layer_norm(mg.Tensor(np.zeros(3)), (2, 3))
    with pytest.raises(ValueError, match="positive sizes"):
        nn.LayerNorm(0)


def test_layer_norm_of_float64_data_in_a_float32_model_is_float32():
    out = nn.LayerNorm(3)(mg.Tensor(np.random.default_rng(0).normal(size=(2, 3))))
    assert out.dtype == np.float32


# ---- BatchNorm1d -------------------------------------------------------------------------------
BATCH_NORM_OPTIONS = [{}, {"momentum": None}, {"momentum": 0.5, "eps": 1e-3}, {"affine": False},
                      {"track_running_stats": False}, {"bias": False}]


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 1)])
@pytest.mark.parametrize("options", BATCH_NORM_OPTIONS, ids=str)
def test_batch_norm_matches_torch_in_training_and_eval(shape, options):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, dtype=np.float64, **options)
    rng = np.random.default_rng(2)
    for p in ours.parameters():
        p.data[...] = rng.normal(size=p.shape)
    twin = _torch_twin(torch, ours, lambda: torch.nn.BatchNorm1d(3, **options))
    assert list(ours.state_dict()) == list(twin.state_dict())
    for _ in range(3):
        x = rng.normal(1.0, 2.0, size=shape)
        _run_both(torch, ours, twin, x, rng.normal(size=shape))
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[key].numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    twin.eval()
    one = (1,) + shape[1:]  # one sample at a time is fine in eval mode, with running statistics
    for size in (shape, one):
        if np.prod(size) == 3 and not ours.track_running_stats:  # the batch's statistics: both refuse
            with pytest.raises(ValueError, match="more than 1 value per channel"):
                twin(torch.zeros(size, dtype=torch.float64))
            with pytest.raises(ValueError, match="more than 1 value per channel"):
                ours(mg.Tensor(np.zeros(size)))
            continue
        _run_both(torch, ours, twin, rng.normal(size=size), rng.normal(size=size))


def test_batch_norm_running_statistics_are_the_batch_mean_and_unbiased_variance():
    bn = nn.BatchNorm1d(2, momentum=1.0, dtype=np.float64)
    x = np.random.default_rng(3).normal(size=(5, 2, 4))
    out = bn(mg.Tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, x.mean(axis=(0, 2)))
    np.testing.assert_allclose(bn.running_var.data, x.var(axis=(0, 2), ddof=1))
    assert int(bn.num_batches_tracked.item()) == 1
    np.testing.assert_allclose(out.data.mean(axis=(0, 2)), 0, atol=1e-12)
    variance = x.var(axis=(0, 2))
    np.testing.assert_allclose(out.data.var(axis=(0, 2)), variance / (variance + 1e-5), rtol=1e-12)


def test_batch_norm_updates_running_statistics_under_no_grad_in_training_mode():
    bn = nn.BatchNorm1d(2)
    with mg.no_grad():
        bn(mg.Tensor(np.arange(8.0).reshape(4, 2)))
    assert bn.num_batches_tracked.item() == 1 and bn.running_mean.data[0] != 0


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradchecks(training):
    rng = np.random.default_rng(4)
    for shape in [(5, 3), (3, 3, 4)]:
        bn = nn.BatchNorm1d(3, dtype=np.float64)
        bn.running_mean.data[...] = rng.normal(size=3)
        bn.running_var.data[...] = rng.uniform(0.5, 2, size=3)
        bn.train(training)
        x = mg.Tensor(rng.normal(size=shape), requires_grad=True)
        w = mg.Tensor(rng.normal(size=3), requires_grad=True)
        b = mg.Tensor(rng.normal(size=3), requires_grad=True)

        def fn(x, w, b):  # the functional form: gradcheck re-runs it, which must not move the statistics
            return F.batch_norm(x, bn.running_mean, bn.running_var, w, b, training=training)

        assert mg.gradcheck(fn, [x, w, b])
        assert mg.gradgradcheck(fn, [x, w, b])


def test_batch_norm_with_one_value_per_channel_in_training_raises_as_torch_and_changes_nothing():
    bn = nn.BatchNorm1d(3)
    for shape in [(1, 3), (1, 3, 1)]:
        with pytest.raises(ValueError, match=rf"Expected more than 1 value per channel when training, "
                                             rf"got input size \({shape[0]}, 3"):
            bn(mg.Tensor(np.ones(shape)))
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    assert bn(mg.Tensor(np.ones((1, 3, 2)))).shape == (1, 3, 2)  # two values per channel: fine
    bn.eval()
    assert bn(mg.Tensor(np.ones((1, 3)))).shape == (1, 3)


def test_batch_norm_bad_inputs_name_the_shapes():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input"):
        bn(mg.Tensor(np.zeros((2, 3, 4, 5))))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input"):
        bn(mg.Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"expects 3 channels \(dim 1\), got 4 \(input shape \(2, 4\)\)"):
        bn(mg.Tensor(np.zeros((2, 4))))
    assert bn.num_batches_tracked.item() == 0
    with pytest.raises(ValueError, match=r"running_mean must have one value per channel, shape \(4,\), got shape \(3,\)"):
        F.batch_norm(mg.Tensor(np.zeros((2, 4))), np.zeros(3), np.ones(4))
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(mg.Tensor(np.zeros((2, 4))), None, None)
    with pytest.raises(ValueError, match="num_features must be a positive integer, got 0"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(3, momentum=2)


def test_batch_norm_of_an_empty_batch_is_empty_and_keeps_the_statistics_as_torch():
    torch = pytest.importorskip("torch")
    bn, twin = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    assert bn(mg.Tensor(np.zeros((0, 3), np.float32))).shape == (0, 3)
    twin(torch.zeros(0, 3))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key].numpy())


def test_batch_norm_in_a_model_trains_and_evaluates():
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3, seed=1))
    opt = mg.optim.Adam(model.parameters(), lr=0.05)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(mg.Tensor(x)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with mg.no_grad():
        single = model(mg.Tensor(x[:1]))
        batch = model(mg.Tensor(x))
    np.testing.assert_allclose(single.data, batch.data[:1], rtol=1e-5)

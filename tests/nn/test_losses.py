"""The losses' options against PyTorch in float64 (values, and gradients of the input and of
a differentiable target): class weights, ignore_index, (N, C, d1, ...) and (C,) inputs,
probability targets and label smoothing in every combination, the binary, regression and
KL losses, the loss modules and their state; the fast path's node; the errors."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _compare(torch, ours, theirs, inputs, upstream_seed=0, rtol=1e-10, atol=1e-12):
    """Run ``ours`` on minigrad Tensors and ``theirs`` on torch tensors made from the same
    arrays (each (array, requires_grad) pair); compare the outputs and every gradient."""
    mg_inputs = [mg.Tensor(a, requires_grad=g) if isinstance(a, np.ndarray) and g else a for a, g in inputs]
    t_inputs = [torch.tensor(a, requires_grad=g) if isinstance(a, np.ndarray) else a for a, g in inputs]
    out, expected = ours(*mg_inputs), theirs(*t_inputs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(upstream_seed).normal(size=out.shape)
    if not out.requires_grad:
        return out
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for m, t in zip(mg_inputs, t_inputs):
        if isinstance(m, mg.Tensor) and m.requires_grad:
            np.testing.assert_allclose(np.asarray(m.grad), t.grad.numpy(), rtol=rtol, atol=atol)
    return out


# ---- cross-entropy and NLL with class indices ----------------------------------------------------
SHAPES = [((6, 4), (6,)), ((4,), ()), ((3, 4, 5), (3, 5)), ((2, 4, 3, 2), (2, 3, 2))]


def _labels(shape, classes, seed, ignore=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=shape)
    if ignore is not None and labels.size:
        labels.reshape(-1)[:: 3] = ignore  # every third position ignored
    return np.asarray(labels)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, -100, 1, 9])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_with_class_indices_matches_torch(shapes, reduction, weighted, ignore, smoothing):
    torch = pytest.importorskip("torch")
    scores_shape, labels_shape = shapes
    classes = scores_shape[0] if len(scores_shape) == 1 else scores_shape[1]
    rng = np.random.default_rng(1)
    x = rng.normal(0, 2, size=scores_shape)
    target = _labels(labels_shape, classes, 2, ignore)
    weight = rng.uniform(0.2, 2.0, size=classes) if weighted else None
    ignore_index = -100 if ignore is None else ignore
    _compare(torch,
             lambda x: F.cross_entropy(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                                       label_smoothing=smoothing),
             lambda x: torch.nn.functional.cross_entropy(
                 x, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
                 ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing),
             [(x, True)])


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [None, 2])
def test_nll_loss_matches_torch(shapes, reduction, weighted, ignore):
    torch = pytest.importorskip("torch")
    scores_shape, labels_shape = shapes
    classes = scores_shape[0] if len(scores_shape) == 1 else scores_shape[1]
    rng = np.random.default_rng(3)
    x = rng.normal(size=scores_shape)
    target = _labels(labels_shape, classes, 4, ignore)
    weight = rng.uniform(0.2, 2.0, size=classes) if weighted else None
    ignore_index = -100 if ignore is None else ignore
    _compare(torch,
             lambda x: F.nll_loss(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction),
             lambda x: torch.nn.functional.nll_loss(
                 x, torch.tensor(target), weight=None if weight is None else torch.tensor(weight),
                 ignore_index=ignore_index, reduction=reduction),
             [(x, True)])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_every_label_ignored_gives_torchs_nan_mean_and_zero_sum(weighted, smoothing):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=(3, 4))
    target = np.full(3, -100)
    weight = np.arange(1.0, 5.0) if weighted else None
    for reduction in REDUCTIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no 0/0 warning
            out = F.cross_entropy(mg.Tensor(x), target, weight=weight, reduction=reduction, label_smoothing=smoothing)
        expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target), reduction=reduction,
                                                     weight=None if weight is None else torch.tensor(weight),
                                                     label_smoothing=smoothing)
        np.testing.assert_array_equal(out.data, expected.numpy())


# ---- cross-entropy with probabilities --------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_probabilities_matches_torch_in_both_inputs(shape, reduction, weighted, smoothing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    class_axis = 0 if len(shape) == 1 else 1
    x = rng.normal(0, 2, size=shape)
    q = rng.uniform(0.1, 1.0, size=shape)
    q /= q.sum(axis=class_axis, keepdims=True)
    weight = rng.uniform(0.2, 2.0, size=shape[class_axis]) if weighted else None
    _compare(torch,
             lambda x, q: F.cross_entropy(x, q, weight=weight, reduction=reduction, label_smoothing=smoothing),
             lambda x, q: torch.nn.functional.cross_entropy(
                 x, q, weight=None if weight is None else torch.tensor(weight), reduction=reduction,
                 label_smoothing=smoothing),
             [(x, True), (q, True)])


def test_the_fast_path_is_one_node_and_the_options_go_around_it():
    x = mg.Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    assert F.cross_entropy(x, [0, 1, 2, 0]).op == "cross_entropy"
    assert F.cross_entropy(x, [0, 1, 2, 0], ignore_index=5).op == "cross_entropy"  # nothing ignored
    assert F.cross_entropy(x, [0, 1, 2, 0], label_smoothing=0.1).op == "cross_entropy"
    assert F.cross_entropy(x, np.full((4, 3), 1 / 3)).op == "cross_entropy"
    assert F.cross_entropy(x, [0, -100, 2, 0]).op != "cross_entropy"
    assert F.cross_entropy(x, [0, 1, 2, 0], weight=np.ones(3)).op != "cross_entropy"
    assert F.nll_loss(x, [0, 1, 2, 0]).op == "nll_loss"


def test_the_earlier_positional_forms_still_work():
    x = mg.Tensor(np.random.default_rng(0).normal(size=(4, 3)))
    labels = [0, 1, 2, 0]
    assert F.cross_entropy(x, labels, "sum", 0.1).item() == F.cross_entropy(
        x, labels, reduction="sum", label_smoothing=0.1).item()
    assert F.nll_loss(x, labels, "sum").item() == F.nll_loss(x, labels, reduction="sum").item()
    assert F.mse_loss(x, np.zeros((4, 3)), "none").shape == (4, 3)
    assert F.binary_cross_entropy_with_logits(x, np.zeros((4, 3)), "sum").item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, np.zeros((4, 3)), reduction="sum").item())
    module = nn.CrossEntropyLoss("sum", 0.1)
    assert (module.reduction, module.label_smoothing) == ("sum", 0.1)
    assert nn.MSELoss("none").reduction == "none" and nn.NLLLoss("sum").reduction == "sum"


@pytest.mark.parametrize("size_average, reduce, expected", [(None, False, "none"), (False, None, "sum"),
                                                            (True, True, "mean"), (False, False, "none")])
def test_deprecated_size_average_and_reduce_fold_as_in_torch(size_average, reduce, expected):
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
        ours = nn.MSELoss(size_average, reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours.reduction == torch.nn.MSELoss(size_average, reduce).reduction == expected
    with pytest.warns(UserWarning):
        out = F.cross_entropy(mg.Tensor(np.zeros((2, 3))), [0, 1], size_average=size_average, reduce=reduce)
    assert out.shape == ((2,) if expected == "none" else ())


# ---- binary cross-entropy ------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (3,), (4, 3), (4, 1)], ids=str)
def test_binary_cross_entropy_matches_torch(reduction, weight_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.uniform(0.01, 0.99, size=(4, 3))
    x[0, :2] = [0.0, 1.0]  # certainty: each log clamps at -100, the gradient's denominator at 1e-12
    y = rng.uniform(0, 1, size=(4, 3))
    y[0, :2] = [0.0, 1.0]
    weight = None if weight_shape is None else rng.uniform(0.5, 2, size=weight_shape)
    _compare(torch,
             lambda x, y: F.binary_cross_entropy(x, y, weight=weight, reduction=reduction),
             lambda x, y: torch.nn.functional.binary_cross_entropy(
                 x, y, weight=None if weight is None else torch.tensor(weight), reduction=reduction),
             [(x, True), (y, False)])
    # the target's gradient, away from the clamped ends
    x = rng.uniform(0.01, 0.99, size=(4, 3))
    _compare(torch,
             lambda x, y: F.binary_cross_entropy(x, y, weight=weight, reduction=reduction),
             lambda x, y: torch.nn.functional.binary_cross_entropy(
                 x, y, weight=None if weight is None else torch.tensor(weight), reduction=reduction),
             [(x, True), (y, True)])


def test_binary_cross_entropy_of_certain_wrong_predictions_is_100_not_inf():
    out = F.binary_cross_entropy(mg.Tensor([0.0, 1.0]), mg.Tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(out.data, [100.0, 100.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{"weight": (2, 1, 3)}, {"pos_weight": (3,)}, {"pos_weight": (2, 1, 3)},
                                     {"weight": (3,), "pos_weight": (3,)}], ids=str)
def test_bce_with_logits_weight_and_pos_weight_match_torch(reduction, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.normal(0, 4, size=(2, 4, 3))
    x[0, 0, :2] = [800.0, -800.0]  # far out: still finite
    y = rng.uniform(0, 1, size=(2, 4, 3))
    arrays = {name: rng.uniform(0.2, 3, size=shape) for name, shape in options.items()}
    _compare(torch,
             lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **arrays),
             lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
                 x, y, reduction=reduction, **{k: torch.tensor(v) for k, v in arrays.items()}),
             [(x, True), (y, True)])


# ---- regression and KL losses ------------------------------------------------------------------------
REGRESSION = {
    "l1": (lambda a, b, r: F.l1_loss(a, b, reduction=r), lambda t, a, b, r: t.nn.functional.l1_loss(a, b, reduction=r)),
    "mse": (lambda a, b, r: F.mse_loss(a, b, reduction=r), lambda t, a, b, r: t.nn.functional.mse_loss(a, b, reduction=r)),
    "smooth_l1": (lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r),
                  lambda t, a, b, r: t.nn.functional.smooth_l1_loss(a, b, reduction=r)),
    "smooth_l1_beta": (lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.4),
                       lambda t, a, b, r: t.nn.functional.smooth_l1_loss(a, b, reduction=r, beta=0.4)),
    "smooth_l1_beta0": (lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0),
                        lambda t, a, b, r: t.nn.functional.smooth_l1_loss(a, b, reduction=r, beta=0.0)),
    "huber": (lambda a, b, r: F.huber_loss(a, b, reduction=r),
              lambda t, a, b, r: t.nn.functional.huber_loss(a, b, reduction=r)),
    "huber_delta": (lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=2.5),
                    lambda t, a, b, r: t.nn.functional.huber_loss(a, b, reduction=r, delta=2.5)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (0, 2)], ids=str)
def test_regression_losses_match_torch(name, reduction, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = REGRESSION[name]
    rng = np.random.default_rng(9)
    a, b = rng.normal(0, 2, size=shape), rng.normal(0, 2, size=shape)
    if a.size:
        b.reshape(-1)[0] = a.reshape(-1)[0]  # a zero difference: L1's kink
        b.reshape(-1)[1] = a.reshape(-1)[1] + 1.0  # exactly at beta = delta = 1
    _compare(torch, lambda a, b: ours(a, b, reduction), lambda a, b: theirs(torch, a, b, reduction),
             [(a, True), (b, True)])


@pytest.mark.parametrize("name", ["l1", "mse", "huber"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_elementwise_weights_reduce_as_torch(name, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    a, b, w = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.uniform(0.1, 2, size=(4, 3))
    function = {"l1": "l1_loss", "mse": "mse_loss", "huber": "huber_loss"}[name]
    _compare(torch,
             lambda a, b: getattr(F, function)(a, b, reduction=reduction, weight=w),
             lambda a, b: getattr(torch.nn.functional, function)(a, b, reduction=reduction, weight=torch.tensor(w)),
             [(a, True), (b, True)])


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (5,)], ids=str)
def test_kl_div_matches_torch(reduction, log_target, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    log_p = rng.normal(size=shape)
    q = rng.uniform(0.1, 1, size=shape)
    q.reshape(-1)[:2] = 0.0  # zero target probabilities contribute 0 (not 0 * log 0 = NaN)
    q /= q.sum(axis=-1, keepdims=True)
    target = rng.normal(size=shape) if log_target else q
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's (and our) warning about "mean"
        _compare(torch,
                 lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                 lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction, log_target=log_target),
                 [(log_p, True), (target, log_target)])


def test_kl_div_mean_warns_as_torch_and_batchmean_is_only_for_kl():
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="'batchmean'"):
        F.mse_loss(x, np.zeros((2, 3)), reduction="batchmean")
    with pytest.raises(ValueError, match="got 'avg'"):
        nn.KLDivLoss(reduction="avg")
    assert nn.KLDivLoss(reduction="batchmean")(x, np.full((2, 3), 1 / 3)).item() == pytest.approx(np.log(1 / 3))


# ---- the loss modules -----------------------------------------------------------------------------
def _module_cases(torch, rng):
    x = rng.normal(size=(6, 4))
    labels = np.array([0, 3, -100, 1, 2, 3])
    probs = rng.uniform(0.05, 0.95, size=(6, 4))
    binary = rng.uniform(0, 1, size=(6, 4))
    w, pw = rng.uniform(0.5, 2, size=4), rng.uniform(0.5, 2, size=4)
    T = torch.tensor
    return {
        "CrossEntropyLoss": (nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, reduction="sum"),
                             torch.nn.CrossEntropyLoss(weight=T(w), label_smoothing=0.1, reduction="sum"), x, labels),
        "NLLLoss": (nn.NLLLoss(weight=w, ignore_index=3), torch.nn.NLLLoss(weight=T(w), ignore_index=3), x,
                    np.array([0, 3, 1, 1, 2, 3])),
        "BCELoss": (nn.BCELoss(weight=w), torch.nn.BCELoss(weight=T(w)), probs, binary),
        "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss(weight=w, pos_weight=pw),
                              torch.nn.BCEWithLogitsLoss(weight=T(w), pos_weight=T(pw)), x, binary),
        "MSELoss": (nn.MSELoss(reduction="none"), torch.nn.MSELoss(reduction="none"), x, binary),
        "L1Loss": (nn.L1Loss(), torch.nn.L1Loss(), x, binary),
        "SmoothL1Loss": (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), x, binary),
        "HuberLoss": (nn.HuberLoss(delta=0.3), torch.nn.HuberLoss(delta=0.3), x, binary),
        "KLDivLoss": (nn.KLDivLoss(reduction="batchmean", log_target=True),
                      torch.nn.KLDivLoss(reduction="batchmean", log_target=True), x, binary),
    }


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss",
                                  "SmoothL1Loss", "HuberLoss", "KLDivLoss"])
def test_loss_modules_match_torch_and_keep_weights_as_buffers(name):
    torch = pytest.importorskip("torch")
    ours, theirs, x, target = _module_cases(torch, np.random.default_rng(12))[name]
    target_t = torch.tensor(target)
    _compare(torch, lambda x: ours(x, target), lambda x: theirs(x, target_t), [(x, True)])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, theirs.state_dict()[key].numpy())
    assert ours.num_parameters() == 0


def test_loss_module_reprs():
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(reduction='mean', label_smoothing=0.1)"
    assert repr(nn.HuberLoss(delta=2)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"


# ---- bad input ------------------------------------------------------------------------------------
def test_bad_options_name_the_value():
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="got 'avg'"):
        F.l1_loss(x, np.zeros((2, 3)), reduction="avg")
    for make in (nn.L1Loss, nn.BCELoss, nn.SmoothL1Loss, nn.HuberLoss, nn.CrossEntropyLoss):
        with pytest.raises(ValueError, match="got 'total'"):
            make(reduction="total")
    with pytest.raises(ValueError, match="beta must be non-negative, got -1"):
        nn.SmoothL1Loss(beta=-1)
    with pytest.raises(ValueError, match="delta must be positive, got 0"):
        F.huber_loss(x, np.zeros((2, 3)), delta=0)


def test_a_class_weight_of_the_wrong_length_names_both():
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"weight must have one value per class, shape \(3,\), got shape \(2,\)"):
        F.cross_entropy(x, [0, 1], weight=np.ones(2))
    with pytest.raises(ValueError, match=r"shape \(3,\), got shape \(3, 1\)"):
        nn.NLLLoss(weight=np.ones((3, 1)))(x, [0, 1])
    with pytest.raises(ValueError, match=r"weight must have the input's shape \(2, 3\), got \(3,\)"):
        F.mse_loss(x, np.zeros((2, 3)), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) does not broadcast to the input's shape \(2, 3\)"):
        F.binary_cross_entropy_with_logits(x, np.zeros((2, 3)), pos_weight=np.ones(2))


def test_labels_out_of_range_are_an_index_error_as_in_torch_unless_ignored():
    torch = pytest.importorskip("torch")
    x = mg.Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"must be in \[0, 3\] \(or ignore_index=9\), got \[5\]"):
        F.cross_entropy(x, [0, 5, 9], ignore_index=9)
    with pytest.raises(IndexError):
        torch.nn.functional.cross_entropy(torch.zeros(3, 4), torch.tensor([0, 5, 9]), ignore_index=9)
    # an ignore_index outside the classes is fine: those labels are skipped, as in PyTorch
    ours = F.cross_entropy(x, [0, 9, 9], ignore_index=9).item()
    assert ours == pytest.approx(torch.nn.functional.cross_entropy(
        torch.zeros(3, 4, dtype=torch.float64), torch.tensor([0, 9, 9]), ignore_index=9).item())
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\], got \[-1\]"):
        F.nll_loss(x, [0, -1, 2])  # -1 is not the default ignore_index (-100)


def test_ignore_index_with_probability_targets_is_refused_as_torch():
    x = mg.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="ignore_index \\(here 1\\) is only for class-index targets"):
        F.cross_entropy(x, np.full((2, 3), 1 / 3), ignore_index=1)


def test_binary_cross_entropy_checks_its_input():
    with pytest.raises(ValueError, match=r"between 0 and 1, got values in \[-0.5, 0.5\]"):
        F.binary_cross_entropy(mg.Tensor([-0.5, 0.5]), mg.Tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"input shape \(2,\) and target shape \(2, 1\) differ"):
        F.binary_cross_entropy(mg.Tensor([0.5, 0.5]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast to the input's shape \(2,\)"):
        nn.BCELoss(weight=[1.0, 2.0, 3.0])(mg.Tensor([0.5, 0.5]), np.zeros(2))


def test_regression_losses_name_both_shapes():
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div):
        with pytest.raises(ValueError, match=r"input shape \(2, 3\) and target shape \(3,\) differ"):
            fn(mg.Tensor(np.zeros((2, 3))), np.zeros(3))


def test_float32_losses_stay_float32():
    rng = np.random.default_rng(13)
    x = mg.Tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    p = mg.Tensor(rng.uniform(0.1, 0.9, size=(4, 3)).astype(np.float32), requires_grad=True)
    y = rng.uniform(size=(4, 3))  # float64 data
    losses = [F.cross_entropy(x, [0, 1, -100, 2], weight=np.ones(3)), F.l1_loss(x, y), F.smooth_l1_loss(x, y),
              F.huber_loss(x, y), F.kl_div(x, y, reduction="batchmean"), F.binary_cross_entropy(p, y, weight=np.ones(3)),
              F.binary_cross_entropy_with_logits(x, y, pos_weight=np.ones(3))]
    for loss in losses:
        assert loss.dtype == np.float32, loss
        loss.backward()
    assert x.grad.dtype == np.float32 and p.grad.dtype == np.float32

"""The lecture slides' worked numbers (../shared/seeds/), reproduced by minigrad's optimizers.

Expected values are either the slides' own printed numbers (compared at the precision the
slide prints them) or computed here by a hand-written loop of the slide's formula, never by
the code under test.
"""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import functional as F
from minigrad.optim import lr_scheduler


def trajectory(optimizer_cls, start, grad_fn, steps, **options) -> list[np.ndarray]:
    """Points x_1..x_steps from x_0 = start, with the optimizer class under test."""
    x = mg.Tensor(np.array(start, dtype=np.float64), requires_grad=True)
    optimizer = optimizer_cls([x], **options)
    points = []
    for _ in range(steps):
        x.grad = grad_fn(x.data)
        optimizer.step()
        points.append(x.data.copy())
    return points


def scalar_path(points) -> list[float]:
    return [float(p.reshape(-1)[0]) for p in points]


# ---- gradient descent (seeds/002, section 1) ------------------------------------------------

def test_gradient_descent_on_x_squared_from_70():
    path = scalar_path(trajectory(optim.SGD, [70.0], lambda x: 2 * x, 4, lr=0.1))
    assert path == pytest.approx([56.0, 44.8, 35.84, 28.672], rel=1e-12)


def test_gradient_descent_on_x_squared_plus_y_squared_from_6_9():
    points = trajectory(optim.SGD, [6.0, 9.0], lambda p: 2 * p, 4, lr=0.1)
    exact = [(6 * 0.8**t, 9 * 0.8**t) for t in range(1, 5)]
    np.testing.assert_allclose(points, exact, rtol=1e-12)
    # the slide prints x_1..x_4 = 4.8, 3.84, 3.07, 2.45 and y = 7.2, 5.75, 4.608, 3.68 (truncated)
    slide = [(4.8, 7.2), (3.84, 5.75), (3.07, 4.608), (2.45, 3.68)]
    np.testing.assert_allclose(points, slide, atol=0.01)


def test_gradient_descent_oscillates_on_9_x_squared():
    path = scalar_path(trajectory(optim.SGD, [70.0], lambda x: 18 * x, 4, lr=0.1))
    assert path == pytest.approx([-56.0, 44.8, -35.84, 28.672], rel=1e-12)


def test_gradient_descent_diverges_on_20_x_squared():
    path = scalar_path(trajectory(optim.SGD, [2.0], lambda x: 40 * x, 4, lr=0.1))
    assert path == pytest.approx([-6.0, 18.0, -54.0, 162.0], rel=1e-12)


# ---- momentum (seeds/002, section 3) -----------------------------------------------------

def test_momentum_from_90_matches_the_slide_table():
    """v_t = m v_{t-1} - eta f'(x), x_t = x_{t-1} + v_t, m = 0.9, eta = 0.1, v_0 = 0."""
    path = scalar_path(trajectory(optim.Momentum, [90.0], lambda x: 2 * x, 5, lr=0.1))
    x, v, expected = 90.0, 0.0, []
    for _ in range(5):
        v = 0.9 * v - 0.1 * 2 * x
        x = x + v
        expected.append(x)
    assert path == pytest.approx(expected, rel=1e-12)
    # the slide: 72.0, 41.4, 5.58, -27.77, -52.23 (its last digit truncated from -52.2378)
    assert [round(value, 2) for value in path] == [72.0, 41.4, 5.58, -27.77, -52.24]


def test_momentum_velocity_is_minus_lr_times_pytorch_buffer():
    x = np.array([90.0])
    state = F.sgd_init(x, momentum=0.9)
    velocities = []
    for _ in range(5):
        F.sgd(x, 2 * x, state, lr=0.1, momentum=0.9)
        velocities.append(-0.1 * float(state["momentum_buffer"][0]))
    # the slide's v_1..v_5: -18.0, -30.59, -35.82, -33.354, -24.46
    assert velocities == pytest.approx([-18.0, -30.6, -35.82, -33.354, -24.4638], rel=1e-12)


def test_ema_momentum_starts_from_zero():
    """seeds/001: V_{t+1} = beta V_t + (1 - beta) grad, theta <- theta - eta V_{t+1}."""
    grad_fn = lambda x: 2 * x  # noqa: E731
    path = scalar_path(trajectory(optim.Momentum, [90.0], grad_fn, 6, lr=0.1, ema=True))
    x, v, expected = 90.0, 0.0, []
    for _ in range(6):
        v = 0.9 * v + (1 - 0.9) * 2 * x
        x = x - 0.1 * v
        expected.append(x)
    assert path == pytest.approx(expected, rel=1e-12)
    assert path[0] == pytest.approx(88.2)  # a tenth of plain GD's first step


def test_ema_weights_of_the_slide_example():
    """seeds/002: with rho = 0.9, V_3 = 0.081 s_1 + 0.09 s_2 + 0.1 s_3 (V_0 = 0)."""
    velocity_probe = np.zeros(3)
    state = F.sgd_init(velocity_probe, momentum=0.9)
    for sample in np.eye(3):
        F.sgd(velocity_probe, sample, state, lr=0.0, momentum=0.9, ema=True)
    np.testing.assert_allclose(state["momentum_buffer"], [0.081, 0.09, 0.1], rtol=1e-12)


def test_moving_average_table_is_pytorch_buffer_with_dampening():
    """seeds/002's EWA table (rho = 0.5) starts at the first value, as PyTorch's buffer does:
    momentum = dampening = rho reproduces it; ema=True (from 0) would start at 1.5."""
    data = [3, 8, 6, 5, 1, 7, 9, 0, 8, 4]
    table = [3.0, 5.5, 5.8, 5.4, 3.2, 5.1, 7.0, 3.5, 5.8, 4.9]
    probe = np.zeros(1)
    state = F.sgd_init(probe, momentum=0.5)
    averages = []
    for value in data:
        F.sgd(probe, np.array([float(value)]), state, lr=0.0, momentum=0.5, dampening=0.5)
        averages.append(float(state["momentum_buffer"][0]))
    assert averages == pytest.approx(table, abs=0.051)
    ema_state = F.sgd_init(probe, momentum=0.5)
    F.sgd(probe, np.array([3.0]), ema_state, lr=0.0, momentum=0.5, ema=True)
    assert ema_state["momentum_buffer"][0] == 1.5


# ---- RMSProp (seeds/002) -------------------------------------------------------------------

def test_rmsprop_on_x_squared_from_9():
    points = trajectory(optim.RMSProp, [9.0], lambda x: 2 * x, 3, lr=0.1, alpha=0.9, eps=1e-7,
                        eps_inside_sqrt=True)
    x, s, expected, sums = 9.0, 0.0, [], []
    for _ in range(3):
        g = 2 * x
        s = 0.9 * s + 0.1 * g * g
        x = x - 0.1 / math.sqrt(s + 1e-7) * g
        expected.append(x)
        sums.append(s)
    path = scalar_path(points)
    assert path == pytest.approx(expected, rel=1e-12)
    # the slide: x_1 = 8.6837, x_2 = 8.458, x_3 = 8.27; s = 32.4, 59.3, 82.0
    assert math.floor(path[0] * 1e4) / 1e4 == 8.6837
    assert round(path[1], 3) == 8.458 and round(path[2], 2) == 8.27
    assert [round(s, 1) for s in sums] == [32.4, 59.3, 82.0]


def test_rmsprop_pytorch_eps_differs_from_slides_only_in_eps_placement():
    slide = scalar_path(trajectory(optim.RMSProp, [9.0], lambda x: 2 * x, 3, lr=0.1, alpha=0.9, eps=1e-7,
                                   eps_inside_sqrt=True))
    pytorch = scalar_path(trajectory(optim.RMSProp, [9.0], lambda x: 2 * x, 3, lr=0.1, alpha=0.9, eps=1e-7))
    assert pytorch == pytest.approx(slide, rel=1e-8) and pytorch != slide


# ---- AdaGrad (seeds/002 with s_0 = 0 and 0.1; seeds/003 with eps outside the root) ----------

@pytest.mark.parametrize("s0", [0.0, 0.1])
def test_adagrad_slides_form(s0):
    points = trajectory(optim.AdaGrad, [-1.5, 3.0], lambda p: 2 * p, 30, lr=0.5,
                        initial_accumulator_value=s0, eps=1e-7, eps_inside_sqrt=True)
    for coordinate, start in enumerate([-1.5, 3.0]):
        x, s, expected = start, s0, []
        for _ in range(30):
            g = 2 * x
            s = s + g * g
            x = x - 0.5 / math.sqrt(s + 1e-7) * g
            expected.append(x)
        assert [float(p[coordinate]) for p in points] == pytest.approx(expected, rel=1e-12)


def test_adagrad_first_step_moves_lr_from_zero_accumulator_but_less_from_0_1():
    from_zero = scalar_path(trajectory(optim.AdaGrad, [3.0], lambda x: 2 * x, 1, lr=0.5, eps=1e-7,
                                       eps_inside_sqrt=True))
    from_tenth = scalar_path(trajectory(optim.AdaGrad, [3.0], lambda x: 2 * x, 1, lr=0.5, eps=1e-7,
                                        eps_inside_sqrt=True, initial_accumulator_value=0.1))
    assert from_zero[0] == pytest.approx(2.5, rel=1e-7)
    assert from_tenth[0] == pytest.approx(3.0 - 0.5 * 6 / math.sqrt(36.1 + 1e-7), rel=1e-12)


def test_adagrad_goodfellow_form_eps_outside_root():
    points = trajectory(optim.AdaGrad, [4.0], lambda x: 2 * x, 20, lr=0.3, eps=1e-7)
    x, r, expected = 4.0, 0.0, []
    for _ in range(20):
        g = 2 * x
        r = r + g * g
        x = x - 0.3 / (1e-7 + math.sqrt(r)) * g
        expected.append(x)
    assert scalar_path(points) == pytest.approx(expected, rel=1e-12)


# ---- Adam and its slide variants ---------------------------------------------------------

def adam_by_hand(x, steps, lr, beta1, beta2, eps, correct_m, correct_v, eps_inside):
    m = v = 0.0
    path = []
    for t in range(1, steps + 1):
        g = 2 * x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t) if correct_m else m
        v_hat = v / (1 - beta2**t) if correct_v else v
        denom = math.sqrt(v_hat + eps) if eps_inside else math.sqrt(v_hat) + eps
        x = x - lr * m_hat / denom
        path.append(x)
    return path


@pytest.mark.parametrize("options, correct_m, correct_v, eps_inside", [
    ({}, True, True, False),                                                # seeds/000, PyTorch
    ({"eps_inside_sqrt": True}, True, True, True),                          # seeds/001, seeds/003
    ({"bias_correction": False, "eps_inside_sqrt": True}, False, False, True),  # "simpler Adam"
    ({"bias_correction": "first", "eps_inside_sqrt": True}, True, False, True),  # seeds/002 last slide
])
def test_adam_variants_of_the_slides(options, correct_m, correct_v, eps_inside):
    path = scalar_path(trajectory(optim.Adam, [3.0], lambda x: 2 * x, 40, lr=0.1, eps=1e-7, **options))
    expected = adam_by_hand(3.0, 40, 0.1, 0.9, 0.999, 1e-7, correct_m, correct_v, eps_inside)
    assert path == pytest.approx(expected, rel=1e-12)


def test_adam_bias_correction_makes_the_first_step_lr():
    corrected = scalar_path(trajectory(optim.Adam, [3.0], lambda x: 2 * x, 1, lr=0.1))
    simpler = scalar_path(trajectory(optim.Adam, [3.0], lambda x: 2 * x, 1, lr=0.1, bias_correction=False,
                                     eps_inside_sqrt=True, eps=1e-7))
    assert corrected[0] == pytest.approx(2.9, rel=1e-9)
    # m_1 = 0.1 g, v_1 = 0.001 g^2: the step is lr * 0.1 / sqrt(0.001) = 3.16 lr
    assert simpler[0] == pytest.approx(3.0 - 0.1 * 0.1 / math.sqrt(0.001), rel=1e-6)


def test_adam_eps_hat_is_keras_and_sklearn_form():
    path = scalar_path(trajectory(optim.Adam, [3.0], lambda x: 2 * x, 30, lr=0.1, eps=1e-3, eps_hat=True))
    x, m, v, expected = 3.0, 0.0, 0.0, []
    for t in range(1, 31):
        g = 2 * x
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        lr_t = 0.1 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        x = x - lr_t * m / (math.sqrt(v) + 1e-3)
        expected.append(x)
    assert path == pytest.approx(expected, rel=1e-12)


# ---- learning-rate decay (seeds/002) -------------------------------------------------------

def test_step_decay_every_p_iterations_divide_by_k():
    """eta = 0.2; if i % p == 0: eta = eta / k  (p = 5, k = 2)."""
    x = mg.Tensor([0.0], requires_grad=True)
    optimizer = optim.SGD([x], lr=0.2)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=5, gamma=1 / 2)
    eta, expected, seen = 0.2, [], []
    for i in range(1, 21):
        seen.append(optimizer.param_groups[0]["lr"])
        expected.append(eta)
        scheduler.step()
        if i % 5 == 0:
            eta = eta / 2
    assert seen == pytest.approx(expected, rel=1e-15)
    assert seen[:6] == [0.2] * 5 + [0.1]


def test_smooth_exponential_decay():
    """eta = eta_0 * lambda^(s / k) with eta_0 = 0.2, lambda = 0.5, k = 10."""
    x = mg.Tensor([0.0], requires_grad=True)
    optimizer = optim.SGD([x], lr=0.2)
    scheduler = lr_scheduler.ExponentialDecayLR(optimizer, decay_rate=0.5, decay_steps=10)
    seen = []
    for _ in range(31):
        seen.append(scheduler.get_last_lr()[0])
        scheduler.step()
    assert seen == pytest.approx([0.2 * 0.5 ** (s / 10) for s in range(31)], rel=1e-14)
    assert seen[10] == pytest.approx(0.1) and seen[20] == pytest.approx(0.05)

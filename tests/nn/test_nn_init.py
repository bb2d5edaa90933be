"""nn.init: in-place fills with the documented bounds and spreads, from explicit Generators."""
import math

import numpy as np
import pytest

from minigrad import nn
from minigrad.nn import init

FAN_OUT, FAN_IN = 300, 200


def weight():
    return nn.Parameter(np.zeros((FAN_OUT, FAN_IN)))


def test_in_place_and_seeded():
    w = weight()
    array = w.data
    assert init.xavier_uniform_(w, np.random.default_rng(0)) is w and w.data is array
    again = init.xavier_uniform_(weight(), 0)  # an int seed is the same as default_rng(seed)
    np.testing.assert_array_equal(w.data, again.data)
    with pytest.raises(TypeError, match="Generator"):
        init.xavier_uniform_(weight(), "seed")


@pytest.mark.parametrize("fill,bound", [
    (lambda w, rng: init.xavier_uniform_(w, rng), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda w, rng: init.xavier_uniform_(w, rng, gain=2.0), 2 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda w, rng: init.kaiming_uniform_(w, rng), math.sqrt(2) * math.sqrt(3 / FAN_IN)),
    (lambda w, rng: init.kaiming_uniform_(w, rng, a=math.sqrt(5)), 1 / math.sqrt(FAN_IN)),  # nn.Linear's
    (lambda w, rng: init.kaiming_uniform_(w, rng, mode="fan_out", nonlinearity="relu"), math.sqrt(6 / FAN_OUT)),
])
def test_uniform_bounds(fill, bound):
    w = fill(weight(), np.random.default_rng(1)).data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("fill,std", [
    (lambda w, rng: init.xavier_normal_(w, rng), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda w, rng: init.kaiming_normal_(w, rng, nonlinearity="relu"), math.sqrt(2 / FAN_IN)),
    (lambda w, rng: init.kaiming_normal_(w, rng, nonlinearity="tanh", mode="fan_out"), 5 / 3 / math.sqrt(FAN_OUT)),
])
def test_normal_spreads(fill, std):
    w = fill(weight(), np.random.default_rng(2)).data
    assert w.std() == pytest.approx(std, rel=0.02) and abs(w.mean()) < 0.01 * std * 10


def test_zeros_ones_and_errors():
    w = weight()
    init.ones_(w)
    assert (w.data == 1).all()
    init.zeros_(w)
    assert not w.data.any()
    with pytest.raises(ValueError, match="'fan_avg'"):
        init.kaiming_uniform_(w, 0, mode="fan_avg")
    with pytest.raises(ValueError, match="'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match=r"\(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)), 0)


def test_gains_match_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("relu", None), ("tanh", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                        ("sigmoid", None), ("linear", None), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))

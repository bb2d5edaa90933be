"""Layers made without seed= or rng= draw from minigrad's default generator, so that
``mg.manual_seed`` fixes a model's weights as ``torch.manual_seed`` does."""
import numpy as np

import minigrad as mg
from minigrad import nn


def weights(model):
    return [p.data.copy() for p in model.parameters()]


def test_manual_seed_fixes_unseeded_layers_and_models():
    def build():
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), nn.MLP([3, 5, 2])

    mg.manual_seed(7)
    first = build()
    mg.manual_seed(7)
    again = build()
    for a, b in zip(first, again):
        assert all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b)))
    later = build()  # the default generator moved on: other weights
    assert not np.array_equal(weights(first[0])[0], weights(later[0])[0])


def test_an_explicit_seed_ignores_the_default_generator():
    mg.manual_seed(1)
    a = nn.Linear(2, 2, seed=3).weight.data.copy()
    mg.manual_seed(2)
    assert np.array_equal(a, nn.Linear(2, 2, seed=3).weight.data)
    state = mg.get_rng_state()
    nn.Linear(2, 2, seed=3)
    assert mg.get_rng_state()["bit_generator"] == state["bit_generator"]

"""A large parameter is updated in cache-sized blocks (optimizer.BLOCK_BYTES): the same bits
as one update over the whole arrays, for every optimizer, parameter layout and block remainder."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import optimizer as optimizer_module

SMALL_BLOCKS = 1024     # 128 float64 numbers per block: the shapes below span several blocks
NO_BLOCKS = 1 << 40

CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.1, "maximize": True}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "weight_decay": 1e-3}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 1e-2}),
    ("Adam", {"lr": 0.01, "eps_hat": True, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("Adadelta", {"lr": 1.0, "weight_decay": 1e-3}),
    ("NAdam", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 1e-2, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01}),
    ("Rprop", {"lr": 0.01}),
    ("ASGD", {"lr": 0.01, "t0": 2.0}),
    ("Lion", {"lr": 1e-3}),
    ("AdaBelief", {"lr": 1e-2}),
    ("Yogi", {"lr": 1e-2}),
    ("LAMB", {"lr": 1e-2, "weight_decay": 1e-2}),
    ("ScheduleFreeSGD", {"lr": 0.1, "warmup_steps": 2}),
    ("ScheduleFreeAdamW", {"lr": 1e-2}),
]

LAYOUTS = {
    "one-vector": [(1000,)],                     # 7 full blocks and a remainder
    "one-matrix": [(25, 41)],                    # a 2-D parameter, not flattened by the optimizer
    "flat-chunk": [(30, 20), (333,), (7,)],      # several parameters in one flat buffer
}


def run(name, options, shapes, block_bytes, monkeypatch, steps=5, fortran=False):
    monkeypatch.setattr(optimizer_module, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    params = []
    for shape in shapes:
        data = rng.standard_normal(shape)
        params.append(mg.Tensor(np.asfortranarray(data) if fortran else data, requires_grad=True))
    opt = getattr(optim, name)(params, **options)
    calls = []
    update = opt._update
    opt._update = lambda *args, **kwargs: (calls.append(args[0].size), update(*args, **kwargs))
    for _ in range(steps):
        for param in params:
            grad = rng.standard_normal(param.shape)
            param.grad = np.asfortranarray(grad) if fortran else grad
        opt.step()
    state = {i: {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in s.items()}
             for i, s in opt.state_dict()["state"].items()}
    return [np.array(p.data) for p in params], state, calls


def assert_same_bits(a, b):
    (params_a, state_a, _), (params_b, state_b, _) = a, b
    for x, y in zip(params_a, params_b):
        assert np.array_equal(x, y, equal_nan=True)
    assert state_a.keys() == state_b.keys()
    for index in state_a:
        assert state_a[index].keys() == state_b[index].keys()
        for key, value in state_a[index].items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(value, state_b[index][key], equal_nan=True), key
            else:
                assert value == state_b[index][key], key


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_blocks_give_the_bits_of_one_whole_update(name, options, layout, monkeypatch):
    blocked = run(name, options, LAYOUTS[layout], SMALL_BLOCKS, monkeypatch)
    whole = run(name, options, LAYOUTS[layout], NO_BLOCKS, monkeypatch)
    assert_same_bits(blocked, whole)
    if name == "LAMB" or (name == "SGD" and "nesterov" not in options and "maximize" not in options):
        assert max(whole[2]) == max(blocked[2])       # this rule is never split
    else:
        assert max(blocked[2]) <= SMALL_BLOCKS // 8   # it really ran block by block
        assert len(blocked[2]) > len(whole[2])


def test_a_parameter_in_another_memory_order_is_updated_whole_with_the_same_bits(monkeypatch):
    blocked = run("Adam", {"lr": 0.01}, [(40, 30)], SMALL_BLOCKS, monkeypatch, fortran=True)
    whole = run("Adam", {"lr": 0.01}, [(40, 30)], NO_BLOCKS, monkeypatch, fortran=True)
    assert_same_bits(blocked, whole)


def test_per_sample_adam_reads_its_squares_block_by_block(monkeypatch):
    results = []
    for block_bytes in (SMALL_BLOCKS, NO_BLOCKS):
        monkeypatch.setattr(optimizer_module, "BLOCK_BYTES", block_bytes)
        rng = np.random.default_rng(1)
        params = [mg.Tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(700,), (20, 30)]]
        opt = optim.Adam(params, lr=0.01, second_moment="per_sample")
        for _ in range(4):
            squares = []
            for param in params:
                per_sample = rng.standard_normal((3,) + param.shape)
                param.grad = per_sample.sum(axis=0)
                squares.append((per_sample ** 2).sum(axis=0))
            opt.step(sum_grad_squared=squares)
        results.append([np.array(p.data) for p in params])
    for a, b in zip(*results):
        assert np.array_equal(a, b)

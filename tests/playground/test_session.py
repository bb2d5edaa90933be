"""A playground run trains as ``fit`` does, seeded, and records what the page draws."""
import base64

import numpy as np
import pytest

from minigrad import nn
from minigrad.data import DataLoader
from minigrad.playground.config import ConfigError, Limits, parse_config
from minigrad.playground.session import PlaygroundRun, RateLimiter, is_recorded
from minigrad.train import DivergenceError, fit

DIVERGING = {"hidden": "32,32,32", "activation": "relu", "opt": "sgd", "lr": "10", "watch": "0:0:0"}


def weights(model):
    return {name: np.array(value) for name, value in model.state_dict().items()}


def fit_the_same(run, epochs, **fit_args):
    """What ``fit`` does with the run's setup: the same data, seed, model, loader and optimizer."""
    values, lane = run.config.values, run.config.lanes[0]
    data = run.data
    model = nn.MLP([2, *run.config.hidden, data.n_classes], activation=values["activation"],
                   dropout=values["dropout"], seed=values["seed"])
    optimizer = lane.make_optimizer(model.parameters())
    loader = DataLoader(data.X_train, data.y_train, batch_size=values["batch"], shuffle=True, seed=values["seed"])
    history = fit(model, optimizer, loader, epochs, scheduler=lane.make_scheduler(optimizer), progress=False,
                  **fit_args)
    return model, history


@pytest.mark.parametrize("setup", [
    {"opt": "momentum", "dropout": "0.2", "schedule": "step", "step_size": "1", "gamma": "0.5", "seed": "3"},
    {"opt": "adam", "eps_inside_sqrt": "1", "bias_correction": "none", "dataset": "circles", "batch": "50"},
])
def test_a_lane_is_fit_unrolled_bit_for_bit(setup):
    run = PlaygroundRun(parse_config(setup))
    steps_per_epoch = len(run.lanes[0].loader)
    run.train(3 * steps_per_epoch)
    model, _ = fit_the_same(run, epochs=3)
    expected, got = weights(model), weights(run.lanes[0].model)
    assert expected.keys() == got.keys()
    for name in expected:
        assert np.array_equal(expected[name], got[name]), name
    assert run.lanes[0].epoch == 3


def test_a_diverging_lane_stops_with_fits_divergence_message():
    run = PlaygroundRun(parse_config(DIVERGING))
    run.train(200)
    lane = run.lanes[0]
    assert lane.diverged is not None
    with pytest.raises(DivergenceError) as caught:
        fit_the_same(run, epochs=50)
    assert lane.diverged.message == str(caught.value)
    assert "training diverged: the loss is" in lane.diverged.message
    assert "weight" in lane.diverged.detail
    # It stopped where it diverged: no record after that step, and no more steps taken.
    assert lane.records[-1]["step"] < lane.diverged.step
    assert run.steps == lane.diverged.step  # every lane diverged: the run is over


def test_in_a_race_the_other_lane_goes_on_and_the_page_can_continue():
    run = PlaygroundRun(parse_config({**DIVERGING, "b.opt": "adam", "b.lr": "0.001"}))
    run.set_playing(True)
    run.train(60)
    diverged, steady = run.lanes
    assert diverged.diverged is not None and steady.diverged is None
    assert run.steps == 60 and steady.records[-1]["step"] == 60
    assert run.playing
    frame = run.frame()
    assert frame["lanes"][0]["diverged"]["step"] == diverged.diverged.step
    divergence_row = f"A,SGD (lr=10),{diverged.diverged.step},{diverged.diverged.epoch},10.0,nan,,,"
    assert divergence_row in run.curves_csv().splitlines()
    run.configure(parse_config({**DIVERGING, "lr": "0.01", "b.opt": "adam", "b.lr": "0.001"}))
    run.train(10)
    assert all(lane.diverged is None for lane in run.lanes)


def test_the_same_setup_and_seed_give_the_same_run():
    setup = {"dataset": "spirals", "dropout": "0.1", "opt": "rmsprop", "b.opt": "adagrad", "seed": "7"}
    first, second = PlaygroundRun(parse_config(setup)), PlaygroundRun(parse_config(setup))
    first.train(120)
    second.train(70)
    second.train(50)
    assert first.frame()["lanes"] == second.frame()["lanes"]
    other = PlaygroundRun(parse_config({**setup, "seed": "8"}))
    other.train(120)
    assert other.frame()["lanes"][0]["records"] != first.frame()["lanes"][0]["records"]


def test_race_lanes_start_from_the_same_weights_and_batches():
    # Two lanes with the same optimizer are the same run twice; different ones differ only by rule.
    same = PlaygroundRun(parse_config({"opt": "sgd", "b.opt": "sgd"}))
    same.train(40)
    assert same.lanes[0].records == same.lanes[1].records
    race = PlaygroundRun(parse_config({"opt": "sgd", "b.opt": "adam"}))
    first_a, first_b = race.lanes[0].records[0], race.lanes[1].records[0]
    assert first_a["train_loss"] == first_b["train_loss"] and first_a["weight"] == first_b["weight"]
    race.train(5)
    assert race.lanes[0].records[-1]["train_loss"] != race.lanes[1].records[-1]["train_loss"]


def test_the_watched_weight_record_is_the_optimizers_own_numbers():
    run = PlaygroundRun(parse_config({"opt": "adam", "lr": "0.01", "watch": "1:2:3"}))
    lane = run.lanes[0]
    before = float(lane.linears[1].weight.data[2, 3])
    run.train(1)
    record = lane.records[-1]["weight"]
    param = lane.linears[1].weight
    assert record["id"] == "1:2:3"
    assert record["value"] == float(param.data[2, 3])
    assert record["update"] == pytest.approx(float(param.data[2, 3]) - before, abs=1e-7)
    assert record["grad"] == float(np.asarray(param.grad)[2, 3])
    state = lane.optimizer.state[param]
    assert record["state"]["exp_avg"] == float(state["exp_avg"][2, 3])
    assert record["state"]["exp_avg_sq"] == float(state["exp_avg_sq"][2, 3])
    # Adam's first bias-corrected step moves each weight by about lr, whatever its gradient.
    assert abs(record["update"]) == pytest.approx(0.01, rel=1e-3)
    assert record["effective_lr"] == pytest.approx(-record["update"] / record["grad"])


def test_plain_sgds_effective_lr_is_its_lr_and_it_keeps_no_state():
    run = PlaygroundRun(parse_config({"opt": "sgd", "lr": "0.25"}))
    run.train(3)
    record = run.lanes[0].records[-1]["weight"]
    assert record["effective_lr"] == pytest.approx(0.25, rel=1e-4)
    assert record["state"] == {}


def test_layer_records_hold_gradient_norms_and_update_ratios():
    run = PlaygroundRun(parse_config({"opt": "sgd", "lr": "0.1", "hidden": "4"}))
    lane = run.lanes[0]
    assert lane.records[0]["grad_norm"] is None  # step 0: nothing computed yet
    weights_before = [layer.weight.data.copy() for layer in lane.linears]
    run.train(1)
    record = lane.records[-1]
    for j, layer in enumerate(lane.linears):
        grad = np.asarray(layer.weight.grad, dtype=np.float64)
        assert record["grad_norm"][j] == pytest.approx(np.linalg.norm(grad))
        # SGD's update is -lr * grad: the ratio is lr |g| / |w|.
        expected = 0.1 * np.linalg.norm(grad) / np.linalg.norm(weights_before[j].astype(np.float64))
        assert record["update_ratio"][j] == pytest.approx(expected, rel=1e-4)
    assert lane.layer_names == ["0", "2"]


def test_records_are_dense_at_first_then_sparse():
    recorded = [step for step in range(20_001) if is_recorded(step)]
    assert recorded[:200] == list(range(200))
    assert 600 < len(recorded) < 800
    assert 20_000 in recorded


def test_a_watch_change_keeps_the_run_and_a_training_change_restarts_it():
    run = PlaygroundRun(parse_config({}))
    run.train(30)
    generation = run.generation
    assert run.configure(parse_config({"watch": "1:0:1", "speed": "20"})) is False
    assert run.generation == generation and run.steps == 30
    run.train(1)
    assert run.lanes[0].records[-1]["weight"]["id"] == "1:0:1"
    assert run.configure(parse_config({"lr": "0.05"})) is True
    assert run.generation == generation + 1 and run.steps == 0


def test_a_setup_that_fails_to_build_changes_nothing():
    run = PlaygroundRun(parse_config({}))
    run.train(12)
    before = (run.generation, run.steps, run.config.query())
    with pytest.raises(ConfigError, match="the output layer has 3 units"):
        run.configure(parse_config({"dataset": "iris", "watch": "2:5:0"}))
    assert (run.generation, run.steps, run.config.query()) == before


def test_frames_are_full_or_what_changed_since():
    run = PlaygroundRun(parse_config({"b.opt": "sgd"}))
    full = run.frame()
    assert full["full"] and "data" in full and len(full["lanes"]) == 2
    counts = run.record_counts()
    run.train(4)
    update = run.frame(counts)
    assert not update["full"] and "data" not in update
    assert [r["step"] for r in update["lanes"][0]["records"]] == [1, 2, 3, 4]
    assert update["lanes"][0]["records_from"] == counts[0]
    cells = base64.b64decode(update["lanes"][0]["boundary"])
    assert len(cells) == 2 * 64 * 64
    classes = np.frombuffer(cells, np.uint8)[0::2]
    assert set(np.unique(classes)) <= {0, 1}


def test_playing_stops_at_the_step_limit_with_a_note():
    run = PlaygroundRun(parse_config({}), Limits(max_steps=25))
    run.set_playing(True)
    assert run.train(100) == 25
    assert not run.playing and "limit of 25 steps" in run.note
    run.set_playing(True)
    assert not run.playing and "reset" in run.note
    run.reset()
    assert run.steps == 0 and not run.playing


def test_the_rate_limiter_allows_a_burst_then_refuses():
    limiter = RateLimiter(10)
    assert limiter.take(10)
    assert not limiter.take(5)


def test_the_csv_has_a_row_per_lane_and_record():
    run = PlaygroundRun(parse_config({"b.opt": "momentum"}))
    run.train(3)
    lines = run.curves_csv().splitlines()
    assert lines[0] == "lane,optimizer,step,epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy"
    assert len(lines) == 1 + 2 * 4
    assert lines[1].startswith("A,Adam (lr=0.02),0,1,0.02,")
    assert lines[-1].startswith("B,Momentum (lr=0.05),3,1,0.05,")

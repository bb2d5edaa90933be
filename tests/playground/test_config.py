"""The playground's setup: one parser for the URL and the API, strict and specific."""
from urllib.parse import parse_qsl

import pytest

from minigrad.playground.config import (
    DATASETS, FIELDS, OPTIMIZERS, ConfigError, Limits, default_config, parse_config, schema,
)


def query_dict(config):
    return dict(parse_qsl(config.query(), keep_blank_values=True))


def test_defaults_are_moons_with_adam_and_one_lane():
    config = default_config()
    assert config.values["dataset"] == "moons"
    assert config.hidden == (8, 8)
    assert [lane.optimizer for lane in config.lanes] == ["adam"]
    assert not config.race


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_round_trips_through_its_query(optimizer):
    config = parse_config({"opt": optimizer, "b.opt": "sgd", "schedule": "step"})
    again = parse_config(query_dict(config))
    assert again.as_flat() == config.as_flat()
    assert again.query() == config.query()


def test_the_query_names_every_field_that_applies_and_no_other():
    flat = default_config().as_flat()
    assert {"beta1", "beta2", "eps", "eps_inside_sqrt", "bias_correction"} <= set(flat)
    assert "momentum" not in flat and "step_size" not in flat
    sgd = parse_config({"opt": "sgd", "schedule": "cosine"}).as_flat()
    assert {"momentum", "nesterov", "ema", "t_max"} <= set(sgd)
    assert "beta1" not in sgd and "eps" not in sgd


def test_values_from_a_url_and_from_json_mean_the_same():
    from_url = parse_config({"hidden": "16, 4", "lr": "0.5", "nesterov": "1", "momentum": "0.9", "opt": "sgd"})
    from_json = parse_config({"hidden": [16, 4], "lr": 0.5, "nesterov": True, "momentum": 0.9, "opt": "sgd"})
    assert from_url.as_flat() == from_json.as_flat()
    assert from_url.hidden == (16, 4)


def test_an_empty_hidden_field_is_a_linear_model():
    assert parse_config({"hidden": ""}).hidden == ()


def test_the_slides_variants_reach_the_optimizer():
    config = parse_config({"opt": "adam", "eps_inside_sqrt": "1", "bias_correction": "first", "b.opt": "momentum",
                           "b.ema": "true"})
    adam, momentum = config.lanes
    assert adam.optimizer_kwargs()["eps_inside_sqrt"] is True
    assert adam.optimizer_kwargs()["bias_correction"] == "first"
    assert momentum.optimizer_kwargs()["ema"] is True and momentum.optimizer_kwargs()["momentum"] == 0.9
    assert parse_config({"bias_correction": "none"}).lanes[0].optimizer_kwargs()["bias_correction"] is False


def test_each_optimizer_has_its_own_default_lr():
    lrs = {name: parse_config({"opt": name}).lanes[0].values["lr"] for name in OPTIMIZERS}
    assert lrs["sgd"] > lrs["adam"]
    assert parse_config({"opt": "adamw"}).lanes[0].values["weight_decay"] == 0.01


@pytest.mark.parametrize("raw, field, words", [
    ({"optimizer": "adam"}, "optimizer", "unknown parameter 'optimizer'"),
    ({"opt": "adamx"}, "opt", "unknown optimizer 'adamx'; choose one of: sgd"),
    ({"lr": "-0.1"}, "lr", "lr: must be > 0 and <= 10000, got -0.1"),
    ({"lr": "0"}, "lr", "lr: must be > 0"),
    ({"lr": "fast"}, "lr", "lr: expected a number, got 'fast'"),
    ({"lr": "nan"}, "lr", "lr: expected a finite number"),
    ({"lr": True}, "lr", "lr: expected a number, got True"),
    ({"lr": [0.1]}, "lr", "lr: expected a number, got [0.1]"),
    ({"hidden": "1000000000"}, "hidden", "width 1000000000 is over the limit of 64"),
    ({"hidden": "8,x"}, "hidden", "hidden: expected an integer, got 'x'"),
    ({"hidden": "8,0"}, "hidden", "a width must be at least 1, got 0"),
    ({"hidden": "2,2,2,2,2,2,2"}, "hidden", "7 hidden layers is over the limit of 6"),
    ({"points": "100000"}, "points", "points: must be >= 20 and <= 2000, got 100000"),
    ({"points": "2.5"}, "points", "points: expected an integer, got '2.5'"),
    ({"seed": "-1"}, "seed", "seed: must be >= 0"),
    ({"speed": "1000"}, "speed", "speed: must be >= 1 and <= 250"),
    ({"dataset": "mnist"}, "dataset", "unknown dataset 'mnist'"),
    ({"activation": "gelu"}, "activation", "unknown activation 'gelu'"),
    ({"nesterov": "maybe", "opt": "sgd"}, "nesterov", "nesterov: expected 1 or 0"),
    ({"beta1": "1"}, "beta1", "beta1: must be >= 0 and < 1, got 1"),
    ({"opt": "sgd", "beta1": "0.5"}, "beta1", "sgd has no beta1; it is a field of adam, adamw"),
    ({"step_size": "3"}, "step_size", "the schedule 'none' has no step_size"),
    ({"dataset": "iris", "noise": "0.1"}, "noise", "'iris' is a fixed scikit-learn set"),
    ({"b.lr": "0.1"}, "b.lr", "b.lr is given but b.opt is not"),
    ({"b.opt": "rmsprop", "b.beta2": "0.9"}, "b.beta2", "rmsprop has no beta2"),
    ({"opt": "sgd", "nesterov": "1"}, "momentum", "Nesterov momentum requires momentum > 0"),
    ({"opt": "sgd", "ema": "1"}, "momentum", "requires momentum > 0"),
    ({"watch": "0:0"}, "watch", "expected layer:row:col"),
    ({"watch": "3:0:0"}, "watch", "layer 3 does not exist; the network has 3 layers"),
    ({"watch": "0:8:0"}, "watch", "row 8 is out of range; layer 0 has 8 units"),
    ({"watch": "1:0:8"}, "watch", "column 8 is out of range; layer 1 has 8 inputs"),
])
def test_bad_values_name_the_field_and_the_value(raw, field, words):
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_limits_are_the_given_ones():
    small = Limits(max_width=4, max_hidden_layers=1, max_points=100, max_speed=10)
    with pytest.raises(ConfigError, match="width 5 is over the limit of 4"):
        parse_config({"hidden": "5"}, small)
    with pytest.raises(ConfigError, match="2 hidden layers is over the limit of 1"):
        parse_config({"hidden": "2,2"}, small)
    with pytest.raises(ConfigError, match="<= 100"):
        parse_config({"points": "101", "hidden": "2"}, small)
    with pytest.raises(ConfigError, match="<= 10"):
        parse_config({"speed": "11", "hidden": "2"}, small)


def test_a_setup_that_is_not_a_mapping_is_refused():
    with pytest.raises(ConfigError, match="must be an object"):
        parse_config(["lr", "0.1"])


def test_speed_and_watch_do_not_change_what_is_trained():
    base = default_config()
    assert parse_config({"speed": "10", "watch": "1:2:3"}).training_key() == base.training_key()
    assert parse_config({"lr": "0.03"}).training_key() != base.training_key()


def test_the_schema_describes_every_field_and_the_limits():
    described = schema(Limits(max_width=32))
    names = [field["name"] for field in described["fields"]]
    assert names == [field.name for field in FIELDS]
    hidden = next(field for field in described["fields"] if field["name"] == "hidden")
    assert hidden["high"] == 32
    assert described["limits"]["max_width"] == 32
    assert set(described["generated_datasets"]) | set(described["bundled_datasets"]) == set(DATASETS)
    assert parse_config(described["defaults"]).as_flat() == described["defaults"]


def test_the_docs_state_the_default_limits():
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[2] / "docs" / "playground.md").read_text().split())
    limits = Limits()
    for claim in (f"{limits.max_hidden_layers} hidden layers of at most {limits.max_width} units",
                  f"the data ({limits.max_points} points)", f"the speed ({limits.max_speed} steps a second)",
                  f"a run's length ({limits.max_steps} steps)", f"the number of pages ({limits.max_runs};",
                  f"unwatched for {limits.idle_seconds / 60:g} minutes", f"at most {limits.max_step_request}"):
        assert claim in text, claim

"""The one optimizer registry: every optimizer class in it (or excluded with a reason),
names, lookups, options, and the errors for unknown names and options that do not apply."""
import inspect

import numpy as np
import pytest

from minigrad import optim
from minigrad.optim import registry
from minigrad.tensor import Tensor


def exported_optimizer_classes():
    return {value for name in optim.__all__ for value in [getattr(optim, name)]
            if isinstance(value, type) and issubclass(value, optim.Optimizer)}


def test_every_optimizer_class_is_registered_or_excluded_with_a_reason():
    registered = {spec.cls for spec in registry.specs()}
    for cls in exported_optimizer_classes():
        assert cls in registered or cls in registry.EXCLUDED, (
            f"{cls.__name__} is exported by minigrad.optim but is neither in the registry nor in "
            "registry.EXCLUDED: add a _register(...) line (or an exclusion with its reason)")
    assert not registered & set(registry.EXCLUDED)
    assert all(len(reason) > 20 for reason in registry.EXCLUDED.values())


def test_names_are_unique_lowercase_and_each_class_registered_once():
    names = [spec.name for spec in registry.specs()]
    assert names == list(registry.NAMES) and len(set(names)) == len(names)
    assert all(name == name.lower() and " " not in name for name in names)
    classes = [spec.cls for spec in registry.specs()]
    assert len(set(classes)) == len(classes)
    assert set(registry.CLASSIC) <= set(names)


@pytest.mark.parametrize("spec", registry.specs(), ids=lambda spec: spec.name)
def test_each_entry_builds_its_class_at_its_default_lr_and_takes_one_step(spec):
    param = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    optimizer = registry.make(spec.name, [param])
    assert type(optimizer) is spec.cls and optimizer.param_groups[0]["lr"] == spec.default_lr
    assert registry.name_of(optimizer) == spec.name and registry.get(spec.display_name) is spec

    def closure():
        optimizer.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return float(loss.data)

    closure()
    if spec.needs_closure:
        optimizer.step(closure)
    else:
        optimizer.step()
    assert np.abs(param.data).sum() < 3.0  # it moved downhill


def test_options_come_from_the_class_signature_and_variants_are_options():
    for spec in registry.specs():
        signature = inspect.signature(spec.cls).parameters
        assert set(spec.options) == set(signature) - {"params", "flat", "lr"}
        assert set(spec.variants) <= set(spec.cli_options), spec.name
    assert registry.get("adam").accepts("bias_correction") and registry.get("adam").accepts("eps_hat")
    assert registry.get("momentum").accepts("ema") and registry.get("rmsprop").accepts("eps_inside_sqrt")
    assert not registry.get("adam").accepts("nesterov") and not registry.get("lion").accepts("eps")


def test_lookup_ignores_case_and_dashes():
    assert registry.get("AdamW").name == "adamw"
    assert registry.get("schedule-free-sgd").cls is optim.ScheduleFreeSGD
    assert registry.get("Schedule-free SGD").name == "schedule_free_sgd" and registry.get("L-BFGS").name == "lbfgs"
    assert registry.name_of(optim.RMSprop) == "rmsprop"  # PyTorch's spelling is the same class


@pytest.mark.parametrize("name", ["adamx", "", None, 3, "adam2"])
def test_an_unknown_name_is_named_and_the_known_ones_listed(name):
    with pytest.raises(registry.UnknownOptimizerError, match="unknown optimizer") as error:
        registry.get(name)
    assert repr(name) in str(error.value)
    assert all(known in str(error.value) for known in registry.NAMES)
    assert isinstance(error.value, ValueError)


def test_an_option_that_does_not_apply_is_refused_before_anything_is_built():
    param = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(registry.OptionError, match=r"nesterov does not apply to adam \(Adam takes: betas, eps"):
        registry.make("adam", [param], nesterov=True)
    assert param.grad is None and np.array_equal(param.data, [1.0])
    with pytest.raises(ValueError, match="--momentum does not apply to lion"):
        registry.check_options("lion", {"momentum": 0.9}, spelling=lambda o: "--" + o)


def test_out_of_range_values_are_the_class_own_errors_naming_the_value():
    with pytest.raises(ValueError, match="-0.5"):
        registry.check_values("sgd", lr=-0.5)
    with pytest.raises(ValueError, match="history_size"):
        registry.check_values("lbfgs", options={"history_size": 0})


def test_lbfgs_gets_a_line_search_unless_told_otherwise():
    param = Tensor(np.array([1.0]), requires_grad=True)
    assert registry.make("lbfgs", [param]).param_groups[0]["line_search_fn"] == "strong_wolfe"
    assert registry.make("lbfgs", [param], line_search_fn=None).param_groups[0]["line_search_fn"] is None
    assert registry.class_options({"line_search_fn": "none"}) == {"line_search_fn": None}


def test_name_of_an_unregistered_optimizer_is_its_class_name():
    param = Tensor(np.array([1.0]), requires_grad=True)
    assert registry.name_of(optim.Lookahead(optim.SGD([param], lr=0.1))) == "Lookahead"


def test_class_options_turns_json_values_into_what_classes_take():
    converted = registry.class_options({"betas": [0.8, 0.9], "bias_correction": "false", "eps": 1e-7})
    assert converted == {"betas": (0.8, 0.9), "bias_correction": False, "eps": 1e-7}

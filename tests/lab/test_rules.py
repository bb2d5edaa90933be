"""Every optimizer in the lab and in the step tables: the rows are the optimizer's own state,
the intermediate values its own functional rule's, L-BFGS through a closure, Lookahead
around another optimizer, schedule-free's evaluation point."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import lab, optim
from minigrad.lab import rules
from minigrad.lab.table import table_columns

# Learning rates that make a telling run on the bowl x^2 + y^2 from (6, 9) in 20 steps.
BOWL_LR = {"SGD": 0.1, "Momentum": 0.05, "AdaGrad": 3.0, "AdaGrad_": 3.0, "RMSProp": 0.5, "Adam": 1.0,
           "AdamW": 1.0, "Adamax": 1.0, "Adadelta": 1.0, "NAdam": 1.0, "RAdam": 0.1, "Rprop": 0.5,
           "ASGD": 0.1, "LBFGS": 1.0, "Lion": 0.3, "AdaBelief": 1.0, "Yogi": 1.0, "LAMB": 0.1,
           "Lookahead": 1.0, "ScheduleFreeSGD": 0.1, "ScheduleFreeAdamW": 1.0}


def lab_form(cls, function="bowl"):
    """What the lab runs for an optimizer class: the class, or its adapter."""
    if cls is optim.LBFGS:
        return lab.with_closure(optim.LBFGS, function)
    if cls is optim.Lookahead:
        return lab.lookahead(optim.Adam, sync_period=3)
    return cls


EXPORTED = sorted({getattr(optim, name) for name in optim.__all__
                   if isinstance(getattr(optim, name), type) and issubclass(getattr(optim, name), optim.Optimizer)
                   and getattr(optim, name) is not optim.Optimizer}, key=lambda cls: cls.__name__)


def test_every_optimizer_has_a_rule_for_its_tables():
    lacking = [cls.__name__ for cls in EXPORTED if rules.rule_of(cls) is None and cls is not optim.Lookahead]
    assert not lacking, f"optimizers the step tables do not know: {lacking}; add them to lab.rules.RULES"


@pytest.mark.parametrize("cls", EXPORTED, ids=[cls.__name__ for cls in EXPORTED])
def test_every_optimizer_runs_in_the_lab_and_has_a_step_table(cls):
    extra = {"max_iter": 1, "max_eval": 25, "line_search_fn": "strong_wolfe"} if cls is optim.LBFGS else {}
    trajectory = lab.run("bowl", lab_form(cls), steps=20, lr=BOWL_LR.get(cls.__name__, 0.1), **extra)
    assert not trajectory.diverged, trajectory.message
    assert trajectory.steps_taken == 20 and np.isfinite(trajectory.points).all()
    assert trajectory.final_value < trajectory.values[0], trajectory.summary()  # downhill
    table = lab.step_table(trajectory)
    assert table.rows == 21
    headers = [header for header, _ in table.columns]
    state = rules.states_from_zero(trajectory)[-1]
    shown = [name for name, value in state.items() if name != "step" and not isinstance(value, list)
             and name not in ("prev_flat_grad", "prev_loss")]  # L-BFGS' history and repeats are left out
    assert all({"t": "t_k"}.get(name, name) in headers for name in shown), (shown, headers)


# ---- the rows are the optimizer's own state --------------------------------------------------------

NEW_RULES = {
    "NAdam": (optim.NAdam, dict(lr=0.05, momentum_decay=0.01)),
    "NAdamW": (optim.NAdam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    "RAdam": (optim.RAdam, dict(lr=0.002)),
    "Adamax": (optim.Adamax, dict(lr=0.05)),
    "Adadelta": (optim.Adadelta, dict(lr=1.0, rho=0.8)),
    "Rprop": (optim.Rprop, dict(lr=0.01)),
    "ASGD": (optim.ASGD, dict(lr=1e-3, t0=3, lambd=0.01)),
    "Lion": (optim.Lion, dict(lr=0.01)),
    "AdaBelief": (optim.AdaBelief, dict(lr=0.05)),
    "AdaBelief nesterov": (optim.AdaBelief, dict(lr=0.05, nesterov=True)),
    "Yogi": (optim.Yogi, dict(lr=0.05)),
    "LAMB": (optim.LAMB, dict(lr=0.05, weight_decay=0.01)),
    "ScheduleFreeSGD": (optim.ScheduleFreeSGD, dict(lr=1e-3, warmup_steps=3)),
    "ScheduleFreeAdamW": (optim.ScheduleFreeAdamW, dict(lr=0.05, weight_decay=0.01)),
}
STEPS = 12


def by_hand(optimizer, point, function, steps, closure=False):
    """Step ``optimizer`` on ``function`` the ordinary way; its state after every step."""
    states = []
    for _ in range(steps):
        def evaluate():
            optimizer.zero_grad()
            loss = function(point)
            loss.backward()
            return loss
        if closure:
            optimizer.step(evaluate)
        else:
            evaluate()
            optimizer.step()
        states.append({k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                       for k, v in optimizer.state[point].items()})
    return states


def columns_by_header(trajectory):
    return dict(table_columns(trajectory))


@pytest.mark.parametrize("name", NEW_RULES)
def test_table_rows_are_the_optimizers_own_state_after_the_same_steps(name):
    cls, hyperparameters = NEW_RULES[name]
    rosenbrock = lab.get_function("rosenbrock")
    trajectory = lab.run(rosenbrock, cls, steps=STEPS, **hyperparameters)
    point = mg.Tensor(np.array(rosenbrock.start), requires_grad=True)
    states = by_hand(cls([point], **hyperparameters), point, rosenbrock, STEPS)
    columns = columns_by_header(trajectory)
    buffers = [k for k in states[-1] if k != "step"]
    assert buffers and all(k in columns for k in buffers)
    for t, state in enumerate(states, start=1):
        for buffer in buffers:
            assert np.array_equal(columns[buffer][t], state[buffer]), (buffer, t)
    # row 0 is the rule's fresh state, as the optimizer creates it on its first step
    fresh = rules.rule_of(cls).init(np.array(rosenbrock.start), **rules._arguments(
        rules.rule_of(cls).init, trajectory.hyperparameters))
    for buffer in buffers:
        assert np.array_equal(columns[buffer][0], fresh[buffer]), buffer
    # the intermediate values come from the optimizer's own rule, for every step
    # (a replayed step is kept only if it lands on the recorded point and state bit for bit)
    traces = rules.replayed_traces(trajectory)
    assert traces[0] is None and all(trace is not None for trace in traces[1:])


def test_nadam_table_shows_its_denominator_from_the_rule():
    trajectory = lab.run("square", optim.NAdam, start=9.0, steps=3, lr=0.1)
    columns = columns_by_header(trajectory)
    v = 0.0
    for t in range(1, 4):
        g = trajectory.grads[t - 1, 0]
        v = 0.999 * v + 0.001 * g * g
        assert columns["denom"][t][0] == pytest.approx(np.sqrt(v / (1 - 0.999**t)) + 1e-8, rel=1e-12)


def test_a_subclass_with_another_rule_gets_no_replayed_trace():
    class HalvedNAdam(optim.NAdam):
        def _update(self, param, grad, state, group, scratch):
            super()._update(param, grad / 2, state, group, scratch)

    trajectory = lab.run("bowl", HalvedNAdam, steps=3, lr=0.1)
    assert trajectory.optimizer == "HalvedNAdam"
    assert rules.optimizer_class_of(trajectory) is None
    assert "denom" not in columns_by_header(trajectory)


def test_replay_follows_a_schedule_and_noise():
    trajectory = lab.run("rosenbrock", optim.Yogi, steps=10, lr=0.05, noise=0.5, seed=3,
                         schedule=lambda opt: optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5))
    traces = rules.replayed_traces(trajectory)
    assert all(trace is not None for trace in traces[1:])
    np.testing.assert_array_equal(traces[4]["grad"], trajectory.step_grads[3])


# ---- L-BFGS through a closure ------------------------------------------------------------------------

def test_lbfgs_in_the_lab_takes_the_steps_of_lbfgs_with_a_closure():
    rosenbrock = lab.get_function("rosenbrock")
    settings = dict(max_iter=1, max_eval=25, line_search_fn="strong_wolfe")
    trajectory = lab.run(rosenbrock, lab.with_closure(optim.LBFGS, rosenbrock), steps=40, **settings)
    assert trajectory.optimizer == "LBFGS"
    point = mg.Tensor(np.array(rosenbrock.start), requires_grad=True)
    states = by_hand(optim.LBFGS([point], **settings), point, rosenbrock, 40, closure=True)
    columns = columns_by_header(trajectory)
    for t, state in enumerate(states, start=1):
        assert columns["n_iter"][t] == state["n_iter"] and columns["func_evals"][t] == state["func_evals"]
        assert columns["t_k"][t] == state["t"]
        np.testing.assert_array_equal(columns["d"][t], state["d"])
    assert trajectory.distance_to_minimum() < 1e-5  # L-BFGS reaches (1, 1) within 40 iterations
    assert trajectory.final_value < 1e-9


def test_lbfgs_in_the_lab_refuses_gradient_noise_it_cannot_see():
    with pytest.raises(ValueError, match="noise"):
        lab.run("bowl", lab.with_closure(optim.LBFGS, "bowl"), steps=3, noise=0.5, seed=0)


def test_with_closure_and_lookahead_want_optimizer_classes():
    with pytest.raises(TypeError, match="Optimizer class"):
        lab.with_closure("lbfgs", "bowl")
    with pytest.raises(TypeError, match="Optimizer class"):
        lab.lookahead(optim.Adam([mg.Tensor(np.zeros(2), requires_grad=True)]))
    with pytest.raises(TypeError, match="not another Lookahead"):
        lab.lookahead(optim.Lookahead)
    with pytest.raises(ValueError, match="sync_period: 0"):
        lab.lookahead(optim.Adam, sync_period=0)


# ---- Lookahead, schedule-free and ASGD: the point to evaluate -----------------------------------------

def test_lookahead_table_shows_the_slow_weights_of_lookahead_itself():
    trajectory = lab.run("rosenbrock", lab.lookahead(optim.Adam, sync_period=4, slow_step_size=0.5),
                         steps=9, lr=0.05)
    assert trajectory.optimizer == "Lookahead(Adam)"
    point = mg.Tensor(np.array(trajectory.points[0]), requires_grad=True)
    opt = optim.Lookahead(optim.Adam([point], lr=0.05), sync_period=4, slow_step_size=0.5)
    states = by_hand(opt, point, lab.get_function("rosenbrock"), 9)
    slow = columns_by_header(trajectory)["slow_param"]
    np.testing.assert_array_equal(slow[0], trajectory.points[0])  # phi_0 = theta_0
    for t, state in enumerate(states, start=1):
        np.testing.assert_array_equal(slow[t], state["slow_param"])
    np.testing.assert_array_equal(trajectory.points[8], slow[8])  # a sync puts theta at phi
    np.testing.assert_array_equal(lab.evaluation_trajectory(trajectory).points, np.array(slow))


@pytest.mark.parametrize("cls", [optim.ScheduleFreeSGD, optim.ScheduleFreeAdamW])
def test_schedule_free_eval_column_is_what_eval_puts_into_the_parameters(cls):
    rosenbrock = lab.get_function("rosenbrock")
    hyperparameters = dict(lr=1e-3) if cls is optim.ScheduleFreeSGD else dict(lr=0.05)
    trajectory = lab.run(rosenbrock, cls, steps=8, **hyperparameters)
    columns = columns_by_header(trajectory)
    assert "x_t" not in columns and "y_t" in columns
    point = mg.Tensor(np.array(rosenbrock.start), requires_grad=True)
    opt = cls([point], **hyperparameters)
    for t in range(1, 9):
        by_hand(opt, point, rosenbrock, 1)
        np.testing.assert_array_equal(columns["y_t"][t], point.data)
        opt.eval()
        np.testing.assert_array_equal(columns["x_t (eval)"][t], point.data)
        opt.train()
    evaluated = lab.evaluation_trajectory(trajectory)
    np.testing.assert_array_equal(evaluated.points, np.array(columns["x_t (eval)"]))
    np.testing.assert_allclose(evaluated.values, [rosenbrock.value(x) for x in evaluated.points])


def test_asgd_evaluation_trajectory_is_its_average():
    trajectory = lab.run("rosenbrock", optim.ASGD, steps=10, lr=1e-3, t0=2)
    evaluated = lab.evaluation_trajectory(trajectory, label="ASGD average")
    assert evaluated.label == "ASGD average"
    for t in range(1, 11):
        np.testing.assert_array_equal(evaluated.points[t], trajectory.states[t]["ax"])


def test_evaluation_trajectory_of_an_optimizer_without_an_average_says_so():
    with pytest.raises(ValueError, match="adam evaluates at the point it takes gradients at"):
        lab.evaluation_trajectory(lab.run("bowl", "adam", steps=2))

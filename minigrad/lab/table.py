"""Step tables like the slides' worked examples: t, x_t, f'(x_t) and the optimizer's state.

Row t shows the point x_t, the gradient there (the g that the next step uses) and the
optimizer's buffers after t steps, i.e. the ones that produced x_t: for RMSProp from 9 the
row t = 1 reads x_1 = 8.68377, f'(x_1) = 17.3675, square_avg = s_1 = 32.4, exactly the
slide's x_1, f'(x_1), s_1. ``update`` is x_t - x_{t-1}: for SGD with momentum it is the
slides' v_t = m v_{t-1} - eta g_t (PyTorch's buffer holds -v_t / lr).

Every optimizer of ``minigrad.optim`` has its table: its buffers are the optimizer's own
state, step by step, and the intermediate values (bias-corrected moments, NAdam's
denominator, Adadelta's d_t, Lion's sign, LAMB's trust ratio) come from the optimizer's own
update in ``optim.functional`` (see ``minigrad.lab.rules``). For schedule-free SGD/AdamW the
point column is y_t, where the gradients are taken, and ``x_t (eval)`` is the average the
optimizer offers to evaluate.

A table is a ``Table``: the text itself (a ``str``: print it, compare it, write it to a log)
that a notebook shows as an HTML table instead.
"""
from __future__ import annotations

from html import escape

import numpy as np

from minigrad import optim
from minigrad.lab import rules
from minigrad.lab.run import DISPLAY_NAMES, Trajectory

# Buffer names (PyTorch's) with the slides' symbol, for the legend under the table.
SYMBOLS = {
    "momentum_buffer": "velocity b_t (PyTorch's buffer; with ema=True the slides' V_t)",
    "sum": "s_t = s_{t-1} + g_t^2 (AdaGrad)",
    "square_avg": "s_t = rho s_{t-1} + (1 - rho) g_t^2 (RMSProp)",
    "grad_avg": "a_t = rho a_{t-1} + (1 - rho) g_t (centered RMSProp)",
    "exp_avg": "m_t = beta1 m_{t-1} + (1 - beta1) g_t",
    "exp_avg_sq": "v_t = beta2 v_{t-1} + (1 - beta2) g_t^2",
    "max_exp_avg_sq": "max of v_t so far (amsgrad)",
    "m_hat": "m_t / (1 - beta1^t)",
    "v_hat": "v_t / (1 - beta2^t)",
    "update": "x_t - x_{t-1}",
    "lr": "the learning rate of the step that made x_t",
    "g_t (noisy)": "f'(x_t) + noise: the gradient the step from x_t used",
    # the rules beyond the slides (optim.functional's docstrings have the full equations)
    "exp_inf": "u_t = max(beta2 u_{t-1}, |g_t| + eps) (Adamax's infinity norm)",
    "acc_delta": "u_t = rho u_{t-1} + (1 - rho) d_t^2 (Adadelta: the mean square of the steps)",
    "delta": "d_t = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) * g_t; the step is -lr d_t",
    "mu_product": "P_t = mu_1 ... mu_t, mu_t = beta1 (1 - 0.5 * 0.96^(t psi)) (NAdam)",
    "denom": "sqrt(v^_t) + eps",
    "prev": "g_t as the next step compares it (0 where its sign flipped)",
    "step_size": "Delta_t, each coordinate's own step (Rprop)",
    "eta": "eta_{t+1}, the step size of the next step (ASGD)",
    "mu": "mu_{t+1}, the averaging weight of the next step (ASGD)",
    "ax": "a_t, the average of the iterates: the point to evaluate (ASGD)",
    "exp_avg_var": "s_t = beta2 s_{t-1} + (1 - beta2)(g_t - m_t)^2 + eps_root (AdaBelief)",
    "direction": "sign(c_t), c_t = beta1 m_{t-1} + (1 - beta1) g_t (Lion)",
    "trust_ratio": "r_t = ||theta_{t-1}|| / ||u_t|| (LAMB)",
    "z": "z_t = z_{t-1} + u_t, the base optimizer's iterate (schedule-free)",
    "weight_sum": "w_1 + ... + w_t, w_t = max_lr^weight_lr_power (schedule-free)",
    "max_lr": "the largest lr so far (schedule-free)",
    "y_t": "the parameters in training mode: the gradient is taken here",
    "x_t (eval)": "(y_t - (1 - b1) z_t) / b1: the average to evaluate (optimizer.eval())",
    "slow_param": "phi, the slow weights; every k steps phi <- phi + alpha (theta - phi), theta <- phi",
    "n_iter": "L-BFGS iterations so far",
    "func_evals": "evaluations of the function so far (the line search's included)",
    "d": "d_k = -H_k g_k, the quasi-Newton direction (two-loop recursion)",
    "t_k": "the step length along d_k (lr, or the line search's)",
    "H_diag": "gamma_k = y.s / y.y, the scale of H_0",
}
# Where a rule gives a buffer another meaning than SYMBOLS says (by optimizer class name).
RULE_SYMBOLS = {
    "Lion": {"exp_avg": "m_t = beta2 m_{t-1} + (1 - beta2) g_t (updated after the step)"},
    "Yogi": {"exp_avg_sq": "v_t = v_{t-1} - (1 - beta2) sign(v_{t-1} - g_t^2) g_t^2",
             "exp_avg": "m_t = beta1 m_{t-1} + (1 - beta1) g_t"},
    "Adadelta": {"square_avg": "s_t = rho s_{t-1} + (1 - rho) g_t^2"},
    "ScheduleFreeSGD": {"update": "y_t - y_{t-1}"},
    "ScheduleFreeAdamW": {"exp_avg_sq": "v_t = beta2 v_{t-1} + (1 - beta2) g_t^2", "update": "y_t - y_{t-1}"},
}
_TRACED = ("m_hat", "v_hat")
# Intermediate values of a step worth a column, for the rules that trace them.
_RULE_TRACED = {optim.NAdam: ("denom",), optim.Adadelta: ("delta",), optim.Lion: ("direction",),
                optim.LAMB: ("trust_ratio",)}
# State entries that are not one value per coordinate (L-BFGS' history lists) or repeat a column.
_NOT_SHOWN = {"old_dirs", "old_stps", "ro", "prev_flat_grad", "prev_loss"}
_RENAMED = {"t": "t_k"}  # L-BFGS' step length, not the table's row index


def format_number(value: float, digits: int = 6) -> str:
    text = f"{float(value):.{digits}g}"
    return "0" if text == "-0" else text


def format_cell(value, digits: int = 6) -> str:
    """A number, or a vector as (a, b)."""
    if value is None:
        return "-"
    array = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if array.size == 1:
        return format_number(array[0], digits)
    return "(" + ", ".join(format_number(v, digits) for v in array) + ")"


def table_columns(trajectory: Trajectory) -> list[tuple[str, list]]:
    """(header, one value per row t = 0..steps) for every column of the table."""
    rows = range(len(trajectory.points))
    cls = rules.optimizer_class_of(trajectory)
    schedule_free = cls is not None and issubclass(cls, (optim.ScheduleFreeSGD, optim.ScheduleFreeAdamW))
    point = "y_t" if schedule_free else "x_t"
    columns: list[tuple[str, list]] = [
        ("t", list(rows)),
        (point, list(trajectory.points)),
        (f"f'({point})", list(trajectory.grads)),
    ]
    if schedule_free:
        columns.append(("x_t (eval)", list(rules.evaluation_points(trajectory))))
    if trajectory.step_grads is not None:
        used = list(trajectory.step_grads)
        columns.append(("g_t (noisy)", used + [None] * (len(trajectory.points) - len(used))))
    states = rules.states_from_zero(trajectory)
    buffers = [k for k in states[-1] if k != "step" and k not in _NOT_SHOWN]
    for name in buffers:
        columns.append((_RENAMED.get(name, name), [states[t].get(name) for t in rows]))
    traces = _traces(trajectory)
    wanted = _TRACED + next((extra for known, extra in _RULE_TRACED.items() if cls is not None
                             and issubclass(cls, known)), ())
    traced = [k for k in wanted if any(tr and k in tr for tr in traces)]
    for name in traced:
        columns.append((name, [(tr or {}).get(name) for tr in traces]))
    update = [None] + [trajectory.points[t] - trajectory.points[t - 1] for t in rows if t > 0]
    columns.append(("update", update))
    lrs = [lr for lr in trajectory.lrs if lr is not None]
    if len(set(lrs)) > 1:
        columns.append(("lr", list(trajectory.lrs)))
    return columns


def _traces(trajectory: Trajectory) -> list:
    """The recorded traces, or, for a run recorded without them, the optimizer's own rule
    replayed (``rules.replayed_traces``): every step's trace, or None where there is none."""
    if any(trace is not None for trace in trajectory.traces):
        return list(trajectory.traces)
    return rules.replayed_traces(trajectory)


def step_table(trajectory: Trajectory, digits: int = 6, legend: bool = True) -> "Table":
    """The run as a table, one row per step, ready to check a hand computation: text when
    printed, an HTML table in a notebook (see ``Table``)."""
    columns = table_columns(trajectory)
    cells = [(header, [c if header == "t" else format_cell(c, digits) for c in values]) for header, values in columns]
    notes = []
    if legend:
        symbols = {**SYMBOLS, **RULE_SYMBOLS.get(_class_name(trajectory), {})}
        explained = [header for header, _ in columns if header in symbols]
        notes += [f"{name}: {symbols[name]}" for name in explained]
        if "momentum_buffer" in explained and not trajectory.hyperparameters.get("ema"):
            notes.append("(the slides' v_t = m v_{t-1} - eta g_t is the update column, -lr times the buffer)")
    return format_table(_title(trajectory), cells, notes, warning=trajectory.divergence_note)


def _class_name(trajectory: Trajectory) -> str:
    cls = rules.optimizer_class_of(trajectory)
    return cls.__name__ if cls is not None else trajectory.optimizer


class Table(str):
    """A table as text (the string itself: a title line, right-aligned columns, indented
    notes, and a warning line if any) that a notebook displays as an HTML table.

    Being a ``str``, it prints, compares and writes like the text tables have always done;
    ``repr`` is the text too, so a terminal's REPL shows the table rather than an escaped
    one-line string. ``title``, ``columns`` (header, cells), ``notes`` and ``warning`` keep
    the parts for ``_repr_html_``.
    """

    title: str
    columns: list[tuple[str, list[str]]]
    notes: list[str]
    warning: str

    def __new__(cls, title: str, columns: list[tuple[str, list[str]]], notes=(), warning: str = ""):
        table = super().__new__(cls, _table_text(title, columns, notes, warning))
        table.title, table.columns, table.notes, table.warning = title, columns, list(notes), warning
        return table

    def __getnewargs__(self):  # copy and pickle make a Table again from its parts
        return self.title, self.columns, self.notes, self.warning

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:right'>{escape(header)}</th>" for header, _ in self.columns)
        rows = "".join("<tr>" + "".join(f"<td style='text-align:right'>{escape(cells[row])}</td>" for _, cells in self.columns) + "</tr>"
                       for row in range(self.rows))
        notes = "".join(f"<li>{escape(note.strip())}</li>" for note in self.notes)
        warning = f"<p style='color:#b00020'><b>{escape(self.warning)}</b></p>" if self.warning else ""
        return ("<div class='minigrad-table'>"
                f"<table style='font-variant-numeric:tabular-nums'><caption style='caption-side:top;"
                f"text-align:left'>{escape(self.title)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{rows}</tbody></table>"
                + (f"<ul style='font-size:smaller'>{notes}</ul>" if notes else "") + warning + "</div>")

    @property
    def rows(self) -> int:
        return len(self.columns[0][1]) if self.columns else 0


def format_table(title: str, columns: list[tuple[str, list]], notes: list[str] = (), warning: str = "") -> Table:
    """A ``Table``: the title, then one right-aligned column per ``(header, cells)`` (cells
    already formatted, or anything ``str`` shows as wanted), then the notes, indented, and
    the ``warning`` (say, that the run diverged) on a line of its own."""
    cells = [(str(header), [str(cell) for cell in values]) for header, values in columns]
    if len({len(values) for _, values in cells}) > 1:
        raise ValueError(f"the columns of a table must have one cell per row, got {[len(v) for _, v in cells]}")
    return Table(title, cells, notes, warning)


def _table_text(title: str, columns: list[tuple[str, list[str]]], notes, warning: str) -> str:
    cells = [[header] + values for header, values in columns]
    widths = [max(len(cell) for cell in column) for column in cells]
    lines = [title]
    for row in range(len(cells[0]) if cells else 0):
        lines.append("  ".join(column[row].rjust(width) for column, width in zip(cells, widths)))
    lines += [f"  {note}" for note in notes]
    if warning:
        lines.append(warning)
    return "\n".join(lines)


def _title(trajectory: Trajectory) -> str:
    hyper = trajectory.hyperparameters
    shown = ", ".join(f"{k}={_plain(v)}" for k, v in hyper.items()
                      if _worth_showing(k, v, trajectory.defaults.get(k, None)))
    start = format_cell(trajectory.points[0])
    name = DISPLAY_NAMES.get(trajectory.optimizer, trajectory.optimizer)
    noise = f", gradient noise {trajectory.noise:g}" if trajectory.noise else ""
    return (f"{name} ({shown}) on {trajectory.function.name} "
            f"{_plain_formula(trajectory.function.latex)} from x_0 = {start}{noise}")


def _worth_showing(name: str, value, default) -> bool:
    """lr, the numbers that enter the update (momentum, alpha, betas, eps) and anything not at
    its default; a zero decay, or a flag or a named choice left at its default, is noise."""
    if name == "initial_lr":  # written by a scheduler; the lr column shows the schedule
        return False
    if name == "lr" or value != default:
        return True
    if isinstance(value, (bool, str)) or value is None:
        return False
    return not (isinstance(value, (int, float)) and value == 0)


def _plain(value) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    return str(value)


def _plain_formula(latex: str) -> str:
    return latex.replace("$", "").replace("\\ln", "ln").replace("{", "").replace("}", "")

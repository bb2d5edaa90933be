"""functional_call: run a module with parameters given in a dict instead of its own.

What makes a model usable by the transforms: ``grad(loss)(params, x, y)`` differentiates with
respect to ``params``, so ``loss`` must run the model on those tensors, not on the ones the
model holds. Everything is checked before anything is swapped, and the module's own
parameters are back in place when the call returns or raises.
"""
from __future__ import annotations

import difflib
import threading
from typing import Any, Mapping, Sequence

from minigrad.nn.module import Module, StateDictError
from minigrad.tensor import Tensor

__all__ = ["functional_call"]


class _TraceState(threading.local):
    # Set by the per-sample fast path while it traces one sample (see per_sample.py): the
    # tensors a module returns are then handed back through it.
    tracer = None


trace_state = _TraceState()


def functional_call(module: Module, parameter_and_buffer_dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
                    args: Any = None, kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = True) -> Any:
    """``module(*args, **kwargs)`` computed with the parameters in ``parameter_and_buffer_dicts``
    (a dict of dotted name -> Tensor, or a sequence of such dicts), as
    ``torch.func.functional_call``. A non-tuple ``args`` is one argument.

    The names are checked first: a name the module does not have raises
    ``nn.StateDictError`` naming it (and the closest real names); so does a parameter left
    out, unless ``strict=False``, which uses the module's own tensor for it. (PyTorch's
    default is ``strict=False`` and it ignores unknown names silently; a misspelt name then
    trains nothing, so here both are errors by default.) A value must be a Tensor of the
    parameter's shape. With ``tie_weights`` (the default), a parameter registered under
    several names takes the one value given for any of them. The module's own parameters are
    restored when the call returns or raises.

    >>> import minigrad as mg
    >>> from minigrad import nn
    >>> from minigrad.func import functional_call
    >>> layer = nn.Linear(2, 1, seed=0)
    >>> params = {"weight": mg.tensor([[1.0, 2.0]]), "bias": mg.tensor([0.5])}
    >>> functional_call(layer, params, (mg.tensor([[1.0, 1.0]]),))
    Tensor([[3.5]], dtype=float32)
    >>> functional_call(layer, {"weight": params["weight"], "bais": params["bias"]}, mg.tensor([[1.0, 1.0]]))
    Traceback (most recent call last):
    ...
    minigrad.nn.module.StateDictError: functional_call(Linear): unknown parameter name 'bais' (did you mean 'bias'?); missing parameter 'bias' (pass strict=False to use the module's own value for it)
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call needs an nn.Module, got {type(module).__name__}")
    # A plain dict is only read here: no copy of it is needed.
    given = parameter_and_buffer_dicts if type(parameter_and_buffer_dicts) is dict \
        else _merged(parameter_and_buffer_dicts)
    replacements = _replacements(module, given, tie_weights, strict)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    originals = [(owner, attribute, owner._parameters[attribute]) for owner, attribute, _ in replacements]
    try:
        _put(replacements)
        result = module(*args, **(kwargs or {}))
    finally:
        # Every original put back (one not replaced yet, if a put raised, is left as it was).
        _put(reversed(originals))
    tracer = trace_state.tracer
    return result if tracer is None else tracer.module_output(result)


def _put(changes) -> None:
    """Each (owner module, attribute, value) of ``changes`` put in place."""
    for owner, attribute, value in changes:
        # Both the registry (what parameters() lists) and the attribute (what forward reads);
        # object.__setattr__ because Module.__setattr__ accepts only Parameters there.
        owner._parameters[attribute] = value
        object.__setattr__(owner, attribute, value)


def _merged(dicts) -> dict[str, Tensor]:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    if not isinstance(dicts, (list, tuple)) or not all(isinstance(d, Mapping) for d in dicts):
        raise TypeError(
            f"functional_call: parameters must be a dict of name -> Tensor or a sequence of such dicts, "
            f"got {type(dicts).__name__}"
        )
    merged: dict[str, Tensor] = {}
    for d in dicts:
        repeated = [key for key in d if key in merged]
        if repeated:
            raise ValueError(f"functional_call: {', '.join(map(repr, repeated))} given in more than one dict")
        merged.update(d)
    return merged


def _slots(module: Module, prefix: str = "") -> list[tuple[str, Module, str, Tensor]]:
    """(dotted name, owner module, attribute, parameter) for every registered parameter, a
    shared one under each of its names, in the order of ``named_parameters``."""
    found: list = []
    _collect_slots(module, prefix, found)
    return found


def _collect_slots(module: Module, prefix: str, found: list) -> None:
    for attribute, param in module._parameters.items():
        if param is not None:
            found.append((prefix + attribute, module, attribute, param))
    for name, child in module._modules.items():
        if child is not None:
            _collect_slots(child, f"{prefix}{name}.", found)


def _replacements(module: Module, given: dict, tie_weights: bool, strict: bool) -> list[tuple[Module, str, Tensor]]:
    """(owner module, attribute, new value) for every slot to fill, after every check."""
    slots = _slots(module)
    if len(given) == len(slots):
        # The usual call: every parameter named once, by its own name, given a Tensor of its
        # shape, and no parameter registered under two names. Then there is nothing to
        # report and one replacement per slot, in order (what the checks below find too);
        # anything else is left to them.
        replacements = []
        for name, owner, attribute, param in slots:
            value = given.get(name)  # None (not a Tensor) when the name is missing
            if not isinstance(value, Tensor) or value.data.shape != param.data.shape:
                break
            replacements.append((owner, attribute, value))
        else:
            if len({id(param) for *_, param in slots}) == len(slots):  # no parameter under two names
                return replacements
    return _checked_replacements(module, slots, given, tie_weights, strict)


def _checked_replacements(module: Module, slots: list, given: dict, tie_weights: bool,
                          strict: bool) -> list[tuple[Module, str, Tensor]]:
    where = f"functional_call({type(module).__name__})"
    names = [name for name, *_ in slots]
    problems = []
    for key in given:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            problems.append(f"unknown parameter name {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    # With tie_weights the names of one parameter form a group that takes one value.
    chosen: dict = {}
    for name, _, _, param in slots:
        if name in given:
            chosen.setdefault(id(param) if tie_weights else name, []).append(name)
    for group in chosen.values():
        if len({id(given[name]) for name in group}) > 1:
            problems.append(f"tied parameters {', '.join(map(repr, group))} were given different tensors")
    replacements: dict = {}
    missing = []
    for name, owner, attribute, param in slots:
        group = chosen.get(id(param) if tie_weights else name)
        if group is None:
            missing.append(name)
            continue
        value = given[group[0]]
        if not isinstance(value, Tensor):
            raise TypeError(f"{where}: the value for {group[0]!r} must be a Tensor, got {type(value).__name__}")
        if value.shape != param.shape:
            problems.append(f"{name!r} has shape {value.shape}, but the module's parameter has shape {param.shape}")
        # A submodule registered under two names is one object: fill each slot once.
        replacements[(id(owner), attribute)] = (owner, attribute, value)
    if missing and strict:
        problems.append(
            f"missing parameter{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"(pass strict=False to use the module's own value for {'them' if len(missing) > 1 else 'it'})"
        )
    if problems:
        raise StateDictError(f"{where}: " + "; ".join(dict.fromkeys(problems)))
    return list(replacements.values())

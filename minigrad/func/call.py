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
    given = _merged(parameter_and_buffer_dicts)
    replacements = _replacements(module, given, tie_weights, strict)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    originals = []
    try:
        for owner, attribute, value in replacements:
            originals.append((owner, attribute, owner._parameters[attribute]))
            _put(owner, attribute, value)
        result = module(*args, **(kwargs or {}))
    finally:
        for owner, attribute, original in reversed(originals):
            _put(owner, attribute, original)
    tracer = trace_state.tracer
    return result if tracer is None else tracer.module_output(result)


def _put(owner: Module, attribute: str, value) -> None:
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


def _replacements(module: Module, given: dict, tie_weights: bool, strict: bool) -> list[tuple[Module, str, Tensor]]:
    """(owner module, attribute, new value) for every slot to fill, after every check."""
    where = f"functional_call({type(module).__name__})"
    own = list(module.named_parameters(remove_duplicate=False))
    own_names = [name for name, _ in own]
    shapes = {name: param.shape for name, param in own}
    by_id: dict[int, list[str]] = {}
    for name, param in own:
        by_id.setdefault(id(param), []).append(name)
    problems = []
    unknown = [key for key in given if key not in shapes]
    for key in unknown:
        close = difflib.get_close_matches(str(key), own_names, n=1)
        problems.append(f"unknown parameter name {key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    values: dict[str, Tensor] = {}
    for name, param in own:
        names = by_id[id(param)] if tie_weights else [name]
        chosen = [other for other in names if other in given]
        if not chosen:
            continue
        firsts = {id(given[other]) for other in chosen}
        if len(firsts) > 1:
            problems.append(f"tied parameters {', '.join(map(repr, chosen))} were given different tensors")
            continue
        values[name] = given[chosen[0]]
    missing = [name for name in own_names if name not in values]
    if missing and strict:
        hint = "them" if len(missing) > 1 else "it"
        problems.append(
            f"missing parameter{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"(pass strict=False to use the module's own value for {hint})"
        )
    for name, value in values.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{where}: the value for {name!r} must be a Tensor, got {type(value).__name__}")
        if value.shape != shapes[name]:
            problems.append(f"{name!r} has shape {value.shape}, but the module's parameter has shape {shapes[name]}")
    if problems:
        raise StateDictError(f"{where}: " + "; ".join(problems))
    replacements = {}
    for name, value in values.items():
        owner = module
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        # A submodule registered under two names is one object: fill each slot once.
        replacements[(id(owner), attribute)] = (owner, attribute, value)
    return list(replacements.values())

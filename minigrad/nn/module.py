"""Module, Parameter and the containers: how a model holds its weights and its parts.

A ``Module`` registers what is assigned to its attributes: a ``Parameter`` becomes one of
its parameters, a ``Module`` one of its submodules, in the order of assignment; a Tensor
given to ``register_buffer`` becomes a buffer (state without a gradient, such as
BatchNorm's running mean). All stay plain instance attributes, so ``self.weight`` in a
forward pass costs one dict lookup. From the registry come ``parameters()``,
``buffers()``, ``state_dict()``, ``train()``/``eval()`` and the printed structure.

    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

import numpy as np

from minigrad.autograd import is_grad_enabled
from minigrad.ops import Primitive
from minigrad.tensor import RemovableHandle, Tensor


class Parameter(Tensor):
    """A Tensor that is a model's weight: it requires grad by default and a Module that
    holds it as an attribute lists it in ``parameters()``."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_pass_through = Primitive("module_boundary", lambda a: a, lambda xp, g, out, a: g, register=False)


# False until a first module hook is registered anywhere: most programs never register one,
# and then the per-call and per-forward checks for hooks cost one global read.
hooks_registered = False


class _ModuleHooks:
    """A module's registered hooks, by kind, and how a call runs them."""

    def __init__(self):
        self.pre: dict = {}
        self.forward: dict = {}
        self.backward: dict = {}

    def __bool__(self) -> bool:
        return bool(self.pre or self.forward or self.backward)

    def add(self, kind: str, hook) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
        hooks = getattr(self, kind)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def call(self, module: "Module", args: tuple, kwargs: dict):
        for hook in list(self.pre.values()):
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        boundary = None
        if self.backward and is_grad_enabled():
            boundary = _BackwardBoundary(module, self.backward)
            args = boundary.wrap_inputs(args)
        output = module.forward(*args, **kwargs)
        for hook in list(self.forward.values()):
            result = hook(module, args, output)
            if result is not None:
                output = result
        if boundary is not None:
            output = boundary.wrap_output(output)
        return output


class _BackwardBoundary:
    """One call's gradients at a module's edges: a pass-through node on each input and on
    the output, whose tensor hooks collect grad_output and grad_input and then call the
    module's backward hooks (PyTorch marks the edges of a module the same way)."""

    def __init__(self, module: "Module", hooks: dict):
        self.module = module
        self.hooks = hooks
        self.grad_output = None
        self.grad_input: list = []
        self.waiting = 0

    def wrap_inputs(self, args: tuple) -> tuple:
        wrapped = []
        for number, value in enumerate(args):
            if isinstance(value, Tensor) and value.requires_grad:
                value = _pass_through(value)
                value.register_hook(self._input_hook(number))
                self.waiting += 1
            wrapped.append(value)
        self.grad_input = [None] * len(args)
        return tuple(wrapped)

    def wrap_output(self, output):
        if not (isinstance(output, Tensor) and output.requires_grad):
            return output
        output = _pass_through(output)
        output.register_hook(self._output_hook)
        return output

    def _output_hook(self, grad):
        self.grad_output = (grad,)
        if self.waiting == 0:  # no input needs a gradient: the hook fires now, as in PyTorch
            self._fire()

    def _input_hook(self, number: int):
        def hook(grad):
            self.grad_input[number] = grad
            self.waiting -= 1
            if self.waiting == 0:
                replaced = self._fire()
                if replaced is not None:
                    return replaced[number]
            return None
        return hook

    def _fire(self):
        grad_input = tuple(self.grad_input)
        replacement = None
        for hook in list(self.hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                replacement = grad_input = tuple(result)
        return replacement


class StateDictError(ValueError):
    """A state dict does not fit the module: missing or unexpected keys, wrong shapes or dtypes."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it, assign parameters and submodules
    in ``__init__`` (after ``super().__init__()``), and write ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_hooks", None)  # a _ModuleHooks once a hook is registered

    # ---- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        registry = self.__dict__.get("_parameters")
        if registry is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() was called: "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        modules = self.__dict__["_modules"]
        buffers = self.__dict__["_buffers"]
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            registry[name] = value
        elif isinstance(value, Module):
            registry.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} to buffer {name!r} of {type(self).__name__}: "
                    f"a buffer holds a Tensor (e.g. mg.tensor(array)) or None"
                )
            buffers[name] = value
        elif name in registry:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__}: wrap it in nn.Parameter (or assign None)"
                )
            registry[name] = None  # e.g. a Linear without bias keeps the slot, with no tensor
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to submodule {name!r}: expected a Module or None")
            modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Same as ``setattr(self, name, param)``, for names computed at run time."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}) needs a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register ``tensor`` as a buffer: state that is not a parameter (no gradient, not in
        ``parameters()``, untouched by optimizers), such as BatchNorm's running mean. As in
        PyTorch, a persistent buffer is in ``state_dict()`` under its dotted name; ``None``
        reserves the name without a value (and without a state-dict entry). Assigning to
        ``self.<name>`` later replaces the buffer's Tensor."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"attribute {name!r} already exists in {type(self).__name__}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot register a {type(tensor).__name__} as buffer {name!r}: "
                f"a buffer holds a Tensor (e.g. mg.tensor(array)) or None"
            )
        if isinstance(tensor, Parameter):
            raise TypeError(f"buffer {name!r} cannot be a Parameter: register it with register_parameter")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Same as ``setattr(self, name, module)``, for names computed at run time (e.g. "0")."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}) needs a Module, got {type(module).__name__}")
        self._modules[name] = module
        setattr(self, name, module)

    # ---- walking the tree ------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [(f"{name}.{child}" if name else child, m) for child, m in module.named_children()]
            stack.extend(reversed(below))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def _all_named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """Every (dotted name, parameter), a shared one under each of its names: the
        state-dict view. Own parameters first, then each submodule's, in assignment order."""
        found = [(prefix + name, param) for name, param in self._parameters.items() if param is not None]
        for name, module in self._modules.items():
            if module is not None:
                found += module._all_named_parameters(f"{prefix}{name}.")
        return found

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs in definition order; a shared parameter once, or
        under each of its names with ``remove_duplicate=False`` (as PyTorch's)."""
        if not remove_duplicate:
            yield from self._all_named_parameters(prefix)
            return
        seen: set[int] = set()
        for name, param in self._all_named_parameters(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs: own buffers, then each submodule's; each once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None and id(buffer) not in seen:
                    seen.add(id(buffer))
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def _state_tensors(self, prefix: str = "") -> list[tuple[str, Tensor]]:
        """Every (dotted name, tensor) of the state dict, in PyTorch's order: each module's
        parameters, then its persistent buffers, then its submodules'."""
        found = [(prefix + name, param) for name, param in self._parameters.items() if param is not None]
        found += [(prefix + name, buffer) for name, buffer in self._buffers.items()
                  if buffer is not None and name not in self._non_persistent_buffers]
        for name, module in self._modules.items():
            if module is not None:
                found += module._state_tensors(f"{prefix}{name}.")
        return found

    def parameters(self) -> Iterator[Parameter]:
        """The parameters in definition order, each once (what an optimizer takes)."""
        return iter(list({id(p): p for _, p in self._all_named_parameters()}.values()))

    def num_parameters(self) -> int:
        """How many numbers the parameters hold (each shared parameter counted once)."""
        return sum(param.data.size for param in self.parameters())

    # ---- training state ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``.grad = None`` (or zero them in place with ``set_to_none=False``,
        which keeps existing gradient arrays, e.g. views into an optimizer's flat buffer)."""
        for param in self.parameters():
            if set_to_none:
                param._grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0

    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active) on this module and all below it; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (Dropout is the identity); same as ``train(False)``."""
        return self.train(False)

    def to(self, dtype) -> Module:
        """Convert every parameter and floating-point buffer to ``dtype`` (e.g. ``np.float64``
        for gradcheck) and drop the gradients. This replaces the parameter arrays: do it before
        making an optimizer."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"parameters must stay floating point, cannot convert to {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            param.grad = None
        for buffer in self.buffers():
            if buffer.data.dtype.kind == "f":  # integer buffers (a batch counter) stay integers
                buffer.data = buffer.data.astype(dtype)
        return self

    # ---- running ------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        if not hooks_registered or not self.__dict__.get("_hooks"):
            return self.forward(*args, **kwargs)
        return self._hooks.call(self, args, kwargs)

    # ---- hooks ----------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """``hook(module, args)`` before each forward; a non-None result replaces ``args``."""
        return self._hook_registry().add("pre", hook)

    def register_forward_hook(self, hook) -> RemovableHandle:
        """``hook(module, args, output)`` after each forward; a non-None result replaces the output."""
        return self._hook_registry().add("forward", hook)

    def register_full_backward_hook(self, hook) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` when the gradients with respect to this
        module's inputs are computed (tuples of Tensors, None for an input that needs no
        gradient), as PyTorch's; a non-None result replaces ``grad_input``. Enough to log each
        layer's gradient norms while training, without touching the engine."""
        return self._hook_registry().add("backward", hook)

    def _hook_registry(self) -> "_ModuleHooks":
        global hooks_registered
        hooks_registered = True
        if self.__dict__.get("_hooks") is None:
            object.__setattr__(self, "_hooks", _ModuleHooks())
        return self._hooks

    # ---- state dicts ----------------------------------------------------------------------------
    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """A copy of every parameter and persistent buffer as a plain NumPy array, keyed by
        dotted name (``"0.weight"``, ``"1.running_mean"``), in PyTorch's order. Later training
        does not change it. With ``keep_vars=True`` the values are the Tensors themselves."""
        if keep_vars:
            return dict(self._state_tensors(prefix))
        return {name: tensor.data.copy() for name, tensor in self._state_tensors(prefix)}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy ``state``'s arrays into the parameters and persistent buffers, in place.

        Everything is checked first: with ``strict`` the keys must match exactly, and every
        shared key must have the parameter's (or buffer's) shape and dtype. Any mismatch raises
        ``StateDictError`` listing every problem, and the module is left unchanged. The
        values are copied into the existing arrays (``param.data[...] = value``), so an
        optimizer holding those arrays (or views of them) keeps working.
        Returns the missing and unexpected keys (both empty when ``strict``).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict needs a mapping of name -> array, got {type(state).__name__}")
        own = dict(self._state_tensors())
        missing = [key for key in own if key not in state]
        unexpected = [key for key in state if key not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        arrays = {}
        for key, param in own.items():
            if key not in state:
                continue
            value = state[key]
            try:
                value = value.data if isinstance(value, Tensor) else np.asarray(value)
            except (ValueError, TypeError) as error:
                problems.append(f"{key!r}: a {type(state[key]).__name__} that is not an array ({error})")
                continue
            if value.shape != param.data.shape:
                problems.append(f"{key!r}: shape {value.shape} in the state, {param.data.shape} in the model")
            elif value.dtype != param.data.dtype:
                problems.append(
                    f"{key!r}: dtype {value.dtype} in the state, {param.data.dtype} in the model "
                    f"(convert the state, or the model with .to(dtype))"
                )
            arrays[key] = value
        if problems:
            raise StateDictError(
                f"cannot load state dict into {type(self).__name__} (nothing was changed):\n  "
                + "\n  ".join(problems)
            )
        for key, value in arrays.items():
            own[key].data[...] = value
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: str | Path) -> None:
        """Write ``state_dict()`` to one file, atomically (``nn.save``: an ``.npz`` archive, no pickle)."""
        from minigrad.nn.serialization import save

        save(self.state_dict(), path)

    def load(self, path: str | Path, strict: bool = True) -> Module:
        """Load a state dict saved by ``save`` (or ``nn.save``); checks as ``load_state_dict``. Returns self."""
        from minigrad.nn.serialization import load

        state = load(path)
        if not isinstance(state, Mapping):
            raise StateDictError(f"{str(path)!r} holds a {type(state).__name__}, not a state dict")
        self.load_state_dict(state, strict=strict)
        return self

    # ---- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line, e.g. ``in_features=2, ...``."""
        return ""

    def _structure(self) -> list[str]:
        own = sum(p.data.size for p in self._parameters.values() if p is not None)
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return [head + ")" + (f"  # {own:,} parameters" if own else "")]
        lines = [head]
        for name, module in children:
            child = module._structure()
            lines.append(f"  ({name}): {child[0]}")
            lines.extend("  " + line for line in child[1:])
        lines.append(")")
        return lines

    def __repr__(self) -> str:
        lines = self._structure()
        total = self.num_parameters()
        if self._modules:
            trainable = sum(p.data.size for p in self.parameters() if p.requires_grad)
            lines.append(f"# {total:,} parameters ({trainable:,} trainable)")
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.
    They are registered under the names "0", "1", ... (as in PyTorch, so state dicts match)."""

    def __init__(self, *modules: Module):
        super().__init__()
        for index, module in enumerate(modules):
            self.add_module(str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of submodules, registered under "0", "1", ...; it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] = ()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: int | slice):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(modules[index])
        return modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

"""In-place writes, and the checks that keep gradients right after them.

An in-place op (``x.add_(1)``, ``x[0] = 5``, ``x += y``) writes into memory that nodes of
a graph may still read for their gradients. PyTorch keeps a version counter per tensor and
compares it, at backward time, with the version each saved tensor had when it was saved.
minigrad does the same with what it already has: every node carries a number from one
counter (its place in the order nodes were made), and every in-place write takes a number
from that same counter and is remembered by the memory it covered. "Written after node n
used it" is then ``write number > n``, on overlapping memory, whichever tensor (or view, or
detached alias) the write went through. Nothing is recorded when a node is made, so the
usual step pays nothing: the engine looks here only for nodes older than the last write.

The engine (``autograd.made_tensors``) calls two checks:

- ``check_node``, on each node older than the last write, before any gradient is computed:
  if a value the node's gradient rules read (an input, or the output; each primitive says
  which with ``reads``) was overwritten since, it raises, as PyTorch does. An input that
  was rebased by an in-place op after the node used it (``h2 = h * 3; h.add_(1)``) is
  replaced by the version the node saw, so the gradient takes the right path.
- ``check_views``, when the graph is older than the last write made under autograd: a tensor
  whose memory was written through a view or an alias, and then used again, no longer has
  the value its node computed; minigrad refuses (PyTorch re-derives the view's history).

The in-place ops themselves live in ``tensor.py`` (``Tensor._in_place``); a tensor's
``_version`` counts the writes to its memory.
"""
from __future__ import annotations

import weakref

import numpy as np
from numpy.lib.array_utils import byte_bounds

# The number of the last in-place write (any), and of the last one made under autograd.
last_write = -1
last_tracked_write = -1


class _Writes:
    """The writes into the memory of one array that owns it (``root``): for each written
    extent of bytes, the numbers of the last write and of the last write under autograd."""

    __slots__ = ("root", "extents", "tracked", "count")

    def __init__(self, root: weakref.ref):
        self.root = root
        self.extents: dict[tuple[int, int], int] = {}  # the last write into each extent
        self.tracked: dict[tuple[int, int], list[int]] = {}  # the latest writes under autograd
        self.count = 0


# Writes under autograd remembered per extent (the oldest are dropped beyond this: a graph
# that lives through more writes into one extent may miss an aliasing error, never a value).
_TRACKED_KEPT = 32


_writes: dict[int, _Writes] = {}


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _record_for(array: np.ndarray, create: bool) -> _Writes | None:
    owner = _owner(array)
    key = id(owner)
    record = _writes.get(key)
    if record is not None and record.root() is owner:
        return record
    if not create:
        return None

    def forget(ref, key=key):
        if key in _writes and _writes[key].root is ref:
            del _writes[key]

    record = _writes[key] = _Writes(weakref.ref(owner, forget))
    return record


def reserve() -> int:
    """A number for a write about to happen: later than every node made so far, earlier
    than the nodes the in-place op makes for its result."""
    from minigrad import autograd

    return next(autograd._node_numbers)


def record_write(array: np.ndarray, number: int, tracked: bool) -> None:
    """Remember that ``array``'s memory was written, as write ``number`` (``tracked``:
    under autograd, on a tensor in a graph)."""
    global last_write, last_tracked_write
    record = _record_for(array, create=True)
    extent = byte_bounds(array)
    record.extents[extent] = number
    if tracked:
        numbers = record.tracked.setdefault(extent, [])
        numbers.append(number)
        del numbers[:-_TRACKED_KEPT]
        last_tracked_write = max(last_tracked_write, number)
    record.count += 1
    last_write = max(last_write, number)


def _record_and_bounds(array):
    """The write record of ``array``'s memory and its byte bounds, or None when no write
    was ever recorded there (or it is not a non-empty array)."""
    if not isinstance(array, np.ndarray) or array.size == 0:
        return None
    record = _record_for(array, create=False)
    if record is None:
        return None
    return record, byte_bounds(array)


def written_since(array, number: int) -> bool:
    """Whether memory of ``array`` was written by a write later than ``number``."""
    found = _record_and_bounds(array)
    if found is None:
        return False
    record, (low, high) = found
    return any(last > number and start < high and low < stop for (start, stop), last in record.extents.items())


def version(array: np.ndarray) -> int:
    """How many in-place writes went into ``array``'s memory (PyTorch's ``_version``)."""
    record = _record_for(array, create=False)
    return 0 if record is None else record.count


def _saved_arrays(saved) -> list:
    """The arrays in what a node saved: an array, a sequence of them, or a Function's ctx."""
    if isinstance(saved, np.ndarray):
        return [saved]
    if isinstance(saved, (tuple, list)):
        return [a for item in saved for a in _saved_arrays(item)]
    tensors = getattr(saved, "saved_tensors", None)
    if tensors is not None:
        return [t.data for t in tensors if t is not None]
    return []


def _version_seen_by(parent, number: int):
    """The version of ``parent`` that node ``number`` used: ``parent`` itself, or one of the
    snapshots its in-place ops left (``Tensor._previous``: (write number, tensor before))."""
    current = parent
    while True:
        previous = getattr(current, "_previous", None)
        if previous is None or previous[0] < number:
            return current
        current = previous[1]


def _modified_error(name: str, what: str, shape) -> RuntimeError:
    return RuntimeError(
        f"one of the values needed for the gradient of '{name}' ({what}, shape {shape}) was modified by "
        f"an in-place operation after '{name}' used it, so its gradient would be wrong. Use .clone() "
        f"before the in-place operation, or do it out of place"
    )


def check_node(node) -> None:
    """Raise if a value ``node``'s needed gradient rules read was overwritten after the node
    was made; then point its inputs rebased by in-place ops at the versions it used."""
    number = node.number
    name = getattr(node.primitive, "name", "op")
    seen = [_version_seen_by(parent, number) if hasattr(parent, "_node") else parent for parent in node.inputs]
    needs = [getattr(parent, "_requires_grad", False) for parent in seen]
    read_inputs, read_output = _reads(node.primitive, needs, len(node.inputs))
    for index in read_inputs:
        if written_since(node.arrays[index], number):
            raise _modified_error(name, f"its input {index}", np.shape(node.arrays[index]))
    if read_output and any(written_since(a, number) for a in _saved_arrays(node.saved)):
        raise _modified_error(name, "its output", np.shape(_saved_arrays(node.saved)[0]))
    if any(s is not p for s, p in zip(seen, node.inputs)):
        node.arrays = tuple(s.data if s is not p else a for s, p, a in zip(seen, node.inputs, node.arrays))
        node.inputs = tuple(seen)


def _reads(primitive, needs: list, count: int) -> tuple[set, bool]:
    """The inputs (by position) and whether the output are read by the rules that will run.
    A primitive without a ``reads`` declaration is taken to read everything."""
    declared = getattr(primitive, "reads", None)
    if declared is None:
        return set(range(count)), True
    per_rule = declared if len(declared) == count and getattr(primitive, "argnum_rule", None) is None \
        else [declared[0]] * count
    inputs, output = set(), False
    for need, reads in zip(needs, per_rule):
        if need:
            inputs.update(r for r in reads if r != "out")
            output = output or "out" in reads
    return inputs, output


def check_views(order: list, roots) -> None:
    """Raise if a tensor of the graph had its memory written under autograd (through a view
    or an alias) after its node made it, and was used after that write: its node computed
    another value than the one used. ``order`` is the graph's op-made tensors."""
    latest_use: dict[int, float] = {id(root): float("inf") for root in roots}
    for tensor in order:
        user = tensor._node.number
        for parent in tensor._node.inputs:
            key = id(parent)
            if latest_use.get(key, -1) < user:
                latest_use[key] = user
    for tensor in order:
        node = tensor._node
        if node.number >= last_tracked_write:
            continue
        used = latest_use.get(id(tensor), -1)
        if used > node.number and _written_between(tensor.data, node.number, used):
            raise RuntimeError(
                f"the output of '{node.primitive.name}' (shape {tensor.shape}) was modified in place through "
                f"a view or an alias of its memory, then used: its gradient would be wrong. Modify a "
                f".clone() of the view instead"
            )


def _written_between(array, start: int, end: float) -> bool:
    found = _record_and_bounds(array)
    if found is None:
        return False
    record, (low, high) = found
    return any(first < high and low < stop and any(start < n < end for n in numbers)
               for (first, stop), numbers in record.tracked.items())

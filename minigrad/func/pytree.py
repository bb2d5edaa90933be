"""Nested containers of tensors ("pytrees"): take them apart into a flat list, put them back.

The transforms of ``minigrad.func`` accept, as torch.func does, arguments and results that
are dicts, tuples and lists of Tensors, nested to any depth (``grad(loss)(params, x, y)``
with ``params`` a dict returns a dict). Everything else (a Tensor, a number, None, an
array) is a leaf. Dicts keep their key order; namedtuples come back as namedtuples.

>>> leaves, spec = tree_flatten({"w": 1, "pair": (2, [3])})
>>> leaves
[1, 2, 3]
>>> tree_unflatten(spec, [10, 20, 30])
{'w': 10, 'pair': (20, [30])}
>>> [path for path, _ in tree_leaves_with_paths({"w": 1, "pair": (2, [3])})]
["['w']", "['pair'][0]", "['pair'][1][0]"]
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple


class TreeSpec(NamedTuple):
    """How a pytree is built: the container type (None for a leaf), its dict keys (or None)
    and the specs of its children."""

    kind: type | None
    keys: tuple | None
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(child.num_leaves for child in self.children)

    def describe(self) -> str:
        """A short picture of the structure, for error messages: ``{'w': *, 'b': *}``."""
        if self.kind is None:
            return "*"
        inner = [child.describe() for child in self.children]
        if self.keys is not None:
            return "{" + ", ".join(f"{key!r}: {text}" for key, text in zip(self.keys, inner)) + "}"
        if issubclass(self.kind, list):
            return "[" + ", ".join(inner) + "]"
        return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


LEAF = TreeSpec(None, None, ())


_CONTAINERS = (dict, list, tuple)


def is_container(value: Any) -> bool:
    return isinstance(value, _CONTAINERS)


def _children(tree) -> tuple[tuple | None, list]:
    if isinstance(tree, dict):
        return tuple(tree), list(tree.values())
    return None, list(tree)


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """The leaves of ``tree`` in order (dict values in key order) and its structure."""
    if not isinstance(tree, _CONTAINERS):
        return [tree], LEAF
    leaves: list = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree, leaves: list) -> TreeSpec:
    """The spec of the container ``tree``, its leaves appended to ``leaves`` (a leaf child
    is taken in place, without a call of its own: flat dicts of tensors are the usual tree)."""
    keys, children = _children(tree)
    specs = []
    for child in children:
        if isinstance(child, _CONTAINERS):
            specs.append(_flatten_into(child, leaves))
        else:
            leaves.append(child)
            specs.append(LEAF)
    return TreeSpec(type(tree), keys, tuple(specs))


def tree_unflatten(spec: TreeSpec, leaves: list) -> Any:
    """Rebuild the structure ``spec`` describes with ``leaves`` in place of the old leaves."""
    if spec.kind is None and len(leaves) == 1:
        return leaves[0]
    try:
        rebuilt, used = _unflatten_from(spec, leaves, 0)
    except IndexError:
        used = -1
    if used != len(leaves):
        raise ValueError(f"a tree of structure {spec.describe()} has {spec.num_leaves} leaves, got {len(leaves)}")
    return rebuilt


def _unflatten_from(spec: TreeSpec, leaves: list, start: int) -> tuple[Any, int]:
    if spec.kind is None:
        return leaves[start], start + 1
    end = start + len(spec.children)
    if spec.children.count(LEAF) == len(spec.children) and end <= len(leaves):
        # Children all leaves (a flat dict of tensors, the usual tree): taken as one slice.
        return _built(spec, leaves[start:end]), end
    children = []
    for child in spec.children:
        if child.kind is None:  # a leaf, taken in place
            children.append(leaves[start])
            start += 1
        else:
            value, start = _unflatten_from(child, leaves, start)
            children.append(value)
    return _built(spec, children), start


def _built(spec: TreeSpec, children: list) -> Any:
    """The container ``spec`` describes, holding ``children``."""
    if spec.keys is not None:
        return spec.kind(zip(spec.keys, children))
    if hasattr(spec.kind, "_fields"):  # a namedtuple takes its fields as arguments
        return spec.kind(*children)
    return spec.kind(children)


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with every leaf replaced by ``fn(leaf)``."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten(spec, [fn(leaf) for leaf in leaves])


def tree_leaves_with_paths(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, leaf) pairs, the path written as Python would index it: ``"['w'][0]"``."""
    if not is_container(tree):
        return [(prefix, tree)]
    keys, children = _children(tree)
    found = []
    for position, child in enumerate(children):
        step = f"[{keys[position]!r}]" if keys is not None else f"[{position}]"
        found += tree_leaves_with_paths(child, prefix + step)
    return found


def broadcast_prefix(prefix: Any, tree: Any, what: str, where: str) -> list:
    """One entry of ``prefix`` per leaf of ``tree``: ``prefix`` is either a leaf (it applies
    to the whole subtree) or a container of the same type and keys or length as ``tree``,
    recursively. This is how ``in_dims`` and ``out_dims`` describe nested arguments.
    Raises ValueError naming both structures when they do not fit."""
    if not is_container(prefix):
        return [prefix] * len(tree_flatten(tree)[0])
    if not is_container(tree) or _container_kind(prefix) != _container_kind(tree):
        raise ValueError(
            f"{what} for {where} is a {type(prefix).__name__} of structure "
            f"{tree_flatten(prefix)[1].describe()}, but {where} has structure {tree_flatten(tree)[1].describe()}"
        )
    prefix_keys, prefix_children = _children(prefix)
    tree_keys, tree_children = _children(tree)
    if prefix_keys is not None:
        if set(prefix_keys) != set(tree_keys):
            raise ValueError(
                f"{what} for {where} has keys {sorted(map(str, prefix_keys))}, but {where} has keys "
                f"{sorted(map(str, tree_keys))}"
            )
        prefix_children = [prefix[key] for key in tree_keys]
    elif len(prefix_children) != len(tree_children):
        raise ValueError(
            f"{what} for {where} has {len(prefix_children)} entries, but {where} has {len(tree_children)}"
        )
    found = []
    for position, (sub_prefix, subtree) in enumerate(zip(prefix_children, tree_children)):
        step = f"[{tree_keys[position]!r}]" if tree_keys is not None else f"[{position}]"
        found += broadcast_prefix(sub_prefix, subtree, what, where + step)
    return found


def _container_kind(value) -> str:
    return "dict" if isinstance(value, dict) else "sequence"

"""The "Still missing" lists of docs/coming-from-pytorch.md stay true: every name listed as
not yet written is missing from minigrad (so adding one means updating the page), and,
with torch installed, is a real PyTorch name."""
import importlib
import re
from pathlib import Path

import pytest

import minigrad as mg

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coming-from-pytorch.md"
# Where minigrad keeps what each PyTorch namespace holds.
OURS = {
    "torch": ["minigrad", "minigrad.functions"],
    "torch.Tensor": ["minigrad.tensor:Tensor"],
    "torch.nn": ["minigrad.nn"],
    "torch.nn.functional": ["minigrad.nn.functional", "minigrad.functions"],
    "torch.optim": ["minigrad.optim"],
    "torch.optim.lr_scheduler": ["minigrad.optim.lr_scheduler"],
    "torch.utils.data": ["minigrad.data"],
}


def resolve(spec: str):
    module, _, attribute = spec.partition(":")
    found = importlib.import_module(module)
    return getattr(found, attribute) if attribute else found


def not_yet_lists() -> dict[str, list[str]]:
    text = PAGE.read_text()
    section = text.split("Not yet written", 1)[1]
    lists = {}
    for namespace, names in re.findall(r"^- `([\w.]+)`: (.+)$", section, re.M):
        lists[namespace] = re.findall(r"`([\w]+)`", names)
    return lists


def test_the_page_lists_every_namespace():
    assert set(not_yet_lists()) == {name for name in OURS if name != "torch.optim.lr_scheduler"}


@pytest.mark.parametrize("namespace", sorted(OURS))
def test_names_listed_as_not_yet_written_are_missing(namespace):
    targets = [resolve(spec) for spec in OURS[namespace]]
    present = [name for name in not_yet_lists().get(namespace, []) if any(hasattr(t, name) for t in targets)]
    assert not present, f"{namespace}: {present} exist in minigrad now; take them off the page's list"


@pytest.mark.parametrize("namespace", sorted(OURS))
def test_names_listed_as_not_yet_written_are_pytorchs(namespace):
    torch = pytest.importorskip("torch")
    reference = torch.Tensor if namespace == "torch.Tensor" else importlib.import_module(namespace)
    unknown = [name for name in not_yet_lists().get(namespace, []) if not hasattr(reference, name)]
    assert not unknown, f"{namespace} has no {unknown}"
    assert torch is not None and mg is not None

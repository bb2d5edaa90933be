"""Every ```python block of docs/*.md runs as written, in order, one namespace per page.

A block that must not run is preceded by the line ``<!-- skip-run -->`` (rare: a page may
have at most two). Pages run in a temporary working directory so they write nothing here.
"""
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
BLOCK = re.compile(r"(<!-- skip-run -->\n)?```python\n(.*?)```", re.S)
REQUIRED_PAGES = ["index.md", "backprop.md", "optimizers.md", "training.md", "testing-gradients.md",
                  "performance.md", "design.md"]


def test_the_required_pages_exist():
    missing = [name for name in REQUIRED_PAGES if not (DOCS / name).exists()]
    assert not missing, f"docs pages missing: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_blocks_run_in_order(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(page.read_text())
    skipped = sum(1 for marker, _ in blocks if marker)
    assert skipped <= 2, f"{page.name} skips {skipped} blocks; skipping must stay rare"
    namespace = {"__name__": f"docs_{page.stem}"}
    for number, (marker, code) in enumerate(blocks, start=1):
        if marker:
            continue
        exec(compile(code, f"{page.name} block {number}", "exec"), namespace)

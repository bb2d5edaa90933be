"""Every ```python block of docs/*.md runs as written, in order, one namespace per page.

A block that must not run is preceded by the line ``<!-- skip-run -->`` (rare: a page may
have at most two). Pages run in a temporary working directory so they write nothing here.
Every code line fits a laptop screen: at most CODE_WIDTH characters.
"""
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))
BLOCK = re.compile(r"(<!-- skip-run -->\n)?```python\n(.*?)```", re.S)
FENCED_CODE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
# About what a code block shows on a laptop screen before it scrolls sideways; black's width.
CODE_WIDTH = 88
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


def long_code_lines(markdown: str) -> list[str]:
    return [line for block in FENCED_CODE.findall(markdown) for line in block.splitlines()
            if len(line) > CODE_WIDTH]


def test_long_code_lines_are_found_in_every_kind_of_block():
    page = ("```bash\n" + "x" * 89 + "\n```\n\n"
            "prose " + "y" * 100 + "\n\n"
            "```\n" + "z" * 88 + "\n```\n")
    assert long_code_lines(page) == ["x" * 89]          # prose may be long, code may not


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_code_lines_fit_a_laptop_screen(page):
    too_long = long_code_lines(page.read_text())
    assert not too_long, f"{page.name}: code lines over {CODE_WIDTH} characters: {too_long}"

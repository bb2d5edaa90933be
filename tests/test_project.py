"""The project's promises about itself: the README's Quick start, CI, and its Python blocks."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_quick_start_is_exactly_two_one_line_commands():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)
    assert "minigrad train" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert quick_start_commands()[1] in ci_lines


def test_distribution_name_is_the_one_the_readme_names():
    pyproject = (ROOT / "pyproject.toml").read_text()
    name = re.search(r'^name = "(.+)"', pyproject, re.M).group(1)
    assert f"**`{name}`**" in README


@pytest.mark.parametrize("index", range(len(re.findall(r"```python\n", README))))
def test_readme_python_blocks_run(index):
    block = re.findall(r"```python\n(.*?)```", README, re.S)[index]
    exec(compile(block, f"README.md python block {index}", "exec"), {"__name__": "readme"})

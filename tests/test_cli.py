"""The `minigrad` command's top level: help and version, as a console script and with -m."""
import subprocess
import sys

import minigrad
from minigrad.cli import main


def test_version_flag(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"minigrad {minigrad.__version__}"


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "usage: minigrad" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "minigrad", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"minigrad {minigrad.__version__}"

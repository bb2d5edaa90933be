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


def test_no_command_prints_help_and_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage: minigrad" in capsys.readouterr().err
    assert main(["lab"]) == 2
    assert "usage: minigrad lab" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "minigrad", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"minigrad {minigrad.__version__}"


def test_a_closed_pipe_ends_the_command_quietly():
    # `minigrad lab table ... | head -1`: the reader leaves after one line.
    command = [sys.executable, "-m", "minigrad", "lab", "table", "--function", "square", "--x0", "70",
               "--optimizer", "sgd", "--lr", "0.1", "--steps", "2000"]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writer.stdout.readline()
    writer.stdout.close()
    stderr = writer.stderr.read().decode()
    writer.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
    assert writer.returncode == 141


def test_an_unexpected_os_error_is_one_line_and_exit_1(capsys, monkeypatch):
    import errno

    from minigrad.commands import lab

    def refused(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/figure.png")

    monkeypatch.setattr(lab, "run_functions", refused)  # the parser is built, and func bound, per call
    assert main(["lab", "functions"]) == 1
    assert capsys.readouterr().err == ("minigrad lab functions: error: [Errno 13] Permission denied: "
                                       "'/somewhere/figure.png'\n")

"""``minigrad playground``: serves the page on 127.0.0.1 and stops cleanly on Ctrl+C."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from minigrad.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit) as done:
        main(["playground", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--port" in text and "--open" in text and "127.0.0.1" in text


def test_a_bad_port_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["playground", "--port", "70000"])
    assert done.value.code == 2
    assert "expected a port number from 0 to 65535, got '70000'" in capsys.readouterr().err


def test_without_the_server_packages_it_says_what_to_install(capsys, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "uvicorn" else real_find_spec(name, *args))
    assert main(["playground", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "the playground's server needs uvicorn, which is not installed" in err
    assert 'pip install "minigrad-np[playground]"' in err


def test_a_port_in_use_is_said_plainly(capsys):
    pytest.importorskip("uvicorn")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port)]) == 1
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_the_command_serves_the_page_until_interrupted():
    pytest.importorskip("uvicorn")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "minigrad", "playground", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        line = process.stdout.readline()
        assert line.startswith("minigrad playground: serving on http://127.0.0.1:"), line
        url = line.split("serving on ")[1].split()[0]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert b"minigrad playground" in response.read()
        with urllib.request.urlopen(url + "static/playground.js", timeout=10) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, process.stderr.read()

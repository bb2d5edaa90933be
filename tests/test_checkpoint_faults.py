"""Fault test: a process saving checkpoints, model files and sweep results is killed (SIGKILL,
no chance to clean up) at random moments; every file that exists afterwards must load, and
the next save must remove the temporaries the killed writer left.

A few kills run with the suite. For a longer campaign set MINIGRAD_FAULT_ITERATIONS (and
MINIGRAD_FAULT_SEED for other kill times), e.g.

    MINIGRAD_FAULT_ITERATIONS=200 python -m pytest tests/test_checkpoint_faults.py
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from minigrad import nn, optim
from minigrad.data import DataLoader
from minigrad.sweep import read_csv, write_csv
from minigrad.train import load_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = int(os.environ.get("MINIGRAD_FAULT_ITERATIONS", "3"))
SEED = int(os.environ.get("MINIGRAD_FAULT_SEED", "0"))

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

# The writer saves, over and over, the three kinds of files minigrad writes whole: a training
# checkpoint (Adam's state and a growing history make it a few MB), a model file and a sweep's
# results CSV. It says "ready" once each exists, so that a kill finds something to check.
WRITER = """
import sys
import numpy as np
from minigrad import nn, optim
from minigrad.data import DataLoader
from minigrad.sweep import ResultsFile
from minigrad.train import History, save_checkpoint

folder = sys.argv[1]
model = nn.MLP([64, 256, 256, 10], seed=0)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
X = np.random.default_rng(0).standard_normal((32, 64)).astype(np.float32)
loader = DataLoader(X, np.arange(32) % 10, batch_size=8, shuffle=True, seed=0)
history, results = History(), ResultsFile(f"{folder}/runs.csv")
for epoch in range(1, 100000):
    model(X).sum().backward()
    optimizer.step()
    for column in History.COLUMNS:
        getattr(history, column).append(epoch if column == "epoch" else 0.5 / epoch)
    save_checkpoint(f"{folder}/run.npz", model, optimizer, None, loader, history)
    model.save(f"{folder}/model.npz")
    results.add({"dataset": "toy", "optimizer": "adam", "lr": 1e-3, "seed": epoch, "epochs": epoch,
                 "batch_size": 8, "hidden": "256-256", "data_seed": 0, "final_loss": 0.5 / epoch,
                 "test_loss": 0.5, "accuracy": 0.5, "diverged": False, "seconds": 0.0})
    if epoch == 1:
        print("ready", flush=True)
"""

TEMPORARY = re.compile(r"\.(run\.npz|model\.npz|runs\.csv)\.[a-z0-9_]{8}\.(tmp|npz|csv)")


def fresh_run():
    model = nn.MLP([64, 256, 256, 10], seed=1)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(np.zeros((32, 64)), np.arange(32) % 10, batch_size=8, shuffle=True, seed=1)
    return model, optimizer, loader


def kill_writer_at_random(folder: Path, delay: float) -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=environment)
    try:
        ready = writer.stdout.readline()
        assert ready == "ready\n", writer.stderr.read()
        time.sleep(delay)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        writer.stdout.close()
        writer.stderr.close()


def check_every_file_loads(folder: Path) -> None:
    model, optimizer, loader = fresh_run()
    history, _ = load_checkpoint(folder / "run.npz", model, optimizer, None, loader)
    assert len(history) >= 1 and history.epoch == list(range(1, len(history) + 1))
    nn.load(nn.MLP([64, 256, 256, 10], seed=2), folder / "model.npz")
    rows = read_csv(folder / "runs.csv")
    assert [row["seed"] for row in rows] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize("iteration", range(ITERATIONS))
def test_files_survive_a_writer_killed_at_a_random_moment(tmp_path, iteration):
    # Between 0 and 0.4 s after the first save: over the saves that follow, each a few ms.
    delay = float(np.random.default_rng([SEED, iteration]).uniform(0.0, 0.4))
    kill_writer_at_random(tmp_path, delay)
    check_every_file_loads(tmp_path)
    # Whatever temporaries the kill left, the next save of each file removes them.
    model, optimizer, loader = fresh_run()
    save_checkpoint(tmp_path / "run.npz", model, optimizer, None, loader)
    model.save(tmp_path / "model.npz")
    write_csv(read_csv(tmp_path / "runs.csv"), tmp_path / "runs.csv")
    leftovers = [p.name for p in tmp_path.iterdir() if TEMPORARY.fullmatch(p.name)]
    assert leftovers == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "run.npz", "runs.csv"]

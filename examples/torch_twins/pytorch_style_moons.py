"""Two moons, trained by a PyTorch-style script: a model class, a DataLoader over a
TensorDataset, Adam with StepLR, gradient clipping, argmax(dim=1) accuracy, the state
dict saved and loaded back, evaluation under no_grad.

examples/pytorch_style_moons.py runs it on minigrad, examples/torch_twins/pytorch_style_moons.py
on PyTorch: the two files differ only in their import lines (the tests check it).

    python examples/pytorch_style_moons.py           # 60 epochs, ~97% test accuracy
    python examples/pytorch_style_moons.py --fast    # 15 epochs, for a quick check
"""
import argparse
import os
import tempfile

from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset
from torch.nn import functional as F

EPOCHS, FAST_EPOCHS = 60, 15


class MoonsNet(nn.Module):
    """Two hidden layers of ReLU units, then one score per class."""

    def __init__(self, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.out(x)


def make_loaders(seed):
    """1000 noisy moon points, 75% for training; standardized with the training part's statistics."""
    X, y = make_moons(n_samples=1000, noise=0.2, random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    train_set = TensorDataset(torch.tensor((X_train - mean) / std, dtype=torch.float32), torch.tensor(y_train))
    test_set = TensorDataset(torch.tensor((X_test - mean) / std, dtype=torch.float32), torch.tensor(y_test))
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=generator)
    return train_loader, DataLoader(test_set, batch_size=256)


def accuracy(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
            total += yb.size(0)
    return correct / total


def train(epochs, seed=0):
    """Train for ``epochs`` epochs; return the test accuracy of the saved-and-reloaded model."""
    torch.manual_seed(seed)
    train_loader, test_loader = make_loaders(seed)
    model = MoonsNet()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            loss_sum += loss.item() * yb.size(0)
        scheduler.step()
        if epoch % 10 == 0 or epoch == epochs:
            mean_loss = loss_sum / len(train_loader.dataset)
            print(f"epoch {epoch:3d}  loss {mean_loss:.4f}  lr {scheduler.get_last_lr()[0]:.4g}")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "moons.pt")
        torch.save(model.state_dict(), path)
        restored = MoonsNet()
        restored.load_state_dict(torch.load(path))
    test_accuracy = accuracy(restored, test_loader)
    assert test_accuracy == accuracy(model, test_loader)
    print(f"test accuracy {test_accuracy:.4f}")
    return test_accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description="Two moons, trained by a PyTorch-style script.")
    parser.add_argument("--fast", action="store_true", help=f"{FAST_EPOCHS} epochs instead of {EPOCHS}")
    args = parser.parse_args(argv)
    train(FAST_EPOCHS if args.fast else EPOCHS)


if __name__ == "__main__":
    main()

"""Handwritten digits, trained by a PyTorch-style script: a model class, a DataLoader over
a TensorDataset, Adam with StepLR, gradient clipping, argmax(dim=1) accuracy, the state
dict saved and loaded back, evaluation under no_grad.

examples/pytorch_style_digits.py runs it on minigrad, examples/torch_twins/pytorch_style_digits.py
on PyTorch: the two files differ only in their import lines (the tests check it).

    python examples/pytorch_style_digits.py           # 30 epochs, ~97% test accuracy
    python examples/pytorch_style_digits.py --fast    # 6 epochs, for a quick check
"""
import argparse
import os
import tempfile

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset
from torch.nn import functional as F

EPOCHS, FAST_EPOCHS = 30, 6


class DigitsNet(nn.Module):
    """8x8 images flattened to 64 pixels, two hidden layers, ten class scores."""

    def __init__(self, hidden=128):
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(64, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 10),
        )

    def forward(self, x):
        return self.layers(self.flatten(x))


def make_loaders(seed):
    """The 1797 digits, 75% for training; pixels (0 to 16) scaled to [0, 1]."""
    digits = load_digits()
    images, labels = digits.images / 16.0, digits.target
    X_train, X_test, y_train, y_test = train_test_split(images, labels, test_size=0.25, random_state=seed,
                                                        stratify=labels)
    train_set = TensorDataset(torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train))
    test_set = TensorDataset(torch.tensor(X_test, dtype=torch.float32), torch.tensor(y_test))
    generator = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=generator)
    return train_loader, DataLoader(test_set, batch_size=512)


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
    model = DigitsNet()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = 0.0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            loss_sum += loss.item() * yb.size(0)
        scheduler.step()
        if epoch % 5 == 0 or epoch == epochs:
            mean_loss = loss_sum / len(train_loader.dataset)
            print(f"epoch {epoch:3d}  loss {mean_loss:.4f}  lr {scheduler.get_last_lr()[0]:.4g}")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits.pt")
        torch.save(model.state_dict(), path)
        restored = DigitsNet()
        restored.load_state_dict(torch.load(path))
    test_accuracy = accuracy(restored, test_loader)
    assert test_accuracy == accuracy(model, test_loader)
    print(f"test accuracy {test_accuracy:.4f}")
    return test_accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description="Handwritten digits, trained by a PyTorch-style script.")
    parser.add_argument("--fast", action="store_true", help=f"{FAST_EPOCHS} epochs instead of {EPOCHS}")
    args = parser.parse_args(argv)
    train(FAST_EPOCHS if args.fast else EPOCHS)


if __name__ == "__main__":
    main()

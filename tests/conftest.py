"""Test-wide settings: figures are drawn headless."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

"""Data for training: an array DataLoader and scikit-learn datasets, split and standardized."""
from minigrad.data.datasets import DATASETS, Dataset, load_dataset, validate_arrays
from minigrad.data.loader import DataLoader

__all__ = ["DataLoader", "Dataset", "DATASETS", "load_dataset", "validate_arrays"]

"""Data for training: PyTorch's Dataset, TensorDataset and DataLoader, and scikit-learn
datasets split and standardized (``load_dataset``, returning ``DatasetSplits``)."""
from minigrad.data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, default_collate, random_split
from minigrad.data.datasets import DATASETS, DatasetSplits, load_dataset, validate_arrays
from minigrad.data.loader import DataLoader
from minigrad.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                   WeightedRandomSampler)

__all__ = ["DataLoader", "Dataset", "TensorDataset", "ConcatDataset", "Subset", "random_split", "default_collate",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DatasetSplits", "DATASETS", "load_dataset", "validate_arrays"]

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (ConcatDataset, Dataset, DatasetSplits, Subset, TensorDataset, default_collate,
                           load_dataset, random_split)


def test_tensor_dataset_samples_are_rows_of_each_tensor():
    features = mg.arange(12.0).reshape(4, 3)
    data = TensorDataset(features, mg.tensor([3, 1, 4, 1]))
    assert len(data) == 4 and data.tensors[0] is features
    x, y = data[2]
    assert x.tolist() == [6.0, 7.0, 8.0] and y.item() == 4 and y.dtype == mg.int64
    assert "4 samples" in repr(data)


def test_tensor_dataset_takes_arrays_and_keeps_their_dtypes():
    data = TensorDataset(np.zeros((3, 2)), [0, 1, 2], np.ones(3, dtype=np.float32))
    assert [t.dtype for t in data.tensors] == [mg.float64, mg.int64, mg.float32]
    assert all(isinstance(t, mg.Tensor) for t in data.tensors)


def test_tensor_dataset_sizes_must_agree_and_the_error_names_them():
    with pytest.raises(ValueError, match=r"sizes \[3, 4\] \(tensors\[0\] \(3, 2\), tensors\[1\] \(4,\)\)"):
        TensorDataset(mg.zeros(3, 2), mg.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"tensors\[1\] is 0-dimensional"):
        TensorDataset(mg.zeros(3), mg.tensor(1.0))
    with pytest.raises(TypeError, match="numeric"):
        TensorDataset(np.array(["a", "b"]))


def test_the_base_class_says_what_a_subclass_must_define():
    class Empty(Dataset):
        pass

    with pytest.raises(NotImplementedError, match="Empty must define __getitem__"):
        Empty()[0]
    with pytest.raises(NotImplementedError, match="Empty must define __len__"):
        len(Empty())


def test_subset_concat_and_addition():
    data = TensorDataset(mg.arange(5))
    subset = Subset(data, [4, 0])
    assert len(subset) == 2 and subset[0][0].item() == 4 and subset[-1][0].item() == 0
    both = data + subset
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [both[i][0].item() for i in range(7)] == [0, 1, 2, 3, 4, 4, 0]
    with pytest.raises(IndexError, match="index 7 is out of range for a dataset of 7 samples"):
        both[7]


def test_random_split_is_a_seeded_partition():
    data = TensorDataset(mg.arange(10))
    parts = random_split(data, [7, 3], generator=mg.Generator().manual_seed(0))
    values = [sorted(p[i][0].item() for i in range(len(p))) for p in parts]
    assert sorted(values[0] + values[1]) == list(range(10)) and [len(p) for p in parts] == [7, 3]
    again = random_split(data, [7, 3], generator=mg.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    fractions = random_split(data, [0.5, 0.25, 0.25], generator=mg.Generator().manual_seed(1))
    assert [len(p) for p in fractions] == [6, 2, 2]  # floors 5, 2, 2; the remainder to the first
    with pytest.raises(ValueError, match=r"summing to the dataset's 10 samples .* got \[7, 2\]"):
        random_split(data, [7, 2])


def test_random_split_fraction_sizes_match_pytorch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.5, 0.25, 0.25]), (7, [0.3, 0.3, 0.4]), (11, [0.1, 0.9])]:
        ours = [len(p) for p in random_split(TensorDataset(mg.arange(n)), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(torch.utils.data.TensorDataset(torch.arange(n)),
                                                                 fractions)]
        assert ours == theirs, (n, fractions)


def test_default_collate_stacks_as_pytorchs():
    batch = default_collate([(np.ones(2, dtype=np.float32), 1, 0.5, True, {"k": mg.tensor([1.0])}),
                             (np.zeros(2, dtype=np.float32), 2, 1.5, False, {"k": mg.tensor([2.0])})])
    arrays, ints, floats, flags, mapping = batch
    assert isinstance(batch, list)
    assert arrays.shape == (2, 2) and arrays.dtype == mg.float32
    assert ints.dtype == mg.int64 and floats.dtype == mg.float64 and flags.dtype == mg.bool
    assert mapping["k"].tolist() == [[1.0], [2.0]]
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object()])


def test_default_collate_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    samples = [(np.arange(3.0), 1, 2.5), (np.arange(3.0) + 1, 2, 3.5)]
    for ours, theirs in zip(default_collate(samples), torch_collate(samples)):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert ours.dtype == theirs.numpy().dtype


def test_load_dataset_returns_the_splits_container_under_its_new_name():
    splits = load_dataset("iris")
    assert type(splits) is DatasetSplits and not isinstance(splits, Dataset)
    assert repr(splits).startswith("DatasetSplits('iris': ")

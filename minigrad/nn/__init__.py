"""minigrad.nn: modules, layers, losses and initializers, with PyTorch's names and habits.

>>> import minigrad as mg
>>> from minigrad import nn
>>> model = nn.MLP([4, 8, 3], seed=0)
>>> loss = nn.functional.cross_entropy(model(mg.Tensor([[0.1, 0.2, 0.3, 0.4]])), [2])
>>> loss.dtype
dtype('float32')
"""
from minigrad.nn import functional, init, utils
from minigrad.nn.layers import (
    CELU,
    ELU,
    GELU,
    MLP,
    SELU,
    Dropout,
    Flatten,
    Hardtanh,
    Identity,
    LeakyReLU,
    Linear,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from minigrad.nn.normalization import BatchNorm1d, LayerNorm
from minigrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from minigrad.nn.module import (
    IncompatibleKeys,
    Module,
    ModuleList,
    Parameter,
    Sequential,
    StateDictError,
)
from minigrad.nn.serialization import load, save

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "StateDictError", "IncompatibleKeys",
    "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Dropout", "MLP", "Identity", "Flatten",
    "GELU", "SiLU", "ELU", "CELU", "SELU", "Softplus", "Mish", "Hardtanh", "ReLU6", "LogSigmoid",
    "Softmax", "LogSoftmax", "LayerNorm", "BatchNorm1d",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss", "BCELoss", "L1Loss", "SmoothL1Loss",
    "HuberLoss", "KLDivLoss",
    "functional", "init", "utils", "save", "load",
]

"""minigrad.func: function transforms with torch.func's names and semantics.

- ``grad``, ``grad_and_value``: gradients of a scalar function, as functions;
- ``vjp``, ``jvp``: vector-Jacobian and Jacobian-vector products;
- ``jacrev``, ``hessian``: whole Jacobians and Hessians;
- ``vmap``: a function of one sample applied to a batch;
- ``functional_call``: a module run with parameters from a dict.

They compose (``grad(grad(f))``, ``jacrev(grad(f))``, ``vmap(grad(f))``) and take
dicts, tuples and lists of Tensors as arguments. On top of them, BackPACK-style quantities:
``per_sample_grads`` and ``batch_grad_stats`` (per-sample gradients, their sum of squares and
their variance), computed in one batched pass for networks of linear and MLP layers.

>>> import numpy as np, minigrad as mg
>>> from minigrad import nn
>>> from minigrad.func import functional_call, grad, vmap
>>> model = nn.MLP([4, 8, 3], seed=0)
>>> params = {name: p.detach() for name, p in model.named_parameters()}
>>> def loss(params, x, y):
...     return nn.functional.cross_entropy(functional_call(model, params, (x[None],)), y[None])
>>> X = mg.tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))
>>> y = mg.tensor(np.arange(16) % 3)
>>> per_sample = vmap(grad(loss), in_dims=(None, 0, 0))
>>> per_sample(params, X, y)["0.weight"].shape
(16, 8, 4)
>>> per_sample.last_path
'per-sample'
"""
from minigrad.func.call import functional_call
from minigrad.func.per_sample import BatchGradStats, batch_grad_stats, per_sample_grads
from minigrad.func.transforms import grad, grad_and_value, hessian, jacrev, jvp, vjp
from minigrad.func.vmap import vmap

__all__ = [
    "grad", "grad_and_value", "vjp", "jvp", "jacrev", "hessian", "vmap", "functional_call",
    "per_sample_grads", "batch_grad_stats", "BatchGradStats",
]

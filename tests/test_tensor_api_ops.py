"""The ops of PyTorch's API compared with PyTorch: values, dtypes and gradients, over several
shapes including broadcasting, size-0 dims and negative dims; each also gradchecked.

A case is a function of ``(m, *inputs)`` written once for both libraries: ``m`` is
``minigrad`` or ``torch`` (``F(m)`` their functional namespace). Float inputs are random
float64 tensors that require grad; the outputs (a tensor or a tuple of them) are compared
element by element, then a random upstream gradient is sent back through both.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import functions

torch = pytest.importorskip("torch")


def F(m):
    return functions if m is mg else torch.nn.functional


def norm_of(m):
    return mg.vector_norm if m is mg else torch.linalg.vector_norm


def index(m, values):
    return m.tensor(np.asarray(values, dtype=np.int64))


# name -> (function of (m, *inputs), list of input-shape lists, (low, high) of the inputs)
CASES = {}


def case(name, fn, shapes, domain=(-2.0, 2.0), gradcheck=True):
    CASES[name] = (fn, shapes, domain, gradcheck)


BINARY_SHAPES = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(3, 1), (1, 4)], [(2, 0, 3), (3,)], [(), (2, 3)]]
UNARY_SHAPES = [[(3, 4)], [()], [(2, 0, 3)]]

# ---- elementwise --------------------------------------------------------------------------------
for _name, _domain in {
    "sin": (-2, 2), "cos": (-2, 2), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-2, 2), "sinh": (-2, 2), "cosh": (-2, 2), "asinh": (-2, 2), "acosh": (1.1, 3),
    "atanh": (-0.9, 0.9), "rsqrt": (0.5, 2), "log2": (0.5, 2), "log10": (0.5, 2), "log1p": (-0.5, 2),
    "exp2": (-2, 2), "expm1": (-2, 2), "erf": (-2, 2), "erfc": (-2, 2), "erfinv": (-0.9, 0.9),
    "floor": (-2, 2), "ceil": (-2, 2), "trunc": (-2, 2), "round": (-2, 2), "frac": (-2, 2),
    "sign": (-2, 2), "square": (-2, 2), "reciprocal": (0.5, 2), "neg": (-2, 2), "abs": (-2, 2),
    "arcsin": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "fix": (-2, 2), "sgn": (-2, 2),
}.items():
    case(_name, lambda m, x, _name=_name: getattr(x, _name)(), UNARY_SHAPES, _domain)
    case(f"{_name}_function", lambda m, x, _name=_name: getattr(m, _name)(x), [[(2, 3)]], _domain)

case("round_decimals", lambda m, x: x.round(decimals=2), [[(3, 4)]])
case("atan2", lambda m, a, b: m.atan2(a, b), BINARY_SHAPES)
case("hypot", lambda m, a, b: m.hypot(a, b), BINARY_SHAPES, (0.5, 2))
case("logaddexp", lambda m, a, b: m.logaddexp(a, b), BINARY_SHAPES)
case("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), BINARY_SHAPES)
case("remainder", lambda m, a, b: m.remainder(a * 3, b * 0.2 + 1), BINARY_SHAPES)
case("remainder_negative", lambda m, a, b: m.remainder(a * 3, -(b * 0.2 + 1)), BINARY_SHAPES)
case("fmod", lambda m, a, b: m.fmod(a * 3, b * 0.2 + 1), BINARY_SHAPES)
# PyTorch gives floor_divide no derivative; its div(rounding_mode="floor") has the zero one.
case("floor_divide", lambda m, a, b: (m.floor_divide(a * 3, b * 0.2 + 1) if m is mg else
                                      m.div(a * 3, b * 0.2 + 1, rounding_mode="floor")) * a, BINARY_SHAPES)
case("div_floor", lambda m, a, b: m.div(a * 3, b * 0.2 - 1, rounding_mode="floor") * a, BINARY_SHAPES)
case("div_trunc", lambda m, a, b: a.div(b * 0.2 - 1, rounding_mode="trunc") * b, BINARY_SHAPES)
case("div_true", lambda m, a, b: m.div(a, b * 0.2 + 1), BINARY_SHAPES)
case("mod_operator", lambda m, a, b: (a * 3) % (b * 0.2 + 1), BINARY_SHAPES)
case("floordiv_operator", lambda m, a, b: ((a * 3) // (b * 0.2 + 1) if m is mg else
                                          m.div(a * 3, b * 0.2 + 1, rounding_mode="floor")) * a, BINARY_SHAPES)
case("pow_tensor_exponent", lambda m, a, b: m.pow(a * a + 0.5, b), BINARY_SHAPES)
case("pow_number_base", lambda m, a: m.pow(2.0, a), UNARY_SHAPES)
case("maximum", lambda m, a, b: m.maximum(a, b), BINARY_SHAPES)
case("minimum", lambda m, a, b: m.minimum(a, b), BINARY_SHAPES)
case("lerp_number", lambda m, a, b: m.lerp(a, b, 0.3), BINARY_SHAPES)
case("lerp_tensor", lambda m, a, b, w: a.lerp(b, w), [[(3, 4), (4,), (3, 1)], [(2, 3), (2, 3), ()]])
case("clamp_tensors", lambda m, x, lo, hi: m.clamp(x, lo - 1, hi + 1),
     [[(3, 4), (4,), (3, 1)], [(2, 0), (0,), (2, 1)], [(), (), ()]])
case("clamp_min_tensor", lambda m, x, lo: x.clamp(min=lo), [[(3, 4), (4,)]])
case("clamp_numbers", lambda m, x: x.clamp(-0.5, 0.7), UNARY_SHAPES)
case("clip_max", lambda m, x: m.clip(x, max=0.3), UNARY_SHAPES)
case("clamp_min_function", lambda m, x: m.clamp_min(x, 0.1), UNARY_SHAPES)
case("nan_to_num", lambda m, x: m.nan_to_num(m.log(x), nan=0.5, neginf=-3.0), [[(3, 4)]], (-1, 2), gradcheck=False)
case("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), BINARY_SHAPES)
case("sub_alpha", lambda m, a, b: a.sub(b, alpha=0.5), BINARY_SHAPES)

# ---- reductions and statistics ---------------------------------------------------------------------
for _dim in (0, -1, (0, -1)):
    case(f"logsumexp_{_dim}", lambda m, x, d=_dim: m.logsumexp(x, d), [[(3, 4)], [(2, 3, 4)], [(3, 0)]])
    case(f"logsumexp_keep_{_dim}", lambda m, x, d=_dim: x.logsumexp(d, keepdim=True), [[(2, 3, 4)]])
for _correction in (0, 1, 2):
    case(f"var_{_correction}", lambda m, x, c=_correction: m.var(x, 1, correction=c), [[(3, 4)], [(2, 3, 5)]])
    case(f"std_{_correction}", lambda m, x, c=_correction: x.std(-1, correction=c, keepdim=True), [[(3, 4)]])
case("var_all", lambda m, x: x.var(), [[(3, 4)], [(5,)]])
case("std_dims", lambda m, x: m.std(x, (0, 2)), [[(2, 3, 4)]])
case("var_unbiased_false", lambda m, x: x.var(0, unbiased=False), [[(3, 4)]])
case("var_mean", lambda m, x: m.var_mean(x, 1), [[(3, 4)]])
case("std_mean", lambda m, x: m.std_mean(x, -1, keepdim=True), [[(3, 4)]])
case("prod_all", lambda m, x: x.prod(), [[(3, 4)], [()], [(2, 0)]])
case("prod_dim", lambda m, x: m.prod(x, 1), [[(3, 4)], [(2, 3, 0)]])
case("prod_neg_keep", lambda m, x: x.prod(-2, keepdim=True), [[(2, 3, 4)]])
case("prod_with_zeros", lambda m, x: (x * (x.abs() > 0.7)).prod(1), [[(4, 5)]], gradcheck=False)
for _p in (1, 2, 3, float("inf"), -float("inf"), 0):
    case(f"vector_norm_{_p}", lambda m, x, p=_p: norm_of(m)(x, p, 1), [[(3, 4)], [(2, 3, 4)]])
case("vector_norm_all", lambda m, x: norm_of(m)(x), [[(3, 4)], [(0,)]])
case("vector_norm_keep", lambda m, x: norm_of(m)(x, 2, (0, -1), keepdim=True), [[(2, 3, 4)]])
case("norm_fro", lambda m, x: x.norm(), [[(3, 4)]])
case("norm_p_dim", lambda m, x: m.norm(x, 1, -1), [[(3, 4)]])
for _name in ("max", "min"):
    case(f"{_name}_dim", lambda m, x, n=_name: getattr(x, n)(1), [[(3, 4)], [(2, 3, 4)]])
    case(f"{_name}_dim_keep", lambda m, x, n=_name: getattr(m, n)(x, -1, keepdim=True), [[(3, 4)]])
    case(f"{_name}_all", lambda m, x, n=_name: getattr(x, n)(), [[(3, 4)], [()]])
case("amax_dims", lambda m, x: m.amax(x, (0, -1)), [[(2, 3, 4)]])
case("amin_keep", lambda m, x: x.amin(1, keepdim=True), [[(2, 3, 4)]])
case("median_all", lambda m, x: x.median(), [[(3, 4)], [(5,)]])
case("median_dim", lambda m, x: m.median(x, 1), [[(3, 4)], [(2, 5, 3)]])
case("median_keep", lambda m, x: x.median(-1, keepdim=True), [[(3, 4)]])
case("kthvalue", lambda m, x: m.kthvalue(x, 2, 1), [[(3, 4)]])
case("kthvalue_keep", lambda m, x: x.kthvalue(3, 0, keepdim=True), [[(3, 4)]])

# ---- scans and sorting ---------------------------------------------------------------------
for _dim in (0, 1, -1):
    case(f"cumsum_{_dim}", lambda m, x, d=_dim: m.cumsum(x, d), [[(3, 4)], [(2, 0, 3)]])
    case(f"cumprod_{_dim}", lambda m, x, d=_dim: x.cumprod(d), [[(3, 4)], [(2, 0, 3)]])
    case(f"logcumsumexp_{_dim}", lambda m, x, d=_dim: m.logcumsumexp(x, d), [[(3, 4)]])
    case(f"cummax_{_dim}", lambda m, x, d=_dim: x.cummax(d), [[(3, 4)], [(2, 0, 3)]])
    case(f"cummin_{_dim}", lambda m, x, d=_dim: m.cummin(x, d), [[(3, 4)]])
    case(f"sort_{_dim}", lambda m, x, d=_dim: m.sort(x, d), [[(3, 4)], [(2, 0, 3)]])
    case(f"sort_descending_{_dim}", lambda m, x, d=_dim: x.sort(d, descending=True), [[(3, 4)]])
    case(f"argsort_{_dim}", lambda m, x, d=_dim: x.argsort(d) * 1.0 + x, [[(3, 4)]])
case("cumsum_1d", lambda m, x: x.cumsum(0), [[(5,)], [()]])
case("cumprod_with_zeros", lambda m, x: (x * (x.abs() > 0.6)).cumprod(1), [[(4, 6)]], gradcheck=False)
case("logcumsumexp_large", lambda m, x: m.logcumsumexp(x * 300, 1), [[(3, 5)]], gradcheck=False)
case("topk", lambda m, x: x.topk(2), [[(3, 5)], [(2, 3, 4)]])
case("topk_smallest", lambda m, x: m.topk(x, 3, 0, largest=False), [[(4, 3)]])
case("topk_zero", lambda m, x: x.topk(0, dim=1), [[(3, 4)]])

# ---- indexing ------------------------------------------------------------------------------------
case("gather", lambda m, x: m.gather(x, 1, index(m, [[0, 0, 2], [1, 3, 3], [2, 1, 0]])), [[(3, 4)]])
case("gather_neg_dim", lambda m, x: x.gather(-2, index(m, [[[0, 1], [1, 1]], [[1, 0], [0, 0]]])), [[(2, 2, 3)]])
case("gather_empty", lambda m, x: x.gather(0, index(m, np.zeros((0, 4)))), [[(3, 4)]])
case("take_along_dim", lambda m, x: m.take_along_dim(x, index(m, [[0], [2], [1]]), 1), [[(3, 4)]])
case("take_along_dim_broadcast", lambda m, x: x.take_along_dim(index(m, [[0, 3]]), dim=1), [[(3, 4)]])
case("take_along_dim_flat", lambda m, x: m.take_along_dim(x, index(m, [5, 0, 5])), [[(3, 4)]])
case("take", lambda m, x: m.take(x, index(m, [[0, 11], [3, 3]])), [[(3, 4)]])
case("index_select", lambda m, x: m.index_select(x, 1, index(m, [3, 0, 0])), [[(3, 4)], [(2, 4, 0)]])
case("index_select_neg", lambda m, x: x.index_select(-1, index(m, [1])), [[(2, 3, 4)]])
case("scatter", lambda m, x, s: x.scatter(1, index(m, [[2, 0], [1, 3]]), s), [[(2, 4), (2, 2)]])
case("scatter_value", lambda m, x: m.scatter(x, 0, index(m, [[1, 0, 2]]), value=1.5), [[(3, 3)]])
case("scatter_add", lambda m, x, s: m.scatter_add(x, 0, index(m, [[0, 1, 0], [0, 2, 1]]), s), [[(3, 3), (2, 3)]])
case("scatter_add_neg", lambda m, x, s: x.scatter_add(-1, index(m, [[0, 0], [2, 2]]), s), [[(2, 3), (2, 2)]])
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        case(f"scatter_reduce_{_reduce}_{_self}",
             lambda m, x, s, r=_reduce, i=_self: x.scatter_reduce(0, index(m, [[0, 2, 0, 1], [0, 2, 2, 1]]), s, r,
                                                                  include_self=i),
             [[(3, 4), (2, 4)]])
case("index_add", lambda m, x, s: x.index_add(0, index(m, [2, 0, 2]), s), [[(3, 4), (3, 4)]])
case("index_add_alpha", lambda m, x, s: m.index_add(x, 1, index(m, [1]), s, alpha=2.0), [[(3, 4), (3, 1)]])
case("index_copy", lambda m, x, s: x.index_copy(1, index(m, [3, 0]), s), [[(3, 4), (3, 2)]])
case("index_fill", lambda m, x: x.index_fill(0, index(m, [1]), -1.0), [[(3, 4)]])
case("masked_fill", lambda m, x: x.masked_fill(x > 0.5, 0.25), [[(3, 4)], [(0, 2)], [()]])
case("masked_fill_broadcast", lambda m, x: m.masked_fill(x, m.tensor([True, False, True, False]), -1.0), [[(3, 4)]])
case("masked_fill_tensor_value", lambda m, x, v: x.masked_fill(x < 0, v), [[(3, 4), ()]])
case("masked_select", lambda m, x: m.masked_select(x, x > 0), [[(3, 4)], [(2, 0)]])
case("masked_select_broadcast", lambda m, x: x.masked_select(m.tensor([[True], [False], [True]])), [[(3, 4)]])
case("where_method", lambda m, x, y: x.where(x > 0, y), BINARY_SHAPES)
case("where_function", lambda m, x, y: m.where(y > 0, x, y * 2), BINARY_SHAPES)
case("where_number", lambda m, x: m.where(x > 0, x, 0.0), UNARY_SHAPES)
case("setitem_free", lambda m, x: x.nonzero() * 1.0, [[(3, 4)]])

# ---- structure ---------------------------------------------------------------------------------
for _k in (-1, 0, 2):
    case(f"tril_{_k}", lambda m, x, k=_k: x.tril(k), [[(3, 4)], [(2, 3, 3)], [(0, 2)]])
    case(f"triu_{_k}", lambda m, x, k=_k: m.triu(x, k), [[(4, 3)], [(2, 3, 3)]])
    case(f"diagonal_{_k}", lambda m, x, k=_k: m.diagonal(x, k), [[(3, 4)], [(3, 3, 2)]])
    case(f"diag_vector_{_k}", lambda m, x, k=_k: m.diag(x, k), [[(3,)], [(0,)]])
    case(f"diag_matrix_{_k}", lambda m, x, k=_k: x.diag(k), [[(3, 4)]])
case("diagonal_dims", lambda m, x: x.diagonal(1, -1, 0), [[(3, 2, 4)]])
case("diag_embed", lambda m, x: m.diag_embed(x), [[(2, 3)]])
case("diag_embed_offset_dims", lambda m, x: m.diag_embed(x, 1, 0, 2), [[(2, 3)]])
case("trace", lambda m, x: x.trace(), [[(3, 4)]])
case("flip", lambda m, x: x.flip(0), [[(3, 4)], [(2, 0)]])
case("flip_dims", lambda m, x: m.flip(x, (0, -1)), [[(2, 3, 4)]])
case("fliplr", lambda m, x: m.fliplr(x), [[(3, 4)]])
case("flipud", lambda m, x: x.flipud(), [[(3, 4)]])
case("roll", lambda m, x: x.roll(1, 0), [[(3, 4)], [(0, 2)]])
case("roll_negative_dims", lambda m, x: m.roll(x, (-2, 5), (-1, 0)), [[(3, 4)]])
case("roll_flat", lambda m, x: m.roll(x, 5), [[(3, 4)]])
for _equation, _shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
                           ("i,i->", [(3,), (3,)]), ("ij->j", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
                           ("ij,k->ijk", [(2, 3), (2,)]), ("...ij,jk", [(2, 2, 3), (3, 2)]),
                           ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("bi,bi->b", [(0, 3), (0, 3)]),
                           ("ij->ji", [(2, 3)]), ("ij", [(2, 3)]), ("i j , j k -> i k", [(2, 3), (3, 2)])]:
    case(f"einsum_{_equation}", lambda m, *xs, e=_equation: m.einsum(e, *xs), [_shapes])
for _mode in ("constant", "reflect", "replicate", "circular"):
    case(f"pad_{_mode}", lambda m, x, mode=_mode: F(m).pad(x, (1, 2), mode=mode), [[(2, 3, 4)]])
    case(f"pad_{_mode}_2d", lambda m, x, mode=_mode: F(m).pad(x, (2, 1, 1, 0), mode=mode), [[(1, 2, 3, 4)]])
case("pad_constant_value", lambda m, x: F(m).pad(x, (0, 1, 2, 0), value=1.5), [[(3, 4)], [(0, 2)]])
case("pad_crop", lambda m, x: F(m).pad(x, (-1, 2)), [[(3, 4)]])
case("cat", lambda m, a, b: m.cat([a, b], 1), [[(2, 3), (2, 4)], [(2, 0), (2, 3)]])
case("cat_neg_dim", lambda m, a, b: m.cat((a, b, a), -1), [[(2, 3, 1), (2, 3, 2)]])
case("cat_empty_1d", lambda m, a, b: m.cat([a, b]), [[(0,), (3,)]])
case("concat", lambda m, a, b: m.concat([a, b], dim=0), [[(1, 3), (2, 3)]])
case("stack", lambda m, a, b: m.stack([a, b], 1), [[(2, 3), (2, 3)], [(0,), (0,)]])
case("stack_neg_dim", lambda m, a, b: m.stack((a, b), -1), [[(2, 3), (2, 3)]])
case("hstack", lambda m, a, b: m.hstack([a, b]), [[(2, 3), (2, 1)], [(3,), (2,)]])
case("vstack", lambda m, a, b: m.vstack([a, b]), [[(2, 3), (1, 3)], [(3,), (3,)]])
case("split_size", lambda m, x: x.split(2, 1), [[(3, 5)]])
case("split_sections", lambda m, x: m.split(x, [1, 0, 3], -1), [[(3, 4)]])
case("chunk", lambda m, x: x.chunk(3, 0), [[(7, 2)], [(2, 3)]])
case("tensor_split", lambda m, x: m.tensor_split(x, 3, 1), [[(2, 7)]])
case("tensor_split_indices", lambda m, x: x.tensor_split([1, 4], 0), [[(6, 2)]])
case("tensor_split_backwards", lambda m, x: m.tensor_split(x, [4, 1, 9], 0), [[(6, 2)]])
case("unbind", lambda m, x: x.unbind(1), [[(3, 4)]])
case("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), [[(3,), (4,)]])
case("meshgrid_xy", lambda m, a, b: m.meshgrid(a, b, indexing="xy"), [[(3,), (4,)]])
case("outer", lambda m, a, b: m.outer(a, b), [[(3,), (4,)]])
case("dot", lambda m, a, b: a.dot(b), [[(3,), (3,)]])
case("mm", lambda m, a, b: m.mm(a, b), [[(2, 3), (3, 4)]])
case("bmm", lambda m, a, b: a.bmm(b), [[(2, 2, 3), (2, 3, 4)]])
case("mv", lambda m, a, b: m.mv(a, b), [[(2, 3), (3,)]])
case("normalize", lambda m, x: F(m).normalize(x), [[(3, 4)]])
case("normalize_p1_dim0", lambda m, x: F(m).normalize(x, p=1.0, dim=0), [[(3, 4)]])
case("normalize_zero_row", lambda m, x: F(m).normalize(x * (x.sum(1, keepdim=True) > 0)), [[(4, 3)]],
     gradcheck=False)
case("softmax", lambda m, x: x.softmax(-1), [[(3, 4)]])
case("log_softmax", lambda m, x: m.log_softmax(x, 0), [[(3, 4)]])


# ---- more everyday names -----------------------------------------------------------------------
case("ravel", lambda m, x: x.transpose(0, 1).ravel(), [[(3, 4)]])
case("narrow", lambda m, x: x.narrow(1, 1, 2), [[(3, 4)]])
case("narrow_negative_start", lambda m, x: m.narrow(x, -1, -3, 2), [[(3, 4)]])
case("select", lambda m, x: x.select(-1, 2), [[(3, 4)], [(2, 3, 4)]])
case("count_nonzero", lambda m, x: m.count_nonzero(x.round(), 1), [[(3, 4)]])
case("nansum", lambda m, x: m.nansum(m.log(x), 1), [[(3, 4)]], (-1, 2), gradcheck=False)
case("nanmean", lambda m, x: m.log(x).nanmean(), [[(3, 4)]], (-1, 2), gradcheck=False)
case("diff", lambda m, x: x.diff(), [[(3, 4)]])
case("diff_twice_dim0_prepend", lambda m, x, p: m.diff(x, 2, 0, prepend=p), [[(3, 4), (1, 4)]])
case("repeat_interleave", lambda m, x: x.repeat_interleave(2), [[(2, 3)]])
case("repeat_interleave_dim", lambda m, x: m.repeat_interleave(x, index(m, [1, 0, 3]), dim=1), [[(2, 3)]])
case("aminmax", lambda m, x: m.aminmax(x, dim=1), [[(3, 4)]])
case("aminmax_all", lambda m, x: x.aminmax(), [[(3, 4)]])
case("msort", lambda m, x: x.msort(), [[(3, 4)]])
case("xlogy", lambda m, x, y: m.xlogy(x * (x > 0), y * y + 0.1), BINARY_SHAPES[:3], gradcheck=False)
case("logit", lambda m, x: x.logit(), [[(3, 4)]], (0.1, 0.9))
case("logit_eps", lambda m, x: m.logit(x, eps=0.2), [[(3, 4)]], (0.05, 0.95))
case("deg2rad", lambda m, x: m.deg2rad(x), UNARY_SHAPES)
case("rad2deg", lambda m, x: x.rad2deg(), UNARY_SHAPES)
case("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), [[(2, 4), (2, 3), (3, 4)], [(4,), (2, 3), (3, 4)]])
case("addcmul", lambda m, x, a, b: m.addcmul(x, a, b, value=0.5), [[(3, 4), (3, 4), (4,)]])
case("addcdiv", lambda m, x, a, b: x.addcdiv(a, b * b + 1, value=2), [[(3, 4), (3, 4), (4,)]])
case("float_power", lambda m, x, y: m.float_power(x * x + 0.5, y), BINARY_SHAPES[:3])
case("fmax", lambda m, x, y: m.fmax(m.log(x), y), BINARY_SHAPES[:3], (-1, 2), gradcheck=False)
case("fmin", lambda m, x, y: x.fmin(m.log(y)), BINARY_SHAPES[:3], (-1, 2), gradcheck=False)
case("copysign", lambda m, x, y: m.copysign(x, y), BINARY_SHAPES)
case("sinc", lambda m, x: x.sinc(), [[(3, 4)]])
case("heaviside", lambda m, x: m.heaviside(x.detach().round(), m.tensor(0.5, dtype=m.float64)), [[(3, 4)]])
for _k in (1, 2, 3, -1):
    case(f"rot90_{_k}", lambda m, x, k=_k: x.rot90(k, (0, 1)), [[(2, 3)], [(2, 3, 4)]])
case("rot90_dims", lambda m, x: m.rot90(x, 1, (-1, 0)), [[(2, 3, 4)]])
case("cross", lambda m, a, b: m.cross(a, b, dim=-1), [[(4, 3), (4, 3)], [(3,), (3,)]])
case("cross_dim0", lambda m, a, b: a.cross(b, dim=0), [[(3, 2), (3, 2)]])
case("kron", lambda m, a, b: m.kron(a, b), [[(2, 3), (2, 2)], [(3,), (2,)], [(2, 2), (3,)]])
case("hsplit", lambda m, x: x.hsplit(2), [[(3, 4)]])
case("vsplit", lambda m, x: m.vsplit(x, [1]), [[(3, 4)]])
case("split_with_sizes", lambda m, x: x.split_with_sizes([1, 3], 1), [[(3, 4)]])
for _interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
    case(f"quantile_{_interpolation}", lambda m, x, i=_interpolation: m.quantile(x, 0.4, dim=1, interpolation=i),
         [[(3, 5)], [(2, 4, 3)]])
case("quantile_levels", lambda m, x: x.quantile(m.tensor([0.1, 0.5, 1.0], dtype=m.float64), dim=0, keepdim=True),
     [[(5, 3)]])
case("quantile_all", lambda m, x: m.quantile(x, m.tensor([0.25, 0.75], dtype=m.float64)), [[(3, 4)]])
case("broadcast_to", lambda m, x: x.broadcast_to(2, 3, 4), [[(3, 1)]])
for _name in ("exp", "sqrt", "sigmoid", "tanh", "sin", "floor", "reciprocal", "log1p", "neg", "square"):
    case(f"{_name}_in_place", lambda m, x, n=_name: getattr(x * 2, n + "_")(), [[(3, 4)]], (0.2, 2))
case("clamp_min_in_place", lambda m, x: (x * 2).clamp_min_(0.5), [[(3, 4)]])
case("tril_in_place", lambda m, x: (x + 1).tril_(-1), [[(3, 4)]])
case("cumsum_in_place", lambda m, x: (x * 1).cumsum_(1), [[(3, 4)]])
case("eq_in_place", lambda m, x: (x * 1).round().eq_(1.0) * x, [[(3, 4)]])


def _inputs(shapes, domain, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(*domain, size=shape) for shape in shapes]


def _flat(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name):
    fn, shape_lists, domain, check_gradient = CASES[name]
    for number, shapes in enumerate(shape_lists):
        arrays = _inputs(shapes, domain, seed=number)
        ours_in = [mg.tensor(a, requires_grad=True) for a in arrays]
        theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        with np.errstate(all="ignore"):
            ours, theirs = _flat(fn(mg, *ours_in)), _flat(fn(torch, *theirs_in))
        assert len(ours) == len(theirs)
        upstreams = []
        for o, t in zip(ours, theirs):
            assert o.shape == tuple(t.shape), f"shape {o.shape} vs torch {tuple(t.shape)}"
            assert str(o.dtype) == str(t.dtype).replace("torch.", ""), f"dtype {o.dtype} vs torch {t.dtype}"
            np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
            upstreams.append(np.random.default_rng(99).standard_normal(o.shape) if t.requires_grad else None)
        pairs = [(o, t, u) for o, t, u in zip(ours, theirs, upstreams) if u is not None]
        if not pairs:
            continue
        assert all(o.requires_grad for o, _, _ in pairs)
        torch.autograd.backward([t for _, t, _ in pairs], [torch.tensor(u) for _, _, u in pairs])
        mg.autograd.backward([o for o, _, _ in pairs], [u for _, _, u in pairs])
        for x, tx in zip(ours_in, theirs_in):
            expected = np.zeros(tx.shape) if tx.grad is None or tx.grad._is_zerotensor() else tx.grad.numpy()
            got = np.zeros(x.shape) if x.grad is None else x.grad.data
            np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
        if check_gradient and all(a.size for a in arrays):
            fresh = [mg.tensor(a, requires_grad=True) for a in arrays]
            with np.errstate(all="ignore"):
                assert mg.gradcheck(lambda *xs: tuple(_flat(fn(mg, *xs))), fresh)


# ---- comparison, logical and bitwise (no gradients) ------------------------------------------------
COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal",
               "not_equal", "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", COMPARISONS)
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 0), (1,)]])
def test_comparisons_give_bool_tensors_like_torch(name, shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-1, 2, size=s).astype(np.float64) for s in shapes)
    ours = getattr(mg, name)(mg.tensor(a), mg.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == np.bool_ and theirs.dtype == torch.bool
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    if not name.startswith("logical"):
        np.testing.assert_array_equal(getattr(mg.tensor(a), name)(1.0).data,
                                      getattr(torch.tensor(a), name)(1.0).numpy())


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                                  "bitwise_right_shift"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_bitwise_ops_on_integers_and_bools_like_torch(name, dtype):
    if dtype == "bool" and "shift" in name:
        pytest.skip("shifts are for integers")
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 6, size=(3, 4)).astype(dtype), rng.integers(0, 3, size=(4,)).astype(dtype)
    ours, theirs = getattr(mg, name)(mg.tensor(a), mg.tensor(b)), getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_bitwise_operators_and_their_errors():
    a, b = mg.tensor([5, 3]), mg.tensor([1, 2])
    np.testing.assert_array_equal((a & b).data, [1, 2])
    np.testing.assert_array_equal((a | b).data, [5, 3])
    np.testing.assert_array_equal((a ^ b).data, [4, 1])
    np.testing.assert_array_equal((~mg.tensor([True, False])).data, [False, True])
    np.testing.assert_array_equal((a << 1).data, [10, 6])
    np.testing.assert_array_equal((a >> b).data, [2, 0])
    np.testing.assert_array_equal(mg.bitwise_not(a).data, torch.bitwise_not(torch.tensor([5, 3])).numpy())
    with pytest.raises(TypeError, match="integer and bool tensors, got dtype float32"):
        mg.tensor([1.0]) & mg.tensor([1.0])
    np.testing.assert_array_equal(mg.logical_not(mg.tensor([0.0, 2.0])).data, [True, False])


def test_isclose_isnan_and_friends_like_torch():
    a = np.array([1.0, np.nan, np.inf, -np.inf, 0.0, 1e-9])
    b = np.array([1.0 + 1e-6, np.nan, np.inf, 0.0, 1e-7, 0.0])
    ta, tb = torch.tensor(a), torch.tensor(b)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(a)).data, getattr(torch, name)(ta).numpy())
    for equal_nan in (False, True):
        np.testing.assert_array_equal(mg.isclose(mg.tensor(a), mg.tensor(b), equal_nan=equal_nan).data,
                                      torch.isclose(ta, tb, equal_nan=equal_nan).numpy())
    assert mg.allclose(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.0 + 1e-9]))
    assert not mg.tensor([1.0]).allclose(mg.tensor([1.1]))
    assert mg.equal(mg.tensor([1, 2]), mg.tensor([1, 2])) and not mg.equal(mg.tensor([1]), mg.tensor([1, 1]))


def test_argmax_nonzero_one_hot_like_torch():
    data = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    np.testing.assert_array_equal(mg.nonzero(mg.tensor(data)).data, torch.nonzero(torch.tensor(data)).numpy())
    for ours, theirs in zip(mg.tensor(data).nonzero(as_tuple=True), torch.tensor(data).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert mg.nonzero(mg.zeros(2, 0)).shape == (0, 2)
    labels = np.array([[0, 2], [1, 1]])
    for classes in (-1, 4):
        np.testing.assert_array_equal(functions.one_hot(mg.tensor(labels), classes).data,
                                      torch.nn.functional.one_hot(torch.tensor(labels), classes).numpy())
    with pytest.raises(ValueError, match="class index 3 is not below num_classes=3"):
        functions.one_hot(mg.tensor([0, 3]), 3)
    with pytest.raises(TypeError, match="integer class indices"):
        functions.one_hot(mg.tensor([0.0]))


def test_integer_ops_keep_integers_like_torch():
    a, b = np.array([7, -7, 5]), np.array([2, 2, -3])
    for ours, theirs in [
        (mg.floor_divide(mg.tensor(a), mg.tensor(b)), torch.floor_divide(torch.tensor(a), torch.tensor(b))),
        (mg.remainder(mg.tensor(a), mg.tensor(b)), torch.remainder(torch.tensor(a), torch.tensor(b))),
        (mg.fmod(mg.tensor(a), mg.tensor(b)), torch.fmod(torch.tensor(a), torch.tensor(b))),
        (mg.div(mg.tensor(a), mg.tensor(b), rounding_mode="trunc"), torch.div(torch.tensor(a), torch.tensor(b), rounding_mode="trunc")),
        (mg.div(mg.tensor(a), 2), torch.div(torch.tensor(a), 2)),
        (mg.tensor(a).floor(), torch.tensor(a).floor()),
        (mg.cumsum(mg.tensor(a).int(), 0), torch.cumsum(torch.tensor(a).int(), 0)),
        (mg.tensor([True, True]).sum(), torch.tensor([True, True]).sum()),
        (mg.tensor(a).clamp(-1, 5), torch.tensor(a).clamp(-1, 5)),
        (mg.tensor(a).clamp(min=0.5), torch.tensor(a).clamp(min=0.5)),
    ]:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    with pytest.raises(ZeroDivisionError):
        mg.floor_divide(mg.tensor([1]), mg.tensor([0]))


def test_ops_reject_bad_input_with_specific_errors():
    x = mg.zeros(2, 3)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(3, 3\), but tensor 0 has \(2, 3\)"):
        mg.cat([x, mg.zeros(3, 3)], dim=1)
    with pytest.raises(ValueError, match=r"stack: tensor 1 has shape \(2, 4\)"):
        mg.stack([x, mg.zeros(2, 4)])
    with pytest.raises(IndexError, match="dim 2 is out of range for a tensor of 2 dimensions"):
        mg.cat([x, x], dim=2)
    with pytest.raises(ValueError, match=r"sections \[1, 1\] do not add up to dim 1's size 3"):
        x.split([1, 1], 1)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dim 1 of size 3"):
        x.scatter(1, mg.tensor([[5]]), 1.0)
    with pytest.raises(TypeError, match="src has dtype float64 but the input has float32"):
        x.scatter_add(0, mg.tensor([[0]]), mg.zeros(1, 1, dtype=mg.float64))
    with pytest.raises(ValueError, match="reduce must be one of"):
        x.scatter_reduce(0, mg.tensor([[0]]), mg.zeros(1, 1), "median")
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        x.masked_fill(mg.ones(2, 3), 0.0)
    with pytest.raises(ValueError, match=r"mask of shape \(4,\) does not broadcast"):
        x.masked_fill(mg.tensor([True] * 4), 0.0)
    with pytest.raises(ValueError, match="topk: k \\(4\\) must be in \\[0, 3\\]"):
        x.topk(4)
    with pytest.raises(ValueError, match="einsum: operand 1 has 2 dims but subscripts 'j'"):
        mg.einsum("ij,j->i", x, x)
    with pytest.raises(ValueError, match="subscript 'j' has size 3 in one operand and 2"):
        mg.einsum("ij,jk->ik", x, x)
    with pytest.raises(ValueError, match="reflect padding \\(3, 0\\) must be smaller than the dim's size 3"):
        functions.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad: 3 sizes"):
        functions.pad(x, (1, 1, 1))
    with pytest.raises(TypeError, match="var: needs a floating-point tensor"):
        mg.var(mg.tensor([1, 2]))
    with pytest.raises(ValueError, match="rounding_mode"):
        mg.div(x, x, rounding_mode="round")
    with pytest.raises(ValueError, match=r"mm takes two matrices, got shapes \(2, 3\) and \(3,\)"):
        mg.mm(x, mg.zeros(3))


def test_unique_and_bincount_like_torch():
    data = np.array([[3, 1, 3], [2, 1, 1]])
    ours = mg.unique(mg.tensor(data), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(data), return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.data, t.numpy())
    np.testing.assert_array_equal(mg.tensor(data).unique(dim=0).data, torch.tensor(data).unique(dim=0).numpy())
    counts = np.array([0, 2, 2, 5])
    np.testing.assert_array_equal(mg.bincount(mg.tensor(counts), minlength=7).data,
                                  torch.bincount(torch.tensor(counts), minlength=7).numpy())
    weights = np.array([0.5, 1.0, 2.0, 0.25])
    np.testing.assert_allclose(mg.tensor(counts).bincount(mg.tensor(weights)).data,
                               torch.tensor(counts).bincount(torch.tensor(weights)).numpy())
    with pytest.raises(ValueError, match="non-negative"):
        mg.bincount(mg.tensor([-1]))

"""Op-table cases (see tests/test_op_table.py) for the reductions: prod,
var/std, logsumexp, norm, the cumulative ops and the selections (sort,
topk, kthvalue, median, cummax/cummin)."""
import numpy as np

from test_op_table import NZ, POS


def _with_zeros(rng):
    """A (3, 4) input with one zero in row 0 and two in row 1."""
    x = rng.standard_normal((3, 4))
    x[0, 2] = 0.0
    x[1, 0] = x[1, 3] = 0.0
    return [x]


def _with_nan(rng):
    """A (3, 4) input with NaNs (not in every row or column)."""
    x = rng.standard_normal((3, 4))
    x[0, 1] = x[2, 1] = x[1, 3] = np.nan
    return [x]


def _distinct(shape):
    """Inputs without ties (selections are then unambiguous)."""
    def make(rng):
        n = int(np.prod(shape))
        return [(rng.permutation(n) + rng.uniform(0.1, 0.9, n)).reshape(shape) / n]
    return make


def _distinct_abs(shape):
    """Nonzero inputs whose absolute values differ (no ties for the inf-norms)."""
    def make(rng):
        n = int(np.prod(shape))
        mag = 0.3 + (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n
        return [(mag * rng.choice([-1.0, 1.0], n)).reshape(shape)]
    return make


CASES = {
    # prod
    "prod_dim": (lambda m, a: a.prod(1) * a.sum(1), [(3, 4)], NZ, ["prod"]),
    "prod_all": (lambda m, a: m.prod(a) * a, [(2, 3)], NZ, ["prod"]),
    "prod_keepdim": (lambda m, a: a.prod(0, keepdim=True) * a, [(3, 2)], NZ, ["prod"]),
    "prod_zeros": (lambda m, a: a.prod(1), [(3, 4)], _with_zeros, ["prod", "cumprod"]),
    "prod_all_zero": (lambda m, a: a.prod() * a, [(3, 4)],
                      lambda rng: [np.where(np.arange(12).reshape(3, 4) == 5, 0.0,
                                            rng.standard_normal((3, 4)))], ["prod"]),
    # var / std
    "var_dim": (lambda m, a: a.var(1) * a.sum(1), [(3, 4)], None, ["var"]),
    "var_all": (lambda m, a: m.var(a) * a, [(2, 3)], None, ["var"]),
    "var_correction0": (lambda m, a: a.var(0, keepdim=True, correction=0) * a, [(3, 2)], None,
                        ["var"]),
    "var_unbiased_false": (lambda m, a: m.var(a, 1, False) ** 2, [(2, 5)], None, ["var"]),
    "var_tuple": (lambda m, a: a.var((0, 2)), [(2, 3, 4)], None, ["var"]),
    "std_dim": (lambda m, a: a.std(1) * a.sum(1), [(3, 4)], None, ["std"]),
    "std_all": (lambda m, a: a.std() * a, [(2, 3)], None, ["std"]),
    "std_correction2": (lambda m, a: m.std(a, 0, correction=2, keepdim=True) * a, [(5, 2)],
                        None, ["std"]),
    "var_mean": (lambda m, a: (lambda v, mu: v * mu)(*m.var_mean(a, 1)), [(3, 4)], None,
                 ["var", "mean"]),
    "std_mean": (lambda m, a: (lambda s, mu: s * mu)(*m.std_mean(a, 0, correction=0)),
                 [(3, 4)], None, ["std", "mean"]),
    # logsumexp
    "logsumexp": (lambda m, a: m.logsumexp(a, 1) * a.sum(1), [(3, 4)], None, ["logsumexp"]),
    "logsumexp_keepdim": (lambda m, a: a.logsumexp((0, 1), keepdim=True) * a, [(2, 3)], None,
                          ["logsumexp"]),
    # norm
    "norm_fro": (lambda m, a: a.norm() * a, [(2, 3)], None, ["norm"]),
    "norm_2_dim": (lambda m, a: a.norm(2, 1) * a.sum(1), [(3, 4)], None, ["norm"]),
    "norm_1": (lambda m, a: m.norm(a, 1, 0) * a.sum(0), [(3, 4)], NZ, ["norm"]),
    "norm_3": (lambda m, a: a.norm(3, dim=1, keepdim=True) * a, [(3, 4)], NZ, ["norm"]),
    "norm_half": (lambda m, a: a.norm(0.5, 0), [(3, 4)], POS, ["norm"]),
    "norm_inf": (lambda m, a: a.norm(float("inf"), 1) * a.sum(1), [(3, 4)],
                 _distinct_abs((3, 4)), ["norm"]),
    "norm_ninf": (lambda m, a: a.norm(float("-inf"), 1), [(3, 4)], _distinct_abs((3, 4)),
                  ["norm"]),
    "norm_fro_dims": (lambda m, a: a.norm("fro", (0, 1)) * a, [(2, 3)], None, ["norm"]),
    # cumulative
    "cumsum": (lambda m, a: a.cumsum(1) * a, [(3, 4)], None, ["cumsum", "flip"]),
    "cumsum_dim0": (lambda m, a: m.cumsum(a, dim=0) ** 2, [(4, 2)], None, ["cumsum"]),
    "cumprod": (lambda m, a: a.cumprod(1) * a, [(3, 4)], NZ, ["cumprod"]),
    "cumprod_dim0": (lambda m, a: m.cumprod(a, 0), [(4, 3)], NZ, ["cumprod"]),
    "cumprod_zeros": (lambda m, a: a.cumprod(1), [(3, 4)], _with_zeros, ["cumprod"]),
    "logcumsumexp": (lambda m, a: a.logcumsumexp(1) * a, [(3, 4)], None, ["logcumsumexp"]),
    "logcumsumexp_dim0": (lambda m, a: m.logcumsumexp(a, 0), [(5, 2)], None, ["logcumsumexp"]),
    # selections
    "sort": (lambda m, a: a.sort(1).values * a, [(3, 4)], _distinct((3, 4)),
             ["take_along_dim"]),
    "sort_descending": (lambda m, a: m.sort(a, 0, descending=True)[0] ** 2, [(4, 3)],
                        _distinct((4, 3)), ["take_along_dim"]),
    "topk": (lambda m, a: a.topk(2).values ** 2, [(3, 5)], _distinct((3, 5)), []),
    "topk_smallest": (lambda m, a: m.topk(a, 2, dim=0, largest=False)[0] ** 2, [(4, 3)],
                      _distinct((4, 3)), []),
    "kthvalue": (lambda m, a: a.kthvalue(2, 1).values ** 2, [(3, 4)], _distinct((3, 4)), []),
    "kthvalue_keepdim": (lambda m, a: m.kthvalue(a, 3, 0, keepdim=True)[0] * a, [(4, 3)],
                         _distinct((4, 3)), []),
    "median_all": (lambda m, a: a.median() * a, [(3, 3)], _distinct((3, 3)), ["amax", "where"]),
    "median_all_even": (lambda m, a: m.median(a) ** 2, [(2, 3)], _distinct((2, 3)), []),
    "median_dim": (lambda m, a: a.median(1).values ** 2, [(3, 4)], _distinct((3, 4)), []),
    "median_keepdim": (lambda m, a: m.median(a, 0, keepdim=True)[0] * a, [(5, 2)],
                       _distinct((5, 2)), []),
    "cummax": (lambda m, a: a.cummax(1).values * a, [(3, 4)], _distinct((3, 4)), []),
    "cummin": (lambda m, a: m.cummin(a, 0)[0] ** 2, [(4, 3)], _distinct((4, 3)), []),
    "msort": (lambda m, a: m.msort(a) * a, [(4, 3)], _distinct((4, 3)), []),
    "aminmax": (lambda m, a: (lambda lo, hi: lo * hi)(*m.aminmax(a, dim=1)), [(3, 4)],
                _distinct((3, 4)), ["amax", "amin"]),
    "quantile": (lambda m, a: m.quantile(a, 0.3, dim=1) * a.sum(1), [(3, 5)], _distinct((3, 5)),
                 ["take_along_dim", "where"]),
    "quantile_vector": (lambda m, a: a.quantile(m.tensor([0.2, 0.5, 0.9], dtype=a.dtype), 0,
                                                    keepdim=True) ** 2,
                        [(4, 3)], _distinct((4, 3)), []),
    "quantile_all": (lambda m, a: m.quantile(a, 0.7) * a, [(2, 3)], _distinct((2, 3)), []),
    "quantile_midpoint": (lambda m, a: m.quantile(a, 0.4, 1, interpolation="midpoint") ** 2,
                          [(2, 4)], _distinct((2, 4)), []),
    "nanquantile": (lambda m, a: m.nanquantile(a, 0.6, 1) ** 2, [(3, 4)], _with_nan, []),
    # NaN-ignoring
    "nansum": (lambda m, a: a.nansum(1) ** 2, [(3, 4)], _with_nan, ["where", "sum"]),
    "nanmean": (lambda m, a: m.nanmean(a, 0, keepdim=True) ** 2, [(3, 4)], _with_nan,
                ["where", "sum"]),
}

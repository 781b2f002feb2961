"""Op-table cases (see tests/test_op_table.py) for the indexing family:
gather/scatter/index_*/masked_*/take and ``t[index]`` with PyTorch's
placement of advanced-index dims."""
from test_op_table import POS


def _i(m, x):
    """An int64 index tensor on either library."""
    return m.tensor(x)


def _b(m, x):
    return m.tensor(x)


G = [[0, 2, 2], [1, 0, 3]]          # a (2, 3) index into a (3, 4) input along dim 1
U = [[0, 2, 3], [1, 0, 3]]          # no repeated target (scatter's last write wins)
S = [[0, 2, 0], [1, 0, 2]]          # a (2, 3) index along dim 0 of a (3, 4) input (repeats)
M = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]

CASES = {
    "getitem_torch_placement": (lambda m, a: a[0, :, [1, 2]] * a[1, :, [2, 0]], [(3, 4, 5)],
                                None, ["getitem", "index_put_add"]),
    "getitem_torch_placement_2d": (lambda m, a: a[:, 1, :, [[0, 1], [2, 2]]] ** 2,
                                   [(2, 3, 4, 3)], None, ["getitem"]),
    "gather": (lambda m, a: m.gather(a, 1, _i(m, G)) * a[:2, :3], [(3, 4)], None,
               ["gather", "gather_add"]),
    "gather_method_dim0": (lambda m, a: a.gather(0, _i(m, S)) ** 2, [(3, 4)], None,
                           ["gather"]),
    "scatter": (lambda m, a, b: m.scatter(a, 1, _i(m, U), b) * a, [(3, 4), (2, 3)], None,
                ["scatter_set"]),
    "scatter_dim0": (lambda m, a, b: a.scatter(0, _i(m, [[0, 2], [1, 0]]), b) ** 2,
                     [(3, 4), (2, 2)], None, ["scatter_set"]),
    "scatter_value": (lambda m, a: m.scatter(a, 1, _i(m, G), 2.5) * a, [(3, 4)], None,
                      ["scatter_set"]),
    "scatter_add": (lambda m, a, b: m.scatter_add(a, 0, _i(m, S), b) ** 2, [(3, 4), (2, 3)],
                    None, ["scatter_sum"]),
    "scatter_reduce_sum": (lambda m, a, b: a.scatter_reduce(0, _i(m, S), b, "sum") ** 2,
                           [(3, 4), (2, 3)], None, ["scatter_sum"]),
    "scatter_reduce_sum_noself": (lambda m, a, b: a.scatter_reduce(
        0, _i(m, S), b, "sum", include_self=False) ** 2, [(3, 4), (2, 3)], None, ["where"]),
    "scatter_reduce_prod": (lambda m, a, b: a.scatter_reduce(1, _i(m, G), b, "prod") * a,
                            [(3, 4), (2, 3)], POS, ["scatter_prod"]),
    "scatter_reduce_prod_noself": (lambda m, a, b: m.scatter_reduce(
        a, 0, _i(m, S), b, "prod", include_self=False) * a, [(3, 4), (2, 3)], POS,
        ["scatter_prod"]),
    "scatter_reduce_mean": (lambda m, a, b: a.scatter_reduce(0, _i(m, S), b, "mean") ** 2,
                            [(3, 4), (2, 3)], None, ["scatter_sum"]),
    "scatter_reduce_mean_noself": (lambda m, a, b: a.scatter_reduce(
        0, _i(m, S), b, "mean", include_self=False) ** 2, [(3, 4), (2, 3)], None,
        ["scatter_sum"]),
    "scatter_reduce_amax": (lambda m, a, b: a.scatter_reduce(0, _i(m, S), b, "amax") ** 2,
                            [(3, 4), (2, 3)], None, ["scatter_sum"]),
    "scatter_reduce_amin_noself": (lambda m, a, b: a.scatter_reduce(
        1, _i(m, G), b, "amin", include_self=False) ** 2, [(3, 4), (2, 3)], None,
        ["scatter_sum"]),
    "index_select": (lambda m, a: m.index_select(a, 1, _i(m, [3, 0, 3])) ** 2, [(2, 4)], None,
                     ["getitem"]),
    "index_add": (lambda m, a, b: a.index_add(0, _i(m, [2, 0, 2]), b, alpha=2.0) ** 2,
                  [(3, 4), (3, 4)], None, ["index_put_add"]),
    "index_fill": (lambda m, a, v: m.index_fill(a, 1, _i(m, [0, 2]), v.sum()) * a,
                   [(3, 4), (2,)], None, ["where"]),
    "index_fill_number": (lambda m, a: a.index_fill(0, _i(m, [1]), -1.5) ** 2, [(3, 4)], None,
                          ["where"]),
    "index_copy": (lambda m, a, b: a.index_copy(1, _i(m, [3, 1]), b) ** 2, [(3, 4), (3, 2)],
                   None, ["where"]),
    "masked_fill": (lambda m, a: a.masked_fill(_b(m, M[1]), 0.5) ** 2, [(3, 4)], None,
                    ["where"]),
    "masked_fill_tensor": (lambda m, a, v: m.masked_fill(a, _b(m, M), v[0]) * a,
                           [(3, 4), (1,)], None, ["where"]),
    "masked_select": (lambda m, a: m.masked_select(a, _b(m, M)) ** 2, [(4,)], None,
                      ["getitem", "broadcast_to"]),
    "masked_scatter": (lambda m, a, s: a.masked_scatter(_b(m, M), s) * a, [(3, 4), (7,)],
                       None, ["index_put_add"]),
    "index_put": (lambda m, a, v: a.index_put((_i(m, [0, 2]), _i(m, [1, 3])), v) ** 2,
                  [(3, 4), (2,)], None, ["where", "index_put_add"]),
    "index_put_accumulate": (lambda m, a, v: m.index_put(
        a, (_i(m, [0, 2, 0]),), v, accumulate=True) * a, [(3, 4), (4,)], None,
        ["index_put_add"]),
    "index_put_mask": (lambda m, a, v: a.index_put((_b(m, M),), v[0]) ** 2, [(3, 4), (1,)],
                       None, ["where"]),
    "take": (lambda m, a: m.take(a, _i(m, [[5, 0], [-1, 5]])) ** 2, [(3, 4)], None,
             ["getitem"]),
    "take_along_dim": (lambda m, a: m.take_along_dim(a, _i(m, [[0], [3], [1]]), dim=1) * a,
                       [(3, 4)], None, ["take_along_dim", "put_along_dim_add"]),
    "take_along_dim_bcast": (lambda m, a, b: m.take_along_dim(a, _i(m, [[0, 2]]), dim=1) * b,
                             [(3, 4), (3, 2)], None, ["take_along_dim", "put_along_dim_add"]),
    "take_along_dim_bcast_input": (lambda m, a: m.take_along_dim(
        a, _i(m, [[0, 2], [3, 3], [1, 0]]), dim=1) ** 2, [(1, 4)], None, ["take_along_dim"]),
    "take_along_dim_flat": (lambda m, a: a.take_along_dim(_i(m, [5, 1, 5])) ** 2, [(3, 4)],
                            None, ["take_along_dim"]),
}

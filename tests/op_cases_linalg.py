"""Op-table cases (see tests/test_op_table.py) for linear algebra: products
(matmul family, einsum) and ``linalg`` (inverses, determinants, solves,
decompositions, norms). Decompositions are checked on well-conditioned inputs
(distinct singular values / eigenvalues) through gauge-invariant outputs
(``U @ Vh``, ``U**2``, eigenvalues, projectors)."""
import numpy as np

import autograd_c.linalg  # noqa: F401  (ag.linalg, until the package imports it)
from test_op_table import NZ, POS  # noqa: F401


def _eye(m, n, k=1.0):
    return m.tensor(k * np.eye(n))


def _spread(*shapes_and_values):
    """rng -> matrices with prescribed singular values (well separated)."""
    def make(rng):
        out = []
        for shape, sv in shapes_and_values:
            r, c = shape[-2], shape[-1]
            k = min(r, c)
            mats = []
            for _ in range(int(np.prod(shape[:-2]))):
                u, _ = np.linalg.qr(rng.standard_normal((r, r)))
                v, _ = np.linalg.qr(rng.standard_normal((c, c)))
                s = np.zeros((r, c))
                s[np.arange(k), np.arange(k)] = sv[:k]
                mats.append(u @ s @ v.T)
            out.append(np.reshape(mats, shape))
        return out
    return make


def _sym(values, batch=()):
    def make(rng):
        n = len(values)
        mats = []
        for _ in range(int(np.prod(batch))):
            q, _ = np.linalg.qr(rng.standard_normal((n, n)))
            mats.append(q @ np.diag(values) @ q.T)
        return [np.reshape(mats, tuple(batch) + (n, n))]
    return make


def _svd_gauge(m, A, full=False):
    U, S, Vh = m.linalg.svd(A, full_matrices=full)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return m.cat([(U @ Vh).flatten(), S.flatten() ** 2, (U * U).flatten(),
                  (Vh ** 2).flatten()])


def _eigh_gauge(m, A):
    L, V = m.linalg.eigh((A + A.mT) * 0.5)
    P = V[..., :, :1] @ V[..., :, :1].mT
    return m.cat([L.flatten() ** 2, (V * V).flatten(), P.flatten()])


def _qr_cat(m, A, mode="reduced"):
    Q, R = m.linalg.qr(A, mode=mode)
    return m.cat([Q.flatten(), (R * R).flatten()])


def _spd(m, A):
    # (the identity of A @ A.mT's own size, A.shape[-2]: a non-square A (the
    # op fuzz resizes inputs) would otherwise broadcast a wrong-sized one)
    return A @ A.mT + _eye(m, A.shape[-2], 2.0)


CASES = {
    # ---- products
    "mm": (lambda m, a, b: m.mm(a, b) * 2, [(2, 3), (3, 4)], None, ["matmul"]),
    "bmm": (lambda m, a, b: a.bmm(b) ** 2, [(2, 2, 3), (2, 3, 2)], None, ["matmul"]),
    # a stack times one matrix (flattened to one product), contiguous or not
    "matmul_stack_matrix": (lambda m, a, b: (a @ b) ** 2, [(2, 3, 4), (4, 5)], None,
                            ["matmul"]),
    "matmul_stack_matrix_strided": (lambda m, a, b: (a.transpose(0, 1) @ b) ** 2,
                                    [(3, 2, 2, 4), (4, 3)], None, ["matmul"]),
    "mv": (lambda m, a, v: m.mv(a, v) ** 2, [(2, 3), (3,)], None, ["matmul"]),
    "dot": (lambda m, a, b: m.dot(a, b) * a, [(3,), (3,)], None, ["matmul"]),
    "vdot": (lambda m, a, b: a.vdot(b) ** 2, [(4,), (4,)], None, ["matmul"]),
    "outer": (lambda m, a, b: m.outer(a, b) ** 2, [(3,), (2,)], None, ["mul"]),
    "inner": (lambda m, a, b: m.inner(a, b) ** 2, [(2, 3), (4, 3)], None, ["matmul"]),
    "tensordot": (lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])) ** 2,
                  [(3, 2, 4), (2, 5, 3)], None, ["matmul"]),
    "tensordot_int": (lambda m, a, b: m.tensordot(a, b, 1) * 3, [(2, 3), (3, 2)], None,
                      ["matmul"]),
    "kron": (lambda m, a, b: m.kron(a, b) ** 2, [(2, 3), (2, 2)], None, ["mul"]),
    "kron_ranks": (lambda m, a, b: a.kron(b) ** 2, [(2,), (2, 3)], None, ["mul"]),
    "cross": (lambda m, a, b: m.cross(a, b, dim=1) ** 2, [(2, 3), (2, 3)], None, ["getitem"]),
    "cross_default_dim": (lambda m, a, b: m.cross(a, b) * a, [(3, 2), (3, 2)], None,
                          ["getitem"]),
    "linalg_cross": (lambda m, a, b: m.linalg.cross(a, b) ** 2, [(2, 3), (1, 3)], None,
                     ["getitem"]),
    "addmm": (lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0) ** 2,
              [(3,), (2, 4), (4, 3)], None, ["matmul"]),
    "addmv": (lambda m, c, a, v: c.addmv(a, v, alpha=-1.5) ** 2, [(2,), (2, 3), (3,)], None,
              ["matmul"]),
    "baddbmm": (lambda m, c, a, b: m.baddbmm(c, a, b, beta=2.0) ** 2,
                [(2, 2, 2), (2, 2, 3), (2, 3, 2)], None, ["matmul"]),
    "addbmm": (lambda m, c, a, b: m.addbmm(c, a, b) ** 2, [(2, 2), (3, 2, 3), (3, 3, 2)],
               None, ["matmul"]),
    "addr": (lambda m, c, a, b: m.addr(c, a, b, alpha=0.5) ** 2, [(2, 3), (2,), (3,)], None,
             ["mul"]),
    # ---- einsum
    "einsum_mm": (lambda m, a, b: m.einsum("ij,jk->ik", a, b) ** 2, [(2, 3), (3, 4)], None,
                  ["einsum"]),
    "einsum_list": (lambda m, a, b: m.einsum("bij,bjk", [a, b]) ** 2, [(2, 2, 3), (2, 3, 2)],
                    None, ["einsum"]),
    "einsum_diag": (lambda m, a: m.einsum("ii->i", a) * m.einsum("ii", a), [(3, 3)], None,
                    ["einsum"]),
    "einsum_trace_3": (lambda m, a, b: m.einsum("iij,jk->k", a, b) ** 2, [(2, 2, 3), (3, 2)],
                       None, ["einsum"]),
    "einsum_sum_alone": (lambda m, a, b: m.einsum("ij,k->ik", a, b) ** 2, [(2, 3), (4,)],
                         None, ["einsum"]),
    "einsum_reduce": (lambda m, a: m.einsum("ijk->", a) * a, [(2, 3, 2)], None, ["einsum"]),
    "einsum_ellipsis_bcast": (lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b) ** 2,
                              [(2, 1, 2, 3), (3, 3, 2)], None, ["einsum"]),
    "einsum_three": (lambda m, a, b, c: m.einsum("i,ij,j->", a, b, c) * a,
                     [(3,), (3, 4), (4,)], None, ["einsum"]),
    "einsum_same_operand_twice": (lambda m, a: m.einsum("ij,ij->i", a, a) * a.sum(1),
                                  [(2, 3)], None, ["einsum"]),
    "einsum_outer_implicit": (lambda m, a, b: m.einsum("j,i", a, b) ** 2, [(3,), (2,)], None,
                              ["einsum"]),
    # ---- inverse, det, solve, powers
    "inv": (lambda m, a: m.linalg.inv(a + _eye(m, 3, 3.0)) ** 2, [(3, 3)], None, ["inv"]),
    "inverse_batched": (lambda m, a: a.inverse() * a, [(2, 3, 3)],
                        _spread(((2, 3, 3), [3.0, 2.0, 1.0])), ["inv"]),
    "det": (lambda m, a: m.linalg.det(a) ** 2, [(3, 3)], _spread(((3, 3), [2.0, 1.5, 0.8])),
            ["det"]),
    "det_singular": (lambda m, a: m.linalg.det(a) * 3.0, [(3, 3)],
                     _spread(((3, 3), [2.0, 1.0, 0.0])), ["det"]),
    "det_batched": (lambda m, a: m.det(a + _eye(m, 2, 2.0)) * a.sum(), [(3, 2, 2)], None,
                    ["det"]),
    "slogdet": (lambda m, a: m.linalg.slogdet(a).logabsdet ** 2 * m.linalg.slogdet(a).sign,
                [(3, 3)], _spread(((3, 3), [2.0, 1.5, 0.8])), ["logabsdet"]),
    "logdet": (lambda m, a: m.logdet(_spd(m, a)) ** 2, [(3, 3)], None, ["logabsdet"]),
    "solve": (lambda m, a, b: m.linalg.solve(a + _eye(m, 3, 3.0), b) ** 2, [(3, 3), (3, 2)],
              None, ["linalg_solve"]),
    "solve_vector": (lambda m, a, b: m.linalg.solve(a + _eye(m, 3, 3.0), b) ** 2,
                     [(3, 3), (3,)], None, ["linalg_solve"]),
    "solve_batched_bcast": (lambda m, a, b: m.linalg.solve(a + _eye(m, 2, 3.0), b) ** 2,
                            [(2, 2, 2), (2, 3)], None, ["linalg_solve"]),
    "solve_right": (lambda m, a, b: m.linalg.solve(a + _eye(m, 3, 3.0), b, left=False) ** 2,
                    [(3, 3), (2, 3)], None, ["linalg_solve"]),
    "matrix_power": (lambda m, a: m.linalg.matrix_power(a, 3) + a.matrix_power(0) * a,
                     [(2, 2)], None, ["matmul"]),
    "matrix_power_neg": (lambda m, a: m.matrix_power(a + _eye(m, 3, 3.0), -2) ** 2, [(3, 3)],
                         None, ["inv"]),
    "multi_dot": (lambda m, a, b, c: m.linalg.multi_dot([a, b, c]) ** 2,
                  [(3,), (3, 2), (2, 2)], None, ["matmul"]),
    "solve_triangular": (lambda m, a, b: m.linalg.solve_triangular(
        a + _eye(m, 3, 3.0), b, upper=True) ** 2, [(3, 3), (3, 2)], None, ["linalg_solve"]),
    "solve_triangular_unit_right": (lambda m, a, b: m.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True) ** 2, [(3, 3), (2, 3)], None,
        ["linalg_solve"]),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution ** 2, [(4, 3), (4, 2)],
              _spread(((4, 3), [3.0, 2.0, 1.0]), ((4, 2), [1.0, 0.5])), ["pinv_op"]),
    "cond": (lambda m, a: m.linalg.cond(a) * a, [(3, 3)], _spread(((3, 3), [3.0, 2.0, 1.0])),
             ["svd_packed"]),
    # ---- decompositions
    "cholesky": (lambda m, a: m.linalg.cholesky(_spd(m, a)) ** 2, [(3, 3)], None,
                 ["cholesky_lower"]),
    "cholesky_upper_batched": (lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True) * 2,
                               [(2, 3, 3)], None, ["cholesky_lower"]),
    "qr_tall": (lambda m, a: _qr_cat(m, a), [(4, 3)], None, ["qr_packed"]),
    "qr_square_batched": (lambda m, a: _qr_cat(m, a), [(2, 3, 3)], None, ["qr_packed"]),
    "qr_wide": (lambda m, a: _qr_cat(m, a), [(2, 4)], None, ["qr_packed"]),
    "qr_complete_wide": (lambda m, a: _qr_cat(m, a, "complete"), [(2, 3)], None,
                         ["qr_packed"]),
    "svd_tall": (lambda m, a: _svd_gauge(m, a), [(4, 3)],
                 _spread(((4, 3), [3.0, 2.0, 1.0])), ["svd_packed"]),
    "svd_wide_full": (lambda m, a: _svd_gauge(m, a, True), [(2, 4)],
                      _spread(((2, 4), [2.5, 1.0])), ["svd_packed"]),
    "svd_square": (lambda m, a: _svd_gauge(m, a), [(3, 3)],
                   _spread(((3, 3), [3.0, 1.7, 0.6])), ["svd_packed"]),
    "svd_batched": (lambda m, a: _svd_gauge(m, a), [(2, 3, 2)],
                    _spread(((2, 3, 2), [2.0, 0.7])), ["svd_packed"]),
    "svd_batched_full_tall": (lambda m, a: _svd_gauge(m, a, True), [(2, 3, 2)],
                              _spread(((2, 3, 2), [2.0, 0.7])), ["svd_packed"]),
    "svdvals": (lambda m, a: m.linalg.svdvals(a) ** 2 * 1.5, [(3, 4)],
                _spread(((3, 4), [3.0, 2.0, 1.0])), ["svd_packed"]),
    "eigh": (lambda m, a: _eigh_gauge(m, a), [(4, 4)], _sym([-2.0, -0.5, 1.0, 2.5]),
             ["eigh_packed"]),
    "eigh_batched": (lambda m, a: _eigh_gauge(m, a), [(2, 3, 3)], _sym([-1.0, 0.4, 2.0], (2,)),
                     ["eigh_packed"]),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh((a + a.mT) * 0.5) ** 3, [(3, 3)],
                 _sym([-1.0, 0.5, 2.0]), ["eigh_packed"]),
    "pinv_tall": (lambda m, a: m.linalg.pinv(a) ** 2, [(4, 3)],
                  _spread(((4, 3), [3.0, 2.0, 1.0])), ["pinv_op"]),
    "pinv_wide": (lambda m, a: m.pinverse(a) * a.mT, [(2, 3)], _spread(((2, 3), [2.0, 1.0])),
                  ["pinv_op"]),
    # ---- norms
    "vector_norm": (lambda m, a: m.linalg.vector_norm(a) * a, [(2, 3)], None,
                    ["vector_norm_p"]),
    "vector_norm_dim": (lambda m, a: m.linalg.vector_norm(a, 3, dim=1, keepdim=True) * a,
                        [(2, 3)], NZ, ["vector_norm_p"]),
    "vector_norm_inf": (lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=0) ** 2,
                        [(3, 2)], None, ["amax", "abs"]),
    "vector_norm_1": (lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1)) * a, [(2, 3)], NZ,
                      ["abs"]),
    "vector_norm_half": (lambda m, a: m.linalg.vector_norm(a, 0.5) * a, [(4,)], NZ,
                         ["vector_norm_p"]),
    "matrix_norm_fro": (lambda m, a: m.linalg.matrix_norm(a).sum() * a, [(2, 2, 3)], None,
                        ["vector_norm_p"]),
    "matrix_norm_nuc": (lambda m, a: m.linalg.matrix_norm(a, "nuc") ** 2, [(3, 3)],
                        _spread(((3, 3), [3.0, 2.0, 1.0])), ["svd_packed"]),
    "matrix_norm_2": (lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True) * a, [(3, 2)],
                      _spread(((3, 2), [3.0, 1.0])), ["svd_packed"]),
    "matrix_norm_1": (lambda m, a: m.linalg.matrix_norm(a, 1) * a, [(3, 3)], NZ, ["amax"]),
    "matrix_norm_inf_dims": (lambda m, a: m.linalg.matrix_norm(a, float("-inf"), dim=(2, 0))
                             ** 2, [(3, 2, 4)], NZ, ["amin"]),
    "linalg_norm": (lambda m, a: m.linalg.norm(a) * a + m.linalg.norm(a, 2, dim=0), [(2, 3)],
                    None, ["vector_norm_p"]),
    "linalg_norm_matrix": (lambda m, a: m.linalg.norm(a, "fro") * a, [(2, 3)], None,
                           ["vector_norm_p"]),
    "torch_norm": (lambda m, a: a.norm() * a + m.norm(a, 3, dim=0), [(2, 3)], NZ,
                   ["vector_norm_p"]),
}

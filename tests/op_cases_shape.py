"""Op-table cases (see tests/test_op_table.py) for the shape ops and the
shape functions built from them (flip, roll, diagonals, padding, repeats,
splits, stacking...)."""
from test_op_table import torch


def _pad(m):
    """``nn.functional.pad`` (torch) / its op-table function (autograd_c)."""
    if m is torch:
        return torch.nn.functional.pad
    from autograd_c.ops.shape import pad
    return pad


CASES = {
    # flip / roll
    "flip": (lambda m, a: a.flip(0) * a, [(3, 4)], None, ["flip"]),
    "flip_dims": (lambda m, a: m.flip(a, (0, 2)) ** 2, [(2, 3, 2)], None, ["flip"]),
    "fliplr": (lambda m, a: m.fliplr(a) * a, [(3, 3)], None, ["flip"]),
    "flipud": (lambda m, a: a.flipud() * a, [(3, 2)], None, ["flip"]),
    "roll": (lambda m, a: a.roll(1, 1) * a, [(3, 4)], None, ["roll"]),
    "roll_dims": (lambda m, a: m.roll(a, (1, -2), (0, 1)) ** 2, [(3, 4)], None, ["roll"]),
    "roll_flat": (lambda m, a: a.roll(5) * a, [(3, 4)], None, ["roll"]),
    # diagonals and triangles
    "diagonal": (lambda m, a: a.diagonal(1) ** 2, [(3, 4)], None, ["diagonal", "diag_put"]),
    "diagonal_batched": (lambda m, a: m.diagonal(a, -1, 1, 2) ** 2, [(2, 3, 4)], None,
                         ["diagonal"]),
    "diagonal_swapped": (lambda m, a: a.diagonal(1, 1, 0) ** 2, [(4, 3)], None, ["diagonal"]),
    "diag_embed": (lambda m, a: m.diag_embed(a, 1) ** 2, [(2, 3)], None, ["diag_put"]),
    "diag_embed_dims": (lambda m, a: m.diag_embed(a, -1, 0, 2) ** 2, [(2, 3)], None,
                        ["diag_put"]),
    "diag_1d": (lambda m, a: m.diag(a, -1) ** 2, [(3,)], None, ["diag_put"]),
    "diag_2d": (lambda m, a: a.diag(1) ** 2, [(3, 4)], None, ["diagonal"]),
    "trace": (lambda m, a: m.trace(a) * a, [(3, 4)], None, ["diagonal"]),
    "tril": (lambda m, a: a.tril() * a, [(3, 4)], None, ["where"]),
    "triu": (lambda m, a: m.triu(a, -1) ** 2, [(2, 3, 3)], None, ["where"]),
    # padding
    "pad_constant": (lambda m, a: _pad(m)(a, (1, 2, 0, 1), value=0.5) ** 2, [(2, 3)], None,
                     ["pad_constant"]),
    "pad_negative": (lambda m, a: _pad(m)(a, (-1, 2)) ** 2, [(2, 3)], None,
                     ["pad_constant", "getitem"]),
    "pad_reflect": (lambda m, a: _pad(m)(a, (2, 1), mode="reflect") ** 2, [(2, 4)], None,
                    ["getitem"]),
    "pad_reflect_2d": (lambda m, a: _pad(m)(a, (1, 1, 2, 1), mode="reflect") ** 2,
                       [(1, 3, 4)], None, ["getitem"]),
    "pad_replicate": (lambda m, a: _pad(m)(a, (2, 1, 1, 0), mode="replicate") ** 2,
                      [(1, 2, 3)], None, ["getitem"]),
    "pad_circular": (lambda m, a: _pad(m)(a, (2, 3), mode="circular") ** 2, [(2, 4)], None,
                     ["getitem"]),
    # repeats
    "repeat": (lambda m, a: a.repeat(2, 1, 3) ** 2, [(2, 3)], None, ["broadcast_to"]),
    "tile": (lambda m, a: m.tile(a, (2,)) ** 2, [(2, 3)], None, ["broadcast_to"]),
    "repeat_interleave": (lambda m, a: a.repeat_interleave(2) ** 2, [(2, 3)], None,
                          ["getitem"]),
    "repeat_interleave_dim": (
        lambda m, a: m.repeat_interleave(a, m.tensor([1, 0, 2]), dim=1) ** 2, [(2, 3)], None,
        ["getitem"]),
    # slices and splits
    "narrow": (lambda m, a: a.narrow(1, 1, 2) ** 2, [(3, 4)], None, ["getitem"]),
    "narrow_negative": (lambda m, a: m.narrow(a, 0, -2, 2) ** 2, [(3, 4)], None, ["getitem"]),
    "chunk": (lambda m, a: (lambda x, y: x * y)(*a.chunk(2, 1)), [(3, 4)], None, ["getitem"]),
    "chunk_uneven": (lambda m, a: m.cat([t * (i + 1) for i, t in enumerate(m.chunk(a, 3))]),
                     [(5,)], None, ["getitem"]),
    "split": (lambda m, a: (lambda x, y: x @ y.T)(*a.split([1, 2], 0)), [(3, 2)], None,
              ["getitem"]),
    "unbind": (lambda m, a: (lambda x, y, z: x * y - z)(*a.unbind(1)), [(2, 3)], None,
               ["getitem"]),
    # stacking
    "hstack": (lambda m, a, b: m.hstack([a, b * a]) ** 2, [(2, 3), (2, 3)], None, ["cat"]),
    "hstack_1d": (lambda m, a, b: m.hstack((a, b)) ** 2, [(3,), (2,)], None, ["cat"]),
    "vstack": (lambda m, a, b: m.vstack([a, b]) ** 2, [(3,), (2, 3)], None, ["cat"]),
    "dstack": (lambda m, a, b: m.dstack([a, b]) ** 2, [(2, 3), (2, 3)], None, ["cat"]),
    "column_stack": (lambda m, a, b: m.column_stack([a, b]) ** 2, [(3,), (3, 2)], None, ["cat"]),
    # dims
    "squeeze": (lambda m, a: a.squeeze() * a.squeeze(0).sum(), [(1, 3, 1)], None, ["reshape"]),
    "squeeze_dims": (lambda m, a: m.squeeze(a, (0, 2)) ** 2, [(1, 3, 1, 2)], None, ["reshape"]),
    "unsqueeze": (lambda m, a: a.unsqueeze(1) * a, [(2, 3)], None, ["reshape"]),
    "flatten": (lambda m, a: a.flatten(1) ** 2, [(2, 3, 2)], None, ["reshape"]),
    "unflatten": (lambda m, a: a.unflatten(1, (2, -1)) ** 2, [(3, 6)], None, ["reshape"]),
    "ravel": (lambda m, a: m.ravel(a) ** 2, [(3, 2)], None, ["reshape"]),
    "view_as": (lambda m, a, b: a.view_as(b) * b, [(2, 3), (3, 2)], None, ["reshape"]),
    "reshape_as": (lambda m, a, b: a.reshape_as(b) * b, [(6,), (3, 2)], None, ["reshape"]),
    "expand_as": (lambda m, a, b: a.expand_as(b) * b, [(3, 1), (3, 4)], None,
                  ["broadcast_to"]),
    "broadcast_tensors": (lambda m, a, b: (lambda x, y: x * y ** 2)(*m.broadcast_tensors(a, b)),
                          [(3, 1), (4,)], None, ["broadcast_to"]),
    "movedim": (lambda m, a: m.movedim(a, 0, 2) ** 2, [(2, 3, 4)], None, ["permute"]),
    "swapaxes": (lambda m, a: a.swapaxes(0, 2) ** 2, [(2, 3, 4)], None, ["permute"]),
    "swapdims": (lambda m, a: m.swapdims(a, 1, 0) @ a, [(2, 3)], None, ["permute"]),
    "transpose_kw": (lambda m, a: a.transpose(dim0=0, dim1=1) @ a, [(2, 3)], None, ["permute"]),
    # permute's VJP under create_graph transposes by a full permutation
    "permute_identity": (lambda m, a: a.permute(0, 1) ** 2, [(2, 3)], None, ["permute"]),
    "permute_kw": (lambda m, a: m.permute(a, dims=(1, 0)) @ a, [(2, 3)], None, ["permute"]),
    "contiguous": (lambda m, a: a.t().contiguous() @ a if m is torch else a.T.contiguous() @ a,
                   [(2, 3)], None, ["permute"]),
    "atleast_3d": (lambda m, a: m.atleast_3d(a) ** 2, [(3,)], None, ["reshape"]),
    "t": (lambda m, a: a.t() @ a + m.t(a[0]) * 0, [(2, 3)], None, ["permute"]),
    "rot90": (lambda m, a: m.rot90(a) ** 2, [(2, 3)], None, ["flip", "permute"]),
    "rot90_k3": (lambda m, a: a.rot90(3, (2, 0)) ** 2, [(2, 3, 2)], None, ["flip"]),
    "tensor_split": (lambda m, a: (lambda x, y, z: m.cat([x * 2, y, z ** 2], 1))(
        *m.tensor_split(a, 3, 1)), [(2, 4)], None, ["getitem", "cat"]),
    "hsplit": (lambda m, a: (lambda x, y: x * y)(*a.hsplit(2)), [(3, 4)], None, ["getitem"]),
    "diff": (lambda m, a: m.diff(a) ** 2, [(3, 4)], None, ["getitem", "sub"]),
    "diff_n2": (lambda m, a, b: a.diff(2, 0, prepend=b) ** 2, [(4, 3), (1, 3)], None,
                ["getitem", "cat"]),
    "unfold": (lambda m, a: a.unfold(1, 3, 2) ** 2, [(2, 7)], None, ["getitem", "permute"]),
    "unfold_dim0": (lambda m, a: a.unfold(0, 2, 1) * 2, [(3, 2)], None, ["getitem"]),
    "meshgrid": (lambda m, a, b: (lambda x, y: x * y ** 2)(*m.meshgrid(a, b, indexing="xy")),
                 [(3,), (2,)], None, ["broadcast_to"]),
}

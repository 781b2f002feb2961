"""Run under mpiexec -n N: every collective, sync and async, checked on every rank."""
import sys

import numpy as np

import autograd_c as ag
import autograd_c.distributed as dist
from autograd_c.distributed import ReduceOp


def main():
    engine = sys.argv[1] if len(sys.argv) > 1 else "c"
    ag.set_engine(engine)
    dist.init_process_group(timeout=10)
    r, n = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized()
    ranks = np.arange(n, dtype=np.float64)

    for async_op in (False, True):
        def done(w):
            if async_op:
                assert w is not None
                w.wait()
                assert w.is_completed()
            else:
                assert w is None

        base = np.array([1.0, -2.0, 3.0])
        expected = {
            ReduceOp.SUM: sum(base * (k + 1) for k in range(n)),
            ReduceOp.AVG: sum(base * (k + 1) for k in range(n)) / n,
            ReduceOp.MAX: np.max([base * (k + 1) for k in range(n)], 0),
            ReduceOp.MIN: np.min([base * (k + 1) for k in range(n)], 0),
            ReduceOp.PRODUCT: np.prod([base * (k + 1) for k in range(n)], 0),
        }
        for op, want in expected.items():
            t = ag.tensor(base * (r + 1))
            mem = t.data
            v0 = t.version
            done(dist.all_reduce(t, op=op, async_op=async_op))
            assert t.data is mem, "all_reduce must work in place"
            assert t.version == v0 + 1
            np.testing.assert_array_equal(t.data, want)
        # integer SUM, float32, non-contiguous
        ti = ag.tensor(np.array([r, 1], dtype=np.int64))
        done(dist.all_reduce(ti, async_op=async_op))
        assert ti.data.tolist() == [int(ranks.sum()), n]
        big = np.zeros((3, 4), dtype=np.float32)
        tn = ag.tensor(big)
        tv = tn[:, ::2]
        tv.data[...] = r + 1
        done(dist.all_reduce(tv, async_op=async_op))
        np.testing.assert_array_equal(tn.data[:, ::2], n * (n + 1) / 2)

        # broadcast from the last rank
        t = ag.tensor(np.full((2, 2), float(r)))
        done(dist.broadcast(t, src=n - 1, async_op=async_op))
        np.testing.assert_array_equal(t.data, np.full((2, 2), n - 1.0))
        tb = ag.tensor(np.array([r == 0, True]))
        done(dist.broadcast(tb, src=0, async_op=async_op))
        assert tb.data.tolist() == [True, True]

        # reduce to rank 0
        t = ag.tensor([float(r + 1)])
        done(dist.reduce(t, dst=0, op=ReduceOp.SUM, async_op=async_op))
        assert t.item() == (n * (n + 1) / 2 if r == 0 else r + 1)

        # all_gather into a list
        outs = [ag.zeros(3, dtype=np.float64) for _ in range(n)]
        done(dist.all_gather(outs, ag.tensor([r, r, r], dtype=np.float64), async_op=async_op))
        for k in range(n):
            np.testing.assert_array_equal(outs[k].data, [k, k, k])

        # all_gather_into_tensor, both output layouts
        out = ag.zeros(2 * n, dtype=np.float64)
        done(dist.all_gather_into_tensor(out, ag.tensor([r, -r], dtype=np.float64),
                                         async_op=async_op))
        np.testing.assert_array_equal(out.data, np.ravel([[k, -k] for k in range(n)]))
        out2 = ag.zeros((n, 2), dtype=np.float64)
        done(dist.all_gather_into_tensor(out2, ag.tensor([r, -r], dtype=np.float64),
                                         async_op=async_op))
        np.testing.assert_array_equal(out2.data, [[k, -k] for k in range(n)])

        # reduce_scatter_tensor: rank k gets block k of the sum
        inp = ag.tensor(np.arange(2 * n, dtype=np.float64) * (r + 1))
        out = ag.zeros(2, dtype=np.float64)
        done(dist.reduce_scatter_tensor(out, inp, op=ReduceOp.AVG, async_op=async_op))
        np.testing.assert_allclose(out.data, np.arange(2 * r, 2 * r + 2) * (n + 1) / 2)

        # gather to rank 0
        gl = [ag.zeros(2, dtype=np.float64) for _ in range(n)] if r == 0 else None
        done(dist.gather(ag.tensor([r, 10 * r], dtype=np.float64), gl, dst=0, async_op=async_op))
        if r == 0:
            for k in range(n):
                np.testing.assert_array_equal(gl[k].data, [k, 10 * k])

        # scatter from rank 0
        sl = [ag.tensor([k, k * k], dtype=np.float64) for k in range(n)] if r == 0 else None
        t = ag.zeros(2, dtype=np.float64)
        done(dist.scatter(t, sl, src=0, async_op=async_op))
        np.testing.assert_array_equal(t.data, [r, r * r])

        done(dist.barrier(async_op=async_op))

    # clear errors
    for bad, exc, text in [
        (lambda: dist.all_reduce(ag.tensor([1, 2]), op=ReduceOp.AVG), TypeError, "AVG"),
        (lambda: dist.all_reduce(ag.tensor([True])), TypeError, "cannot reduce"),
        (lambda: dist.all_reduce(np.zeros(2)), TypeError, "autograd_c Tensor"),
        (lambda: dist.all_reduce(ag.zeros(2), op="mean"), ValueError, "unknown reduce op"),
        (lambda: dist.broadcast(ag.zeros(2), src=n), ValueError, "not a rank"),
        (lambda: dist.all_gather([ag.zeros(2)] * (n + 1), ag.zeros(2)), ValueError, "list of"),
        (lambda: dist.all_gather_into_tensor(ag.zeros(3 * n + 1), ag.zeros(3)), ValueError,
         "dim 0"),
        (lambda: dist.all_reduce(ag.ones(3).broadcast_to((2, 3))), ValueError, "read-only"),
    ]:
        try:
            bad()
        except exc as e:
            assert text in str(e), (text, str(e))
        else:
            raise AssertionError(f"no {exc.__name__} for {text}")
    objs = [None] * n
    dist.all_gather_object(objs, {"rank": r, "payload": "x" * (100 * r)})
    assert objs == [{"rank": k, "payload": "x" * (100 * k)} for k in range(n)]

    dist.destroy_process_group()
    assert not dist.is_initialized()
    try:
        dist.get_rank()
    except dist.DistributedError as e:
        assert "not initialized" in str(e)
    else:
        raise AssertionError("get_rank() after destroy must raise")
    sys.stdout.write(f"rank {r}/{n}: collectives OK ({engine})\n")   # one write: no interleaving
    sys.stdout.flush()


if __name__ == "__main__":
    main()

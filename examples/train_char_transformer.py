"""Train a small decoder-only character-level transformer on the Zen of Python
with autograd_c (both engines) and PyTorch side by side, from the same start.

  python examples/train_char_transformer.py              # 300 steps
  python examples/train_char_transformer.py --quick      # 60 steps (smoke test)
  python examples/train_char_transformer.py --steps 1000 --dtype float64

The text is Python's own ``this`` module (rot13-decoded at run time, nothing
shipped). The model is GPT-style: token + position embeddings, pre-LayerNorm
blocks of causal multi-head self-attention (``F.scaled_dot_product_attention``
with ``is_causal=True``) and a GELU MLP, a final LayerNorm and a linear head.
Training: AdamW, linear warmup then cosine decay (``SequentialLR`` of
``LinearLR`` and ``CosineAnnealingLR``), gradients clipped to norm 1 with
``nn.utils.clip_grad_norm_``. Batches come from a seeded numpy generator.

The model code is written once, in ``define_model(torch)``: called with
``autograd_c`` it builds our model, called with the real ``torch`` module it
builds PyTorch's twin -- the same source text. PyTorch's model starts from our
initial weights (copied through the state_dict), so the loss columns agree
(to float32 rounding; to ~1e-12 with ``--dtype float64``).
Prints the loss every ``--every`` steps for each engine and torch, the time
per step, and a greedy sample from each trained model.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import math
import time

import numpy as np

import autograd_c as ag

# --------------------------------------------------------------------------
# data: the Zen of Python, read from the interpreter at run time
# --------------------------------------------------------------------------


def zen_text() -> str:
    """The Zen of Python: ``this.s`` rot13-decoded with ``this.d`` (the
    import prints it, so the print goes to a throwaway buffer)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return "".join(this.d.get(c, c) for c in this.s)


class CharData:
    """The text as integer codes, and seeded random (input, target) windows."""

    def __init__(self, text: str, block: int, seed: int):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.codes = np.array([self.stoi[c] for c in text], dtype=np.int64)
        self.block = block
        self.rng = np.random.default_rng(seed)

    @property
    def vocab(self) -> int:
        return len(self.chars)

    def batch(self, size: int):
        """``x, y`` of shape (size, block): ``y`` is ``x`` shifted by one."""
        starts = self.rng.integers(0, len(self.codes) - self.block - 1, size)
        idx = starts[:, None] + np.arange(self.block)
        return self.codes[idx], self.codes[idx + 1]

    def encode(self, s: str) -> list:
        return [self.stoi[c] for c in s]

    def decode(self, codes) -> str:
        return "".join(self.chars[int(i)] for i in codes)


# --------------------------------------------------------------------------
# the model, written once for either library
# --------------------------------------------------------------------------

def define_model(torch):
    """The model class, built from ``torch``'s names: pass ``autograd_c`` for
    ours, the real ``torch`` for PyTorch's twin."""
    nn = torch.nn
    F = torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, d_model, n_head):
            super().__init__()
            self.n_head = n_head
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.proj = nn.Linear(d_model, d_model)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            # (B, T, C) -> (B, heads, T, head size)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).reshape(B, T, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self, d_model, n_head):
            super().__init__()
            self.ln1 = nn.LayerNorm(d_model)
            self.attn = CausalSelfAttention(d_model, n_head)
            self.ln2 = nn.LayerNorm(d_model)
            self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(),
                                     nn.Linear(4 * d_model, d_model))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class CharTransformer(nn.Module):
        def __init__(self, vocab, block, d_model=64, n_head=4, n_layer=2):
            super().__init__()
            self.block = block
            self.tok = nn.Embedding(vocab, d_model)
            self.pos = nn.Embedding(block, d_model)
            self.blocks = nn.Sequential(*[Block(d_model, n_head) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            pos = torch.arange(T)
            x = self.tok(idx) + self.pos(pos)
            logits = self.head(self.ln_f(self.blocks(x)))
            if targets is None:
                return logits
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
            return logits, loss

    return CharTransformer


def make_optimizer(torch, model, steps, lr=3e-3, warmup=None):
    """AdamW; linear warmup over ``warmup`` steps, then cosine decay to 0."""
    warmup = max(1, steps // 10) if warmup is None else warmup
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=warmup),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps - warmup)),
    ], milestones=[warmup])
    return opt, sched


def train_step(torch, model, opt, sched, x, y, clip=1.0):
    """One step: forward, backward, clip the gradient norm, AdamW, schedule.
    Returns the loss and the gradient norm before clipping, as floats."""
    opt.zero_grad()
    _, loss = model(x, y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    sched.step()
    return loss.item(), norm.item()


def copy_state(src_model, dst_model, torch_dst) -> None:
    """Load ``src_model``'s parameters (either library) into ``dst_model``
    (library ``torch_dst``), through numpy."""
    # (our state_dict holds numpy arrays; torch's holds tensors)
    state = {k: torch_dst.tensor(np.array(v.detach().numpy() if hasattr(v, "detach") else v))
             for k, v in src_model.state_dict().items()}
    dst_model.load_state_dict(state)


@contextlib.contextmanager
def _nothing():
    yield


def generate(torch, model, data, prompt: str, n: int) -> str:
    """Greedy continuation of ``prompt`` by ``n`` characters."""
    model.eval()
    codes = data.encode(prompt)
    with torch.no_grad():
        for _ in range(n):
            idx = torch.tensor([codes[-model.block:]])
            logits = model(idx)
            codes.append(int(logits[0, -1].argmax()))
    model.train()
    return data.decode(codes)


# --------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------

def run(lib, name, data_args, steps, init_state, dtype, n_sample, engine=None):
    """Train library ``lib`` (``autograd_c`` under ``engine``, or torch) from
    ``init_state`` (a model of either library) for ``steps`` steps; returns
    the loss curve, the seconds per step and the model."""
    text, block, batch, seed, cfg = data_args
    data = CharData(text, block, seed)
    ctx = ag.use_engine(engine) if engine else _nothing()
    with ctx:
        lib.manual_seed(seed)
        model = define_model(lib)(data.vocab, block, **cfg).to(getattr(lib, dtype))
        copy_state(init_state, model, lib)
        opt, sched = make_optimizer(lib, model, steps)
        losses, times = [], []
        for _ in range(steps):
            x, y = data.batch(batch)
            t0 = time.perf_counter()
            loss, _ = train_step(lib, model, opt, sched, lib.tensor(x), lib.tensor(y))
            times.append(time.perf_counter() - t0)
            losses.append(loss)
        sample = generate(lib, model, data, "Beautiful is", n_sample)
    return {"name": name, "losses": losses, "times": times, "sample": sample, "model": model}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=None, help="steps (default 300, 60 with --quick)")
    ap.add_argument("--quick", action="store_true", help="few steps, for a smoke test")
    ap.add_argument("--every", type=int, default=None, help="print the loss every N steps")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--block", type=int, default=32, help="context length")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=120, help="characters to generate")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch twin")
    args = ap.parse_args(argv)
    steps = args.steps if args.steps is not None else (60 if args.quick else 300)
    every = args.every or max(1, steps // 10)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)       # tiny matrices: one BLAS thread, as torch below
    except ImportError:
        pass

    text = zen_text()
    cfg = {"d_model": 64, "n_head": 4, "n_layer": 2}
    data_args = (text, args.block, args.batch, args.seed, cfg)
    ag.manual_seed(args.seed)
    init = define_model(ag)(CharData(text, args.block, 0).vocab, args.block, **cfg)
    n_params = sum(p.numel() for p in init.parameters())
    print(f"text: the Zen of Python, {len(text)} characters, vocabulary "
          f"{CharData(text, 1, 0).vocab}; model: {n_params} parameters, {args.dtype}; "
          f"{steps} steps of batch {args.batch} x {args.block}")

    results = [run(ag, f"ag[{e}]", data_args, steps, init, args.dtype, args.sample,
                   engine=e)
               for e in ("c", "python") if e in ag.engines.available]
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("(torch not installed: no PyTorch column)")
        else:
            torch.set_num_threads(1)
            results.append(run(torch, "torch", data_args, steps, init, args.dtype,
                               args.sample))

    print()
    print(f"{'step':>5s}  " + "  ".join(f"{r['name']:>10s}" for r in results))
    for i in list(range(0, steps, every)) + ([steps - 1] if (steps - 1) % every else []):
        print(f"{i + 1:5d}  " + "  ".join(f"{r['losses'][i]:10.5f}" for r in results))
    print()
    print(f"{'':5s}  " + "  ".join(f"{r['name']:>10s}" for r in results))
    med = [float(np.median(r["times"][1:] or r["times"])) for r in results]
    print(f"{'ms/step (median)':>5s} " + "  ".join(f"{m * 1e3:10.3f}" for m in med))
    if results[-1]["name"] == "torch":
        print(f"{'x torch':>5s}  " + "  ".join(f"{m / med[-1]:10.2f}" for m in med))
    for r in results:
        print(f"\n{r['name']} greedy sample:\n{r['sample']}")
    if len(results) > 1:
        gap = max(abs(a - b) for r in results[1:]
                  for a, b in zip(results[0]["losses"], r["losses"]))
        print(f"\nlargest loss difference from {results[0]['name']}: {gap:.3g}"
              + (" (float32 rounding, amplified by training)" if args.dtype == "float32"
                 else ""))
    first, last = results[0]["losses"][0], np.mean(results[0]["losses"][-max(1, every):])
    print(f"loss {first:.4f} -> {last:.4f} (ln(vocab) = "
          f"{math.log(CharData(text, 1, 0).vocab):.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

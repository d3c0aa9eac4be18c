#!/usr/bin/env python3
"""PyTorch reference figures for `gru-examples bench --reference FILE` (run by hand, never by CI).

Measures, in the JSON-lines schema `bench --json` prints:
  * the machine: CPU, SIMD extensions, PyTorch and Python versions, and the BLAS PyTorch calls, with
    OpenBLAS's own configuration and the core it chose (openblas_get_corename), and the largest
    relative error of a float32 matmul against a float64 one (a wrong BLAS shows here);
  * training throughput (tokens/s of full training steps: forward over all time steps, softmax
    cross-entropy, backward, global-norm gradient clipping, SGD update) of
      (a) "torch-equations": the d2l GRU written from its equations (reset gate before the hidden
          matmul, cell "gru"), and
      (b) "torch-nn.GRU": torch.nn.GRU (reset gate after it, cell "gru-reset-after"),
    for the configurations tiny, d2l and large, float32 and float64, 1 and 2 threads;
    each figure is the median over timed repetitions after a warm-up;
  * matmul GFLOP/s at the shapes `bench --matmul` uses (MatmulBench.CASES): 1024² and the GRU's
    recurrent products at the d2l and large sizes, forward and backward forms. `bench --reference`
    prints no ratio where PyTorch's rate is under half of what OpenBLAS, called by jgrad on the
    same machine, reaches at the same shape.
With --serve it times one window of products or of training steps per request instead, for
`bench --paired-reference`, which alternates windows of the two sides so that both see the same machine speed.

OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when it loads; some machines set them for old
builds, which can make it pick a core a tenth as fast. This script runs itself again without them
(and says so on stderr), so the figures are PyTorch's at full speed on this machine. Where OpenBLAS does
not know the CPU and falls back to a core without AVX2, it sets the core that the CPU's extensions call
for instead (openblas_core.py), and the machine row's BLAS says so.

Debian's python3-torch calls whatever libblas.so.3 the system's alternatives point at; with only the
reference BLAS installed it is ten times slower. Install OpenBLAS (apt-get install libopenblas0-openmp)
first: the machine row and a warning say which BLAS ran.

peak_rss_mib is the process's VmHWM after the figure, so it includes everything run before it:
run `--config large` alone to read the peak of a large run.

Usage:  /usr/bin/python3 scripts/torch/bench_gru.py [--config tiny,d2l,large] [--dtype f32,f64]
            [--threads 1,2] [--impl torch-equations,torch-nn.GRU] [--seconds 3] [--warmup 1]
            [--repetitions 5] [--no-train] [--no-matmul] > torch.jsonl
        /usr/bin/python3 scripts/torch/bench_gru.py --serve   (started by bench --paired-reference)
"""
import os
import sys

_FORCING = [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ]
if _FORCING:
    print("bench_gru.py: running again without %s (it can force OpenBLAS onto a slower core)"
          % ", ".join("%s=%s" % (v, os.environ[v]) for v in _FORCING), file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if k not in _FORCING}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openblas_core  # noqa: E402  (it must set the core before torch loads OpenBLAS)

# A server's stderr is its client's, where a failed figure's first line is taken as its reason: its machine line says it instead.
CORE_NOTE = openblas_core.choose("bench_gru.py", say="--serve" not in sys.argv)

import argparse
import ctypes
import ctypes.util
import json
import platform
import statistics
import time

import torch
import torch.nn.functional as F

CONFIGS = {"tiny": (4, 2, 2, 3), "d2l": (28, 256, 32, 35), "large": (96, 512, 64, 64)}
# (name, m, k, n, trans_a, trans_b): op(A)[m×k]·op(B)[k×n], the same cases as MatmulBench.CASES.
MATMUL_CASES = [
    ("square 1024", 1024, 1024, 1024, False, False),
    ("d2l h·Wᵀ 32x256·(768x256)ᵀ", 32, 256, 768, False, True),
    ("d2l g·W 32x768·768x256", 32, 768, 256, False, False),
    ("d2l gᵀ·h (512x768)ᵀ·512x256", 768, 512, 256, True, False),
    ("large h·Wᵀ 64x512·(1536x512)ᵀ", 64, 512, 1536, False, True),
    ("large g·W 64x1536·1536x512", 64, 1536, 512, False, False),
    ("large gᵀ·h (512x1536)ᵀ·512x512", 1536, 512, 512, True, False),
]
NOTABLE_FLAGS = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16"]
LR = 1.0
MAX_NORM = 1.0


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def blas():
    """The BLAS PyTorch calls: OpenBLAS's configuration and core when it is OpenBLAS, else PyTorch's BLAS_INFO."""
    for name in ("libblas.so.3", "libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return "%s (core %s)" % (lib.openblas_get_config().decode().strip(), lib.openblas_get_corename().decode())
        except (OSError, AttributeError):
            continue
    info = [part for part in torch.__config__.show().split(",") if "BLAS_INFO" in part]
    return "not OpenBLAS (%s)" % (info[0].strip() if info else "unknown")


def matmul_check():
    """Largest relative error of a 256² float32 matmul against the float64 one, over |A|·|B|."""
    gen = torch.Generator().manual_seed(7)
    a = torch.randn(256, 256, dtype=torch.float64, generator=gen)
    b = torch.randn(256, 256, dtype=torch.float64, generator=gen)
    exact = a @ b
    got = (a.float() @ b.float()).double()
    return float(((got - exact).abs() / (a.abs() @ b.abs())).max())


def machine():
    first = {}   # each /proc/cpuinfo key's value for the first processor
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, colon, value = line.partition(":")
                if colon:
                    first.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    model = first.get("model name", "unknown")
    if "cpu family" in first:
        # The model name alone ("AMD EPYC") does not tell one generation from the next.
        model += " (family %s model %s stepping %s)" % (first["cpu family"], first.get("model", "?"), first.get("stepping", "?"))
    flags = set(first.get("flags", "").split())
    which = blas()
    err = matmul_check()
    if not which.startswith("OpenBLAS"):
        print("bench_gru.py: WARNING: PyTorch's BLAS is %s; install libopenblas0-openmp so that it runs at full speed" % which,
              file=sys.stderr)
    if not err < 1e-5:
        print("bench_gru.py: WARNING: a float32 matmul is off by %.3g relative to float64: the BLAS is wrong" % err, file=sys.stderr)
    return {"kind": "machine", "cores": os.cpu_count(), "cpu": model, "isa": [f for f in NOTABLE_FLAGS if f in flags],
            "runtime": "PyTorch %s, Python %s" % (torch.__version__, platform.python_version()), "blas": which + ("; " + CORE_NOTE if CORE_NOTE else ""),
            "matmul_check_max_rel_err": err}


class EquationGRU:
    """The d2l GRU from scratch: z, r gates, candidate with the reset before the hidden matmul."""

    def __init__(self, vocab, hidden, dtype, gen):
        def p(*shape, zero=False):
            t = torch.zeros(*shape, dtype=dtype) if zero else (torch.rand(*shape, dtype=dtype, generator=gen) * 2 - 1) / hidden ** 0.5
            return t.requires_grad_()

        self.params = []
        for _ in range(3):
            self.params += [p(vocab, hidden), p(hidden, hidden), p(hidden, zero=True)]
        self.params += [p(hidden, vocab), p(vocab, zero=True)]
        self.hidden = hidden

    def logits(self, x_onehot):  # x_onehot [T, B, V]
        w_xz, w_hz, b_z, w_xr, w_hr, b_r, w_xh, w_hh, b_h, w_hq, b_q = self.params
        h = torch.zeros(x_onehot.shape[1], self.hidden, dtype=x_onehot.dtype)
        outs = []
        for x in x_onehot:
            z = torch.sigmoid(x @ w_xz + h @ w_hz + b_z)
            r = torch.sigmoid(x @ w_xr + h @ w_hr + b_r)
            h_tilde = torch.tanh(x @ w_xh + (r * h) @ w_hh + b_h)
            h = z * h + (1 - z) * h_tilde
            outs.append(h)
        return torch.cat(outs, dim=0) @ w_hq + b_q


class TorchGRU:
    """torch.nn.GRU plus a linear output layer."""

    def __init__(self, vocab, hidden, dtype, gen):
        torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
        self.rnn = torch.nn.GRU(vocab, hidden).to(dtype)
        self.out = torch.nn.Linear(hidden, vocab).to(dtype)
        self.params = list(self.rnn.parameters()) + list(self.out.parameters())

    def logits(self, x_onehot):
        y, _ = self.rnn(x_onehot)
        return self.out(y.reshape(-1, y.shape[-1]))


def train_step(model, x_onehot, targets):
    loss = F.cross_entropy(model.logits(x_onehot), targets)
    loss.backward()
    with torch.no_grad():
        norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in model.params))
        scale = MAX_NORM / norm if norm > MAX_NORM else 1.0
        for p in model.params:
            p -= LR * scale * p.grad
            p.grad = None
    return float(loss)


class Trainer:
    """One model of an implementation at a configuration and dtype, its minibatch, and its last loss."""

    def __init__(self, impl, name, dtype_name, seed):
        vocab, hidden, self.batch, self.steps = CONFIGS[name]
        dtype = torch.float32 if dtype_name == "f32" else torch.float64
        gen = torch.Generator().manual_seed(seed)
        self.model = EquationGRU(vocab, hidden, dtype, gen) if impl == "torch-equations" else TorchGRU(vocab, hidden, dtype, gen)
        tokens = torch.randint(0, vocab, (self.steps, self.batch), generator=gen)
        self.targets = torch.randint(0, vocab, (self.steps * self.batch,), generator=gen)
        # One-hot inputs as d2l builds them (time-major [T, B, V]); built once, outside the timing.
        self.x = F.one_hot(tokens, vocab).to(dtype)
        self.loss = train_step(self.model, self.x, self.targets)

    def run(self, seconds):
        """Steps for `seconds` (at least one): how many, and the tokens per second they ran at."""
        start = time.perf_counter()
        n = 0
        while True:
            self.loss = train_step(self.model, self.x, self.targets)
            n += 1
            now = time.perf_counter()
            if now - start >= seconds:
                return n, n * self.batch * self.steps / (now - start)


def train_figure(impl, name, dtype_name, threads, rates, steps, loss):
    return {"kind": "train", "impl": impl, "config": name,
            "cell": "gru" if impl == "torch-equations" else "gru-reset-after", "dtype": dtype_name, "threads": threads,
            "tokens_per_second": statistics.median(rates), "min_tokens_per_second": min(rates),
            "max_tokens_per_second": max(rates), "repetitions": len(rates), "steps": steps, "loss": loss,
            "peak_rss_mib": peak_rss_mib()}


def bench_train(impl, name, dtype_name, threads, args):
    torch.set_num_threads(threads)
    trainer = Trainer(impl, name, dtype_name, args.seed)
    trainer.run(args.warmup)
    rates = []
    total = 0
    for _ in range(args.repetitions):
        n, rate = trainer.run(args.seconds / args.repetitions)
        total += n
        rates.append(rate)
    return train_figure(impl, name, dtype_name, threads, rates, total, trainer.loss)


def matmul_operands(case, dtype_name, seed):
    """op(A) and op(B) of a case: random, each stored transposed where the case says, as MatmulBench.operands."""
    name, m, k, n, ta, tb = case
    dtype = torch.float32 if dtype_name == "f32" else torch.float64
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(*((k, m) if ta else (m, k)), dtype=dtype, generator=gen)
    b = torch.randn(*((n, k) if tb else (k, n)), dtype=dtype, generator=gen)
    return (a.t() if ta else a), (b.t() if tb else b)


def seconds_per_call(op_a, op_b, seconds):
    """Seconds per product, over products repeated for `seconds` (at least one)."""
    start = time.perf_counter()
    calls = 0
    while True:
        torch.matmul(op_a, op_b)
        calls += 1
        now = time.perf_counter()
        if now - start >= seconds:
            return (now - start) / calls


def matmul_figure(case, dtype_name, threads, seconds_each):
    name, m, k, n, ta, tb = case
    return {"kind": "matmul", "impl": "torch", "shape": name, "m": m, "k": k, "n": n, "trans_a": ta, "trans_b": tb,
            "dtype": dtype_name, "threads": threads, "gflops": 2.0 * m * n * k / statistics.median(seconds_each) / 1e9}


def bench_matmul(case, dtype_name, threads, args):
    torch.set_num_threads(threads)
    op_a, op_b = matmul_operands(case, dtype_name, args.seed)
    seconds_per_call(op_a, op_b, args.warmup)
    secs = [seconds_per_call(op_a, op_b, args.seconds / args.repetitions) for _ in range(args.repetitions)]
    return matmul_figure(case, dtype_name, threads, secs)


def serve(args):
    """`bench --paired-reference`'s peer: the machine line, then one figure per request line, timed over the
    window it names, so that the two sides' windows can alternate. A request is either a product,
    {"kind": "matmul", "shape", "m", "k", "n", "trans_a", "trans_b", "dtype", "threads", "warmup", "seconds"},
    or training steps, {"kind": "train", "impl", "config", "dtype", "threads", "warmup", "seconds"}; the operands
    or the model are kept while requests name the same ones, so later windows need no warm-up."""
    print(json.dumps(machine()), flush=True)
    key = None   # what the kept operands (op_a, op_b) or model (trainer) are for
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        torch.set_num_threads(req["threads"])
        if req["kind"] == "train":
            if req["impl"] not in ("torch-equations", "torch-nn.GRU") or req["config"] not in CONFIGS:
                sys.exit("bench_gru.py: cannot serve %r: the impl must be torch-equations or torch-nn.GRU, the config one of %s"
                         % (line.strip(), ", ".join(CONFIGS)))
            if key != ("train", req["impl"], req["config"], req["dtype"]):
                key = ("train", req["impl"], req["config"], req["dtype"])
                trainer = Trainer(req["impl"], req["config"], req["dtype"], args.seed)
            if req["warmup"] > 0:
                trainer.run(req["warmup"])
            steps, rate = trainer.run(req["seconds"])
            print(json.dumps(train_figure(req["impl"], req["config"], req["dtype"], req["threads"], [rate], steps, trainer.loss)),
                  flush=True)
            continue
        case = (req["shape"], req["m"], req["k"], req["n"], req["trans_a"], req["trans_b"])
        if key != ("matmul", case, req["dtype"]):
            key = ("matmul", case, req["dtype"])
            op_a, op_b = matmul_operands(case, req["dtype"], args.seed)
        if req["warmup"] > 0:
            seconds_per_call(op_a, op_b, req["warmup"])
        print(json.dumps(matmul_figure(case, req["dtype"], req["threads"], [seconds_per_call(op_a, op_b, req["seconds"])])), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="tiny,d2l,large")
    ap.add_argument("--impl", default="torch-equations,torch-nn.GRU")
    ap.add_argument("--dtype", default="f32,f64")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per figure, split over the repetitions")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-matmul", action="store_true")
    ap.add_argument("--serve", action="store_true",
                    help="answer bench --paired-reference's requests on stdin instead (see serve)")
    args = ap.parse_args()
    if args.serve:
        serve(args)
        return
    for c in args.config.split(","):
        if c not in CONFIGS:
            ap.error("unknown config %r; known: %s" % (c, ", ".join(CONFIGS)))
    print(json.dumps(machine()), flush=True)
    threads = [int(t) for t in args.threads.split(",")]
    dtypes = args.dtype.split(",")
    if not args.no_train:
        for name in args.config.split(","):
            for impl in args.impl.split(","):
                for dt in dtypes:
                    for t in threads:
                        print(json.dumps(bench_train(impl, name, dt, t, args)), flush=True)
    if not args.no_matmul:
        for case in MATMUL_CASES:
            for dt in dtypes:
                for t in threads:
                    print(json.dumps(bench_matmul(case, dt, t, args)), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch's own GEMM roofline for a training step of torch.nn.GRU, by the definition `bench` prints for ours.

The roofline of a step is the time its matrix products would take alone over the time the step takes: every
product a step runs (aten::mm, addmm and bmm, forward and backward, caught by a dispatch mode during one step) is
timed alone, repeated on operands of its shapes, dtype and layout (a transposed operand stays a transposed view),
and the sum over the step's calls is divided by the median time of a step. This is the figure issue 10's goal of
85% is set against for jgrad; the issue puts PyTorch at about 70% at the large configuration.

Like bench_gru.py (whose model, step and OpenBLAS set-up it reuses), it runs itself again without
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, and prints the machine and the BLAS that ran.

Usage:  /usr/bin/python3 scripts/torch/roofline_gru.py [--config large] [--dtype f32,f64] [--threads 1]
            [--seconds 6] [--warmup 3] [--repetitions 5]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gru  # noqa: E402  (re-runs without OPENBLAS_* and sets OpenBLAS's core before torch loads)

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402

import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

PRODUCTS = {torch.ops.aten.mm.default, torch.ops.aten.addmm.default, torch.ops.aten.bmm.default}


class Products(TorchDispatchMode):
    """Counts each distinct product a body runs: its op, its operands' shapes and strides, and its dtype."""

    def __init__(self):
        super().__init__()
        self.calls = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in PRODUCTS:
            operands = args[1:3] if func is torch.ops.aten.addmm.default else args[:2]
            self.calls[(func, tuple((tuple(t.shape), tuple(t.stride())) for t in operands), operands[0].dtype)] += 1
        return func(*args, **(kwargs or {}))


def operand(shape, stride, dtype):
    """A random tensor of this shape and stride: a transposed view where the stride says so."""
    if len(shape) == 2 and stride[0] == 1 and shape[0] > 1:
        return torch.randn(shape[1], shape[0], dtype=dtype).t()
    return torch.randn(*shape, dtype=dtype)


def seconds_alone(product, seconds, repetitions):
    """The median seconds per call of one product on operands like the step's, over `repetitions` windows."""
    _, operands, dtype = product
    a, b = (operand(shape, stride, dtype) for shape, stride in operands)
    # torch.matmul runs mm on matrices and bmm on batches of them, the products the step ran.
    return statistics.median(bench_gru.seconds_per_call(a, b, seconds / repetitions) for _ in range(repetitions))


def flops(product):
    _, ((sa, _), (sb, _)), _ = product
    return 2.0 * (sa[0] if len(sa) == 3 else 1) * sa[-2] * sa[-1] * sb[-1]


def roofline(config, dtype_name, threads, args):
    torch.set_num_threads(threads)
    trainer = bench_gru.Trainer("torch-nn.GRU", config, dtype_name, args.seed)
    trainer.run(args.warmup)
    with Products() as traced:
        bench_gru.train_step(trainer.model, trainer.x, trainer.targets)
    step_seconds = []
    for _ in range(args.repetitions):
        n, rate = trainer.run(args.seconds / args.repetitions)
        step_seconds.append(trainer.batch * trainer.steps / rate)
    step = statistics.median(step_seconds)
    in_products = 0.0
    total_flops = 0.0
    for product, calls in traced.calls.items():
        in_products += calls * seconds_alone(product, args.product_seconds, args.repetitions)
        total_flops += calls * flops(product)
    return {"kind": "roofline", "impl": "torch-nn.GRU", "config": config, "cell": "gru-reset-after", "dtype": dtype_name,
            "threads": threads, "step_ms": step * 1e3, "products_alone_ms": in_products * 1e3,
            "roofline": in_products / step, "gflop_per_step": total_flops / 1e9,
            "distinct_products": len(traced.calls), "product_calls": sum(traced.calls.values())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="large")
    ap.add_argument("--dtype", default="f32,f64")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--seconds", type=float, default=6.0, help="timed seconds of training steps, split over the repetitions")
    ap.add_argument("--product-seconds", type=float, default=0.5, help="timed seconds per distinct product")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(json.dumps(bench_gru.machine()), flush=True)
    for config in args.config.split(","):
        for dt in args.dtype.split(","):
            for t in (int(x) for x in args.threads.split(",")):
                print(json.dumps(roofline(config, dt, t, args)), flush=True)


if __name__ == "__main__":
    main()

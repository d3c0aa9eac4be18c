#!/usr/bin/env python3
"""Projects synchronous data-parallel throughput of jgrad-spark to N executors from measured figures.

Usage: scripts/spark/scale.py            (prints the markdown tables of docs/spark-scale.md)

The inputs below are the measured figures quoted in docs/spark-scale.md; change them there and here
together. The model (weak scaling: every executor keeps the configuration's batch) is

  t_step(N) = t_compute + t_fixed + t_launch * N * stages + t_broadcast + t_aggregate(N)
  t_compute = b * T / r1                     one executor's share of the step, at the single-process rate r1
  t_broadcast = 2 * W / bw                   TorrentBroadcast: about two transfers of the weights W on the critical path
  t_aggregate(N), depth d: d * ceil(N ** (1/d)) * W / bw   each level's receiver takes ~N^(1/d) partials
  sharded all-reduce (BigDL): 2 * W / bw, plus a second job per step (twice t_fixed and the launches)
  local SGD (--average-every k): the tree's exchange once per k steps

and efficiency = t_compute / t_step(N), throughput = N * b * T / t_step(N).
"""
import math

# Measured on the 2-core machine (docs/spark.md, "Speed"); see docs/spark-scale.md.
CONFIGS = {
    # name: (sequences b, steps T, parameters, r1 tokens/s of train on one thread at batch b,
    #        t_fixed s: measured cost per step beyond the slowest task on the two-worker cluster, update included)
    "d2l": (32, 35, 226_844, 28_364, 0.145),
    "large": (64, 64, 986_208, 10_705, 0.216),
}
T_LAUNCH = 0.0005   # s per task launched by the driver (assumption; see the document)
AVERAGE_EVERY = 8   # local SGD: one exchange (weights and plain-SGD state) per this many steps
NETWORKS = {"10 Gb/s": 10e9 / 8, "25 Gb/s": 25e9 / 8}
EXECUTORS = [8, 64, 256]


def step_time(b, t, params, r1, fixed, n, bw, depth=2, allreduce=False):
    w = 4 * params  # float32 weights and gradients travel as float32
    compute = b * t / r1
    if allreduce:
        return compute + 2 * fixed + T_LAUNCH * n * 2 + 2 * w / bw + 2 * w / bw
    aggregate = depth * math.ceil(n ** (1 / depth)) * w / bw
    return compute + fixed + T_LAUNCH * n * depth + 2 * w / bw + aggregate


def main():
    for name, (b, t, params, r1, fixed) in CONFIGS.items():
        print(f"\n{name}: {b} sequences x {t} steps per executor, {params:,} parameters "
              f"({4 * params / 1e6:.2f} MB in float32), {r1:,.0f} tokens/s on one core, {fixed * 1e3:.0f} ms fixed per step")
        print(f"\n| executors | network | tree, depth 2: step | efficiency | tokens/s | sharded all-reduce: step | efficiency | "
              f"tokens/s | local SGD every {AVERAGE_EVERY}: efficiency | tokens/s |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n in EXECUTORS:
            for net, bw in NETWORKS.items():
                s2 = step_time(b, t, params, r1, fixed, n, bw)
                sa = step_time(b, t, params, r1, fixed, n, bw, allreduce=True)
                c = b * t / r1
                sl = c + (s2 - c) / AVERAGE_EVERY
                print(f"| {n} | {net} | {s2 * 1e3:,.0f} ms | {c / s2:.0%} | {n * b * t / s2:,.0f} | "
                      f"{sa * 1e3:,.0f} ms | {c / sa:.0%} | {n * b * t / sa:,.0f} | {c / sl:.0%} | {n * b * t / sl:,.0f} |")


if __name__ == "__main__":
    main()

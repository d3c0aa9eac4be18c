#!/usr/bin/env python3
"""Training ratios against PyTorch's nn.GRU from rounds that alternate the two sides (run by hand, never by CI).

    python3 scripts/bench/paired_train.py [--rounds 5] [--configs d2l,large] [--dtypes f32,f64] [--seconds 3] [--out DIR]

Either side's one-thread figure moved by up to a fifth between two runs of performance.sh on one machine
(docs/measurements/2026-12-03/ and run57/), so the ratio from one run can fall on either side of a goal.
Here each round measures, for each configuration and dtype, PyTorch's figure and ours (both GRU variants, each in a fresh JVM) back to back, the
side that goes first alternating from round to round; every ratio compares two figures taken a minute apart,
and the summary gives each round's ratio, their median and each side's median. One thread on both sides.
PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, and its products are timed once first, so the
summary shows the core OpenBLAS chose and the GEMM rate beside the ratios.

Writes paired-train.jsonl (every figure, with its round) and paired-train.txt (the summary) into --out, by
default docs/measurements/DATE/. Needs Debian's python3-torch and libopenblas0-openmp (scripts/torch/README.md).
Plain Python 3.

    python3 scripts/bench/paired_train.py --summarise RUN.jsonl [RUN.jsonl ...]

prints the summary of the rounds of several runs taken together, measuring nothing.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CELLS = ("gru", "gru-reset-after")


def torch_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def json_lines(cmd, env=None):
    """The JSON objects a command prints, one per line; its other output (tables, warnings) is dropped."""
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit("paired_train: %s failed (exit %d): %s" % (" ".join(cmd), done.returncode, done.stderr.strip()[-500:]))
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def torch_cmd(args, *extra):
    return ["/usr/bin/python3", "scripts/torch/bench_gru.py", "--impl", "torch-nn.GRU", "--threads", "1",
            "--seconds", str(args.seconds), "--warmup", str(args.warmup)] + list(extra)


def ours_cmd(args, config, dtype):
    return ["./gru-examples", "bench", "--json", "--config", config, "--cell", ",".join(CELLS), "--dtype", dtype,
            "--threads", "1", "--seconds", str(args.seconds), "--warmup", str(args.warmup)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--configs", default="d2l,large")
    p.add_argument("--dtypes", default="f32,f64")
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--out", help="folder for paired-train.jsonl and .txt (default docs/measurements/DATE)")
    p.add_argument("--summarise", nargs="+", metavar="RUN.jsonl", help="pool the rounds of these runs; measures nothing")
    args = p.parse_args()
    if args.summarise:
        records = []
        for n, path in enumerate(args.summarise):
            with open(path, encoding="utf-8") as f:
                # A round is identified by its run and its number, so that rounds of different runs stay apart.
                records += [dict(r, round=(n, r["round"])) for r in map(json.loads, f)]
        print("# python3 scripts/bench/paired_train.py --summarise " + " ".join(args.summarise))
        print(summarise(records, None), end="")
        return
    out = args.out or os.path.join(ROOT, "docs", "measurements", datetime.date.today().isoformat())
    os.makedirs(out, exist_ok=True)
    subprocess.run(["./gru-examples", "--version"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # builds the jar first

    records = []
    machine = json_lines(torch_cmd(args, "--no-train", "--dtype", "f32,f64"), torch_env())
    records += [dict(r, round=0) for r in machine]
    for rnd in range(1, args.rounds + 1):
        for config in args.configs.split(","):
            for dtype in args.dtypes.split(","):
                theirs = lambda: json_lines(torch_cmd(args, "--no-matmul", "--config", config, "--dtype", dtype), torch_env())
                ours = lambda: json_lines(ours_cmd(args, config, dtype))
                first, second = (theirs, ours) if rnd % 2 else (ours, theirs)
                got = first() + second()
                records += [dict(r, round=rnd) for r in got if r.get("kind") == "train"]
                if rnd == 1:
                    records += [dict(r, round=rnd) for r in got if r.get("kind") == "machine"]
                print("round %d %s %s: %s" % (rnd, config, dtype, ", ".join(
                    "%s %s %.0f" % (r["impl"], r["cell"], r["tokens_per_second"]) for r in got if r.get("kind") == "train")),
                    file=sys.stderr, flush=True)
    with open(os.path.join(out, "paired-train.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    summary = summarise(records, args)
    with open(os.path.join(out, "paired-train.txt"), "w", encoding="utf-8") as f:
        f.write(summary)
    print(summary, end="")


def summarise(records, args):
    """The summary of a run's records (with args, its command line first), or of several runs' (args None)."""
    lines = [] if args is None else ["# python3 scripts/bench/paired_train.py --rounds %d --configs %s --dtypes %s --seconds %g --warmup %g"
                                     % (args.rounds, args.configs, args.dtypes, args.seconds, args.warmup)
                                     + (" --out " + args.out if args.out else "")]
    seen = set()
    for r in records:
        if r.get("kind") == "machine":
            facts = json.dumps({k: v for k, v in r.items() if k not in ("kind", "round")})
            if facts not in seen:
                seen.add(facts)
                lines.append("# %s: %s" % ("PyTorch" if r["runtime"].startswith("PyTorch") else "jgrad", facts))
    runs = []   # one list of PyTorch's one-thread matmul rates per run (a pooled record's round is (run, round))
    for r in records:
        if r.get("kind") == "matmul" and r["threads"] == 1:
            run = r["round"][0] if isinstance(r["round"], tuple) else 0
            while len(runs) <= run:
                runs.append([])
            runs[run].append("%s %s %.1f" % (r["shape"], r["dtype"], r["gflops"]))
    for n, rates in enumerate(runs):
        lines.append("# PyTorch's matmul, one thread, GFLOP/s%s: %s" % (" (run %d)" % (n + 1) if len(runs) > 1 else "", "; ".join(rates)))
    lines.append("# ratio: ours / PyTorch nn.GRU in the same round; median over rounds (each side's median tokens/s)")
    train = [r for r in records if r.get("kind") == "train"]
    keys = sorted({(r["config"], r["dtype"]) for r in train}, key=lambda k: (["tiny", "d2l", "large"].index(k[0]), k[1]))
    for config, dtype in keys:
        theirs = {r["round"]: r["tokens_per_second"] for r in train
                  if r["impl"] != "jgrad" and r["config"] == config and r["dtype"] == dtype}
        for cell in CELLS:
            ours = {r["round"]: r["tokens_per_second"] for r in train
                    if r["impl"] == "jgrad" and r["cell"] == cell and r["config"] == config and r["dtype"] == dtype}
            rounds = sorted(set(ours) & set(theirs))
            if not rounds:
                continue
            ratios = [ours[k] / theirs[k] for k in rounds]
            lines.append("%-6s %-4s %-16s median %.3fx  rounds %s  (ours %.0f, nn.GRU %.0f tokens/s)" % (
                config, dtype, cell, statistics.median(ratios), " ".join("%.2f" % x for x in ratios),
                statistics.median(ours[k] for k in rounds), statistics.median(theirs[k] for k in rounds)))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

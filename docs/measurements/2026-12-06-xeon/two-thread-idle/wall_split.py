"""Where the two threads of a split-kernel training step spend their time, from an async-profiler wall-clock
profile in collapsed form (event=wall: every thread sampled, running or not). The calling thread's samples under
the two-thread step (NnLanguageModel, not trainStepOnOneThread) are cut into its own blocks of split kernels, waits
for the worker's block, joins of started work, and the rest, which runs on it alone; the worker's (jgrad-kernel,
Parallelism$Worker.run) into busy, spinning and parked. The worker's parked samples include bench's one-thread
windows, during which it has nothing to do; those are subtracted as the main thread's samples in them.

    python3 wall_split.py wall-CELL.txt
"""
import collections
import sys


def short(frame):
    parts = frame.split('(')[0].replace('/', '.').split('.')
    return '.'.join(parts[-2:])


c = collections.Counter()
serial = collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rsplit(' ', 1)
    n = int(n)
    fr = [short(f) for f in stack.split(';')]
    if 'Parallelism$Worker.run' in fr:
        rest = fr[fr.index('Parallelism$Worker.run') + 1:]
        state = 'parked' if 'LockSupport.park' in rest else 'busy' if any('lambda' in f or 'Background' in f for f in rest) else 'spin'
        c['worker ' + state] += n
        continue
    if 'Main.main' not in fr:
        continue
    if 'NnLanguageModel.trainStepOnOneThread' in fr:
        c['one-thread windows'] += n
        continue
    if not any(f.startswith('NnLanguageModel') for f in fr):
        continue
    c['two-thread step'] += n
    if 'Parallelism$Worker.await' in fr:
        c['await'] += n
    elif 'Parallelism$Started.join' in fr:
        c['join'] += n
    elif 'Parallelism.run' in fr:
        c['split'] += n
    else:
        c['serial'] += n
        ops = [f for f in fr if f.startswith(('Kernels.', 'OneHotProducts.', 'VectorGemm.', 'Tape.', 'Tensor.', 'Unrolled',
                                             'GradientAccumulator.', 'Gemm.'))]
        serial[ops[-1] if ops else fr[-1]] += n
t = c['two-thread step']
print(f"calling thread, of its {t} samples under the two-thread step:")
for k, what in [('split', 'split kernels: its own blocks, or every block while the worker runs started work'), ('await', "waiting for the worker's block"),
                ('join', 'joining started work'), ('serial', 'ops that run on it alone')]:
    print(f"  {100 * c[k] / t:5.1f}%  {what}")
print('  alone, by innermost frame: ' + ', '.join(f'{k} {100 * v / t:.1f}%' for k, v in serial.most_common(10)))
parked = c['worker parked'] - c['one-thread windows']
print(f"worker, against the same samples (estimates): busy {100 * c['worker busy'] / t:.0f}%, "
      f"spinning {100 * c['worker spin'] / t:.0f}%, parked {100 * parked / t:.0f}%")

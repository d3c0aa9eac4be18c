"""Shares of a training step's itimer samples by kind of work, from async-profiler's collapsed stacks.

Usage: python3 step_shares.py PROFILE.collapsed [...]

Only samples under NnLanguageModel.step count. Each sample goes to the first kind, in this order, that one of
its frames names: matrix products (under Gemm.timed, or Gemm.stacked since f05c935: the code the bench's in-GEMM clock times), one-hot products
(OneHotProducts), the gradient totals' stacking of their pending factors (Kernels.concat under
GradientAccumulator.flush), the optimizer (OptimizerState.step), gradient clipping (GradientClipping), then
elementwise kernels by the innermost jgrad frame (VectorLoops, Transcendentals, Kernels' elementwise, sums and
copies), and the rest: the tape and op bookkeeping.
"""
import collections
import sys

ELEMENTWISE = ('VectorLoops.', 'Transcendentals.', 'Kernels.binary', 'Kernels.unary', 'Kernels.lerp', 'Kernels.addInPlace',
               'Kernels.sumTo', 'Kernels.sumLeadingBlocks', 'Kernels.repeatedBlockRuns', 'Kernels.shiftedExps',
               'Kernels.softmax', 'Kernels.crossEntropy', 'Kernels.byRows', 'Kernels.sumOfSquares', 'Kernels.addInto',
               'Kernels.scaled', 'Kernels.zeroInto', 'Kernels.tanhGrad', 'Kernels.sigmoidGrad', 'Kernels.rowSum')
COPIES = ('Kernels.copyBlocks', 'Kernels.concat', 'Kernels.slice', 'Kernels.copyInto', 'Kernels.copyHotBlocks',
          'Tensor.widenInto', 'Kernels.oneHot', 'Kernels.permute')


def kind(frames):
    names = [f.rsplit('/', 1)[-1].replace('_[j]', '').replace('_[i]', '') for f in frames]
    if any(n.startswith(('Gemm.timed', 'Gemm.stacked', 'Gemm.lambda$stacked')) for n in names):
        return 'matrix products (in the in-GEMM clock)'
    if any(n.startswith('OneHotProducts.') for n in names):
        return 'one-hot products (gathers, scatter-adds)'
    for i, n in enumerate(names):
        if n.startswith('Kernels.concat') and i > 0 and names[i - 1].startswith('GradientAccumulator.flush'):
            return 'stacking pending gradient factors'
    if any(n.startswith('OptimizerState.step') for n in names):
        return 'optimizer'
    if any(n.startswith('GradientClipping.') for n in names):
        return 'gradient clipping'
    jgrad = [n for f, n in zip(frames, names) if 'dev/jgrad' in f or 'dev.jgrad' in f]
    inner = jgrad[-1] if jgrad else names[-1]
    if inner.startswith(ELEMENTWISE):
        return 'elementwise passes, sums, softmax'
    if inner.startswith(COPIES):
        return 'copies (slices, concats, widening)'
    return 'the rest (tape, ops, allocation)'


for path in sys.argv[1:]:
    shares = collections.Counter()
    total = 0
    for line in open(path):
        stack, n = line.rsplit(' ', 1)
        frames = stack.split(';')
        if not any('NnLanguageModel.step' in f for f in frames):
            continue
        n = int(n)
        total += n
        shares[kind(frames)] += n
    print(f'{path}: {total} samples under the training step')
    for k, n in shares.most_common():
        print(f'  {100 * n / total:5.1f}%  {k}')

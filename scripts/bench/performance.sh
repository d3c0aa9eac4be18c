#!/bin/sh
# Regenerates the README's performance figures on this machine, one command at a time, into
# docs/measurements/DATE/ (run by hand, never by CI; needs Debian's python3-torch and
# libopenblas0-openmp for the PyTorch side, see scripts/torch/README.md).
#
#   scripts/bench/performance.sh [SECONDS [DIR]]   # timed seconds per figure, default 3; DIR instead of
#                                                  # docs/measurements/DATE, for a second run the same day
#
# Both sides run with one thread and then two (jgrad's two threads both ways, right after its one-thread
# figure: kernels split over two threads, whose JVM also times the same model on one thread in windows between
# its own, and the minibatch split into two shards); PyTorch runs with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset (bench_gru.py also clears them itself). jgrad runs through ./gru-examples,
# so at the launcher's default JVM options; each of its training figures runs in a fresh JVM.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-3}
# Warm-up seconds of each figure, both sides: one left a two-shard step's rate, and the first product of a
# fresh JVM, still climbing (docs/measurements/2026-12-02/bench-trace-after.txt, paired-matmul.txt).
warmup=3
out=${2:-docs/measurements/$(date +%Y-%m-%d)}
mkdir -p "$out"
./gru-examples --version >/dev/null   # builds the jar if needed, before anything is timed
{ uptime; lscpu | grep -E 'Model name|^CPU\(s\)|CPU family|^Model:|Stepping|L2 cache|L3 cache|Flags'; env | grep '^OPENBLAS_' || true; } > "$out/machine.txt"

torch() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/torch/bench_gru.py --impl torch-nn.GRU \
      --dtype f32,f64 --threads 1,2 --seconds "$seconds" "$@"
}
# PyTorch's machine and products first, timed on their own, for the record.
: > "$out/stderr.txt"   # the bench's standard error: a figure whose JVM failed says why here
torch --no-train > "$out/torch.jsonl"
# Then every comparison in windows alternating with PyTorch's, a second apart (bench_gru.py serving them), so
# that both sides of a ratio see the same machine speed: on a shared VM either side's speed can move by half
# from one minute to the next. Before a dtype's and thread count's first training ratio, bench asks PyTorch
# for its products and prints them, and gives no ratio if they ran at under half of OpenBLAS's rate here.
serve="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/torch/bench_gru.py --serve"
# Each paired training figure over fifteen rounds of SECONDS/5 a window a side: a single round's ratio can be twice
# another's on a shared VM, and the median of fifteen moves less than the median of five
# (docs/measurements/2026-12-06-xeon/paired-rounds/).
paired_train="--seconds $(awk "BEGIN { print $seconds * 3 }") --repetitions 15 --warmup $warmup --paired-reference"
./gru-examples bench --matmul --dtype f32,f64 --threads 1,2 --seconds 1.5 --warmup "$warmup" --paired-reference "$serve" \
    2>>"$out/stderr.txt" | tee "$out/jgrad-matmul.txt"
: > "$out/jgrad-train.txt"
# Two threads both ways beside each one-thread figure: the kernels split over two threads, and each
# minibatch split into two shards, one per thread (DataParallel); tiny's batch of 2 only the first way.
for config in tiny d2l large; do
  split=kernels,shards
  [ "$config" = tiny ] && split=kernels
  ./gru-examples bench --config "$config" --cell gru,gru-reset-after --dtype f32,f64 --threads 1,2 --split "$split" \
      $paired_train "$serve" 2>>"$out/stderr.txt" | tee -a "$out/jgrad-train.txt"
done
# The same training figures on the pure-Java kernel (the fallback where no native library loads).
./gru-examples bench --config tiny,d2l,large --cell gru,gru-reset-after --dtype f32,f64 --threads 1 --blas java \
    --seconds "$seconds" --warmup "$warmup" 2>>"$out/stderr.txt" | tee "$out/jgrad-train-java.txt"
# Where a system OpenBLAS is installed (Debian's, which PyTorch uses here): the same products and
# one-thread training on it, to tell the bundled build's speed from jgrad's own costs; it runs without
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE like PyTorch, since a system OpenBLAS obeys them, and on the
# core bench_gru.py gives PyTorch where that OpenBLAS does not know the CPU (scripts/torch/openblas_core.py).
if [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ]; then
  . ./.mvn/java-options.sh
  system="-Djgrad.blas.library=system $jgrad_java_opts"
  core=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/torch/openblas_core.py)
  sysenv="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${core:+OPENBLAS_CORETYPE=$core}"
  JGRAD_JAVA_OPTS="$system" $sysenv ./gru-examples bench --matmul --dtype f32,f64 --threads 1 --seconds 1.5 \
      --warmup "$warmup" --paired-reference "$serve" 2>>"$out/stderr.txt" | tee "$out/jgrad-matmul-system-openblas.txt"
  JGRAD_JAVA_OPTS="$system" $sysenv ./gru-examples bench --config d2l,large --cell gru,gru-reset-after --dtype f32,f64 --threads 1 \
      $paired_train "$serve" 2>>"$out/stderr.txt" | tee "$out/jgrad-train-system-openblas.txt"
fi
uptime >> "$out/machine.txt"
# A figure whose JVM failed gets a 'failed' row, and the bench lists the reasons on standard error and goes on:
# say so at the end, where a row in the middle of a long run is easy to miss.
# What counts as a message is what FreshJvm.reason takes from a child: neither blank nor a JVM warning.
said=$(grep -v -e '^WARNING' -e '^[[:space:]]*$' "$out/stderr.txt" || true)
if [ -n "$said" ]; then
  printf 'performance.sh: some figures are missing; the bench said:\n%s\n' "$said" >&2
  exit 1
fi

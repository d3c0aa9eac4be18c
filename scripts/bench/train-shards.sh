#!/bin/sh
# ./gru-examples train on both cores with the kernels split (--shards 1, the default) and with each
# minibatch split into two shards (--shards 2), alternating ROUNDS times (default 3): the main job
# (the README's first command) and the d2l-size model of the README's side-by-side run for 100 epochs.
# Each line gives the run's own training time, its last epoch's tokens/s, the wall time with start-up
# and the peak RSS. Run by hand with the machine to itself; writes DIR/train-shards.txt.
#
#   scripts/bench/train-shards.sh [ROUNDS [DIR]]   # DIR instead of docs/measurements/DATE, for a second
#                                                  # run the same day
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
out=${2:-docs/measurements/$(date +%Y-%m-%d)}
mkdir -p "$out"
./gru-examples --version >/dev/null 2>&1   # builds the jar if needed, before anything is timed
main="--no-checkpoint"
d2l="--corpus data/timemachine.txt --d2l-text --max-tokens 10000 --hidden 256 --batch 32 --steps 35 --lr 1 --clip 1 \
--optimizer sgd --init d2l --epochs 100 --no-checkpoint"
{
  echo "# scripts/bench/train-shards.sh $rounds at $(git rev-parse --short HEAD)"
  lscpu | grep -E 'Model name|CPU family|^Model:|Stepping|^CPU\(s\)'
  echo "# main = ./gru-examples train $main"
  echo "# d2l  = ./gru-examples train $d2l"
  uptime
  for r in $(seq "$rounds"); do
    for job in main d2l; do
      for s in 1 2; do
        eval "args=\$$job"
        # shellcheck disable=SC2086 # the options are a list of words
        /usr/bin/time -f "wall %e s, peak %M KiB" ./gru-examples train $args --shards "$s" > /tmp/train-shards.$$ 2>&1
        done_line=$(grep '^done:' /tmp/train-shards.$$ | sed 's/^done: //')
        last=$(grep '^epoch' /tmp/train-shards.$$ | tail -1 | grep -o '[0-9,]* tok/s')
        wall=$(tail -1 /tmp/train-shards.$$)
        echo "round $r $job --shards $s: $done_line; last epoch $last; $wall"
      done
    done
  done
  rm -f /tmp/train-shards.$$
  uptime
} | tee "$out/train-shards.txt"

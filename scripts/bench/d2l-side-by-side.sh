#!/bin/sh
# The Dive into Deep Learning GRU chapter's run on both sides, one after the other (run by hand,
# never by CI; needs Debian's python3-torch and libopenblas0-openmp, see scripts/torch/README.md):
# 500 epochs of the book's settings on data/timemachine.txt, one thread, float32. Writes
# docs/measurements/DATE/{jgrad,torch}-d2l.jsonl, their wall times, and docs/d2l-perplexity.png.
#
#   scripts/bench/d2l-side-by-side.sh [EPOCHS]      # default 500
set -eu
cd "$(dirname "$0")/../.."
epochs=${1:-500}
out=docs/measurements/$(date +%Y-%m-%d)
mkdir -p "$out"
rm -f "$out/jgrad-d2l.jsonl" "$out/jgrad-d2l-perplexity.png"
./gru-examples --version >/dev/null   # builds the jar if needed, before anything is timed
{ uptime; lscpu | grep -E 'Model name|^CPU\(s\)|CPU family|^Model:|Stepping'; } > "$out/d2l-side-by-side.txt"

start=$(date +%s)
./gru-examples train --corpus data/timemachine.txt --d2l-text --max-tokens 10000 \
    --hidden 256 --batch 32 --steps 35 --lr 1 --clip 1 --optimizer sgd --init d2l --epochs "$epochs" \
    --threads 1 --no-checkpoint --metrics "$out/jgrad-d2l.jsonl" > "$out/jgrad-d2l.txt" 2>&1
echo "jgrad: $(( $(date +%s) - start )) s wall for $epochs epochs" >> "$out/d2l-side-by-side.txt"

start=$(date +%s)
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/torch/d2l_gru_train.py --corpus data/timemachine.txt \
    --epochs "$epochs" --threads 1 --metrics "$out/torch-d2l.jsonl" > "$out/torch-d2l.txt" 2>&1
echo "PyTorch: $(( $(date +%s) - start )) s wall for $epochs epochs" >> "$out/d2l-side-by-side.txt"
uptime >> "$out/d2l-side-by-side.txt"

. .mvn/find-jdk.sh
PLOT_OUT=docs/d2l-perplexity.png PLOT_TITLE="d2l GRU on The Time Machine: training perplexity per epoch" \
    PLOT_FILES="jgrad=$out/jgrad-d2l.jsonl,PyTorch 1.13=$out/torch-d2l.jsonl" \
    "$JAVA_HOME/bin/jshell" --class-path examples/target/gru-examples.jar scripts/plot_perplexity.jsh >/dev/null
cat "$out/d2l-side-by-side.txt"

#!/bin/sh
# Training with and without the step Workspace (-Djgrad.workspace=off), alternating ROUNDS times
# (default 3): d2l and large, both GRU variants, float32 and float64, one thread, a fresh JVM per
# figure at the launcher's options. Run by hand with the machine to itself; writes
# docs/measurements/DATE/workspace-ab.txt.
#
#   scripts/bench/workspace-ab.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
out=docs/measurements/$(date +%Y-%m-%d)
mkdir -p "$out"
. ./.mvn/find-jdk.sh
./gru-examples --version >/dev/null 2>&1   # builds this checkout's jar if needed
java="$JAVA_HOME/bin/java"
. ./.mvn/java-options.sh
opts="$jgrad_java_opts --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
args="--config d2l,large --cell gru,gru-reset-after --dtype f32,f64 --threads 1 --seconds 4"
{
  echo "# $java $opts [-Djgrad.workspace=off] -jar examples/target/gru-examples.jar bench $args (at $(git rev-parse --short HEAD))"
  lscpu | grep 'Model name'
  grep -o 'avx512[a-z_]*\|avx2\|fma' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
  uptime
  for r in $(seq "$rounds"); do
    for w in off default; do
      echo "## round $r workspace $w"
      flag=""
      [ "$w" = off ] && flag="-Djgrad.workspace=off"
      # shellcheck disable=SC2086 # the options are a list of words
      "$java" $opts $flag -jar examples/target/gru-examples.jar bench $args 2>/dev/null | grep -v '^WARNING'
    done
  done
  uptime
} | tee "$out/workspace-ab.txt"

#!/bin/sh
# The pure-Java fallback (--blas java) against the jar of commit 8d7ae7c, the last one before the
# native path, alternating ROUNDS times (default 3): tiny and large in float64, one thread, each run
# in one JVM. Run by hand with the machine to itself; writes docs/measurements/DATE/fallback-ab.txt.
#
#   scripts/bench/fallback-ab.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
out=docs/measurements/$(date +%Y-%m-%d)
mkdir -p "$out"
. ./.mvn/find-jdk.sh
old=$(mktemp -d)
trap 'git worktree remove --force "$old/tree" >/dev/null 2>&1; rm -rf "$old"' EXIT
git worktree add -q --detach "$old/tree" 8d7ae7c
(cd "$old/tree" && ./mvnw -q -B package -DskipTests) >&2
./gru-examples --version >/dev/null 2>&1   # builds this checkout's jar if needed
java="$JAVA_HOME/bin/java"
args="--config tiny,large --cell gru --dtype f64 --threads 1 --seconds 3"
# Fixed options, not the launcher's (.mvn/java-options.sh): the old jar runs with the same heap and collector.
new_opts="-XX:+UseSerialGC -Xmx300m -Djgrad.workspace=190m --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
{
  echo "# old = $java -XX:+UseSerialGC -Xmx300m -jar gru-examples.jar of 8d7ae7c bench $args"
  echo "# new = $java $new_opts -jar examples/target/gru-examples.jar bench --in-process --blas java $args (at $(git rev-parse --short HEAD))"
  lscpu | grep 'Model name'
  uptime
  for r in $(seq "$rounds"); do
    echo "## round $r old"
    # shellcheck disable=SC2086 # the arguments are a list of words
    "$java" -XX:+UseSerialGC -Xmx300m -jar "$old/tree/examples/target/gru-examples.jar" bench $args 2>/dev/null | grep '^jgrad'
    echo "## round $r new"
    # shellcheck disable=SC2086
    "$java" $new_opts -jar examples/target/gru-examples.jar bench --in-process --blas java $args 2>/dev/null | grep '^jgrad'
  done
  uptime
} | tee "$out/fallback-ab.txt"

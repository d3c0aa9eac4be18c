#!/bin/sh
# The pure-Java fallback (--blas java) against the jar of commit 8d7ae7c, the last one before the
# native path, alternating ROUNDS times (default 3): tiny and large in float64, one thread, each run
# in one JVM, then each jar's median over the rounds and their ratio, and the median of the rounds'
# own ratios: a JVM's tiny figure can land anywhere in a spread of some 40% from one launch to the
# next, for either jar, so a single round's ratio says little. Run by hand with the machine to
# itself; writes docs/measurements/DATE/fallback-ab.txt, or DIR/fallback-ab.txt.
#
#   scripts/bench/fallback-ab.sh [ROUNDS [DIR]]
set -eu
cd "$(dirname "$0")/../.."
rounds=${1:-3}
out=${2:-docs/measurements/$(date +%Y-%m-%d)}
mkdir -p "$out"
. ./.mvn/find-jdk.sh
old=$(mktemp -d)
trap 'git worktree remove --force "$old/tree" >/dev/null 2>&1; rm -rf "$old"' EXIT
git worktree add -q --detach "$old/tree" 8d7ae7c
(cd "$old/tree" && ./mvnw -q -B package -DskipTests) >&2
./gru-examples --version >/dev/null 2>&1   # builds this checkout's jar if needed
java="$JAVA_HOME/bin/java"
# Both jars warm up for the same 5 s, then each until its step rate settles (the new jar until two windows in a
# row are steady with the JIT compilers nearly idle): given 1 s, the new jar's tiny figure could be taken while
# its JIT was still at work (docs/measurements/2026-12-06-xeon/tiny-fallback-warmup.txt, warm-up-course.txt).
args="--config tiny,large --cell gru --dtype f64 --threads 1 --seconds 3 --warmup 5"
# Fixed options, not the launcher's (.mvn/java-options.sh): the old jar runs with the same heap and collector.
new_opts="-XX:+UseSerialGC -Xmx300m -Djgrad.workspace=220m --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
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
# The old jar's rows have no shards column: tokens/s is the sixth field there, the seventh in the new jar's.
# Besides each jar's median, the median of the rounds' own ratios: the two runs of a round are minutes apart
# at most, so a ratio within a round is less touched by the machine's speed drifting between rounds.
# Each jar's j-th row of a config is round j's.
awk '/^## round/ { jar = $4 } /^jgrad/ { v[jar " " $2, ++n[jar " " $2]] = (jar == "old" ? $6 : $7) }
  function median(a, k,   i, j, t) {
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END { split("tiny large", configs, " ")
    for (i = 1; i <= 2; i++) { c = configs[i]; k = n["new " c]
      for (j = 1; j <= k; j++) { a[j] = v["old " c, j]; b[j] = v["new " c, j]; q[j] = b[j] / a[j] }
      o = median(a, k); w = median(b, k); m = median(q, k)
      printf "median of %d rounds, %s: old %.1f, new %.1f tokens/s (new/old %.2fx); median of the rounds'"'"' ratios %.2fx\n", k, c, o, w, w / o, m } }' \
  "$out/fallback-ab.txt" | tee -a "$out/fallback-ab.txt"

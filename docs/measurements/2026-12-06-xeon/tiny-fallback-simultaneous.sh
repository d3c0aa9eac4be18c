#!/bin/sh
# Section 3 of tiny-fallback-warmup.txt: the jar of 8d7ae7c and this checkout's, tiny float64 on the pure-Java kernel,
# both at once, one on each CPU, swapping CPUs each round, so that the VM's swings from minute to minute touch both.
#   OLDJAR=<8d7ae7c>/examples/target/gru-examples.jar NEWJAR=examples/target/gru-examples.jar SECS=10 sh tiny-fallback-simultaneous.sh 4
J=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
args="--config tiny --cell gru --dtype f64 --threads 1 --seconds ${SECS:-8}"
OLDJAR=${OLDJAR:?the jar of 8d7ae7c}
NEWJAR=${NEWJAR:-examples/target/gru-examples.jar}
for r in $(seq ${1:-4}); do
  a=$((r % 2)); b=$((1 - a))
  taskset -c $a $J -XX:+UseSerialGC -Xmx300m -XX:CICompilerCount=2 -jar $OLDJAR bench $args --warmup 5 2>/dev/null | grep '^jgrad' | awk -v c=$a '{print "old cpu" c, $6, $7}' &
  taskset -c $b $J -XX:+UseSerialGC -Xmx300m -XX:CICompilerCount=2 -Djgrad.workspace=220m --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar $NEWJAR bench --in-process --blas java $args --warmup 5 2>/dev/null | grep '^jgrad' | awk -v c=$b '{print "new cpu" c, $7, $8}' &
  wait
done

#!/bin/bash
# usage: [EXTRA="-XX:..."] variance.sh N -- N fresh JVMs of the unpatched examples jar (built at f8fc981, copied to /tmp/q/base.jar)
cd /work/main; . .mvn/java-options.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for i in $(seq 1 $1); do
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $jgrad_java_opts $EXTRA -jar /tmp/q/base.jar bench --in-process --config ${CONFIG:-d2l} --cell ${CELL:-gru-reset-after} --dtype ${DT:-f32} --threads 1 --seconds 3 --warmup 3 2>&1 | grep -E '^jgrad' | awk -v i=$i '{print i, $0}'
done

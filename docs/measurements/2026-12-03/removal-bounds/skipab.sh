#!/bin/bash
# usage: CONFIG=d2l DT=f32 CELLS=gru-reset-after SKIPS="none placed slice concat" skipab.sh ROUNDS
cd /work/main; . .mvn/java-options.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for r in $(seq 1 ${1:-2}); do for v in $SKIPS; do
  jar=/tmp/q/skip.jar   # the examples jar built with removal.patch applied
  $J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $jgrad_java_opts -Djgrad.probe.skip=$v -jar $jar bench --in-process --config $CONFIG --cell ${CELLS:-gru-reset-after} --dtype $DT --threads ${TH:-1} --seconds 3 --warmup 3 2>&1 | grep -E '^jgrad|Exception|rror' | awk -v j=$v -v r=$r '{print r, j, $0}'
done; done

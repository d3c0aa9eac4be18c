# shellcheck shell=sh
# Sourced by ./gru-examples and the scripts under scripts/bench: sets jgrad_java_opts, the JVM options
# the launcher runs the program with when JGRAD_JAVA_OPTS is not set.
#   -XX:+UseSerialGC -Xmx360m -Xmn100m: the heap kept between steps of the bench's largest figure,
#     the PyTorch variant's float64 step as two shards, is 238-263 MiB (workspaces and model), which
#     in a 300 MB heap left the old generation too small for it: a full collection every step, and
#     whatever else the program allocated could push the workspaces to give way
#     (docs/measurements/2026-12-02/heap-360m.txt). 360 MB keeps it under four fifths of the heap;
#     the young generation stays at the 100 MB a 300 MB heap gave it, so steps with little kept data
#     touch no more memory. The JVM's default heap, a quarter of the machine's memory, would let
#     the process grow to gigabytes, and the serial collector keeps no concurrent threads or
#     remembered sets beside it.
#   -Djgrad.workspace=220m: the step workspace, instead of its default third of the heap, holds the
#     arrays of a large step in either dtype on one thread or two (the PyTorch variant's float64 step
#     keeps 172 MiB of them on one thread, docs/measurements/2026-12-01/inlining-budget.txt; on two
#     threads, split or as two shards, 190 MB was too little and a step allocated twice as much,
#     docs/measurements/2026-12-02/workspace-220m.txt), so such a step reuses the previous step's
#     arrays instead of the collector's; where the heap cannot hold that much beside the step, the
#     workspace gives way instead of running it out of memory
#     (docs/measurements/2026-12-01/workspace-heap.txt).
#   -XX:+UseTransparentHugePages where the kernel offers huge pages: fewer TLB misses in the
#     matrix products.
jgrad_java_opts="-XX:+UseSerialGC -Xmx360m -Xmn100m -Djgrad.workspace=220m"
case "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)" in
  *"[always]"*|*"[madvise]"*) jgrad_java_opts="$jgrad_java_opts -XX:+UseTransparentHugePages" ;;
esac

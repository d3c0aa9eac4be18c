/**
 * The {@code bench} command: training throughput (tokens per second of full training steps) for named
 * configurations and cells, matmul GFLOP/s at the GRU's shapes, the machine facts printed with every
 * table, and side-by-side ratios against PyTorch figures read from {@code scripts/torch/bench_gru.py}
 * output. Figures are printed, never asserted.
 */
package dev.jgrad.examples.bench;

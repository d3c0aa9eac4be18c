package dev.jgrad.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** Runs test code on a chosen matmul backend and restores the one that was in use. */
final class BlasBackends {
    private BlasBackends() {
    }

    /** Every backend this process can run: Java always, native when OpenBLAS loads. */
    static List<Blas.Backend> available() {
        List<Blas.Backend> out = new ArrayList<>(List.of(Blas.Backend.JAVA));
        if (Blas.nativeAvailable()) {
            out.add(Blas.Backend.NATIVE);
        }
        return out;
    }

    /** Whether this is Linux on x86-64, the platform the {@code org.bytedeco:openblas} jar ships a library for. */
    static boolean bundledPlatform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    static <T> T on(Blas.Backend backend, Supplier<T> body) {
        Blas.Backend saved = Blas.backend();
        Blas.use(backend);
        try {
            return body.get();
        } finally {
            Blas.use(saved);
        }
    }

    static void on(Blas.Backend backend, Runnable body) {
        on(backend, () -> {
            body.run();
            return null;
        });
    }

    /** Runs {@code body} on {@code backend} with kernels on {@code threads} threads, and restores both. */
    static void on(Blas.Backend backend, int threads, Runnable body) {
        int saved = Parallelism.threads();
        Parallelism.setThreads(threads);
        try {
            on(backend, body);
        } finally {
            Parallelism.setThreads(saved);
        }
    }
}

package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.check.GradCheck;
import dev.jgrad.tensor.*;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void gruStepGradients() {
        Rng rng = Rng.seeded(1);
        Tensor x = Tensor.randn(rng, DType.F64, 1, 2, 3);
        Tensor h = Tensor.randn(rng, DType.F64, 1, 2, 4);
        Tensor w = Tensor.randn(rng, DType.F64, 0.5, 3, 4);
        Tensor u = Tensor.randn(rng, DType.F64, 0.5, 4, 4);
        Tensor b = Tensor.randn(rng, DType.F64, 0.5, 4);
        GradCheck.Report r = GradCheck.check(in -> {
            Variable z = in.get(0).matmul(in.get(2)).plus(in.get(1).matmul(in.get(3))).plus(in.get(4)).sigmoid();
            Variable ht = in.get(0).matmul(in.get(2)).plus(z.times(in.get(1)).matmul(in.get(3))).tanh();
            return z.times(in.get(1)).plus(z.oneMinus().times(ht)).softmax(1).log();
        }, List.of(x, h, w, u, b));
        System.out.println(r);
        assertTrue(r.passed(), r.toString());
        GradCheck.Report r2 = GradCheck.checkSecondOrder(in -> in.get(0).matmul(in.get(1)).tanh().logSoftmax(0), List.of(h, u));
        System.out.println(r2);
        assertTrue(r2.passed(), r2.toString());
        GradCheck.Report r3 = GradCheck.check(in -> in.get(0).crossEntropy(new int[] {1, 3}), List.of(h), GradCheck.Options.defaults().randomDirections(5));
        System.out.println(r3);
        assertTrue(r3.passed());
    }
}

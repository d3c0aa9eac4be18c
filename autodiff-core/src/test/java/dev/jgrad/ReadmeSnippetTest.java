package dev.jgrad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's "A taste of the API", verbatim, with the gradients it prints checked in closed form. */
class ReadmeSnippetTest {

    @Test
    void readmeTaste() {
        // ---- begin README snippet (keep identical to README.md "A taste of the API")
        Variable x = Variable.leaf("x", Tensor.vector(0.5, -1.0, 2.0));
        Variable w = Variable.leaf("w", Tensor.matrix(new double[][] {{1, 2, 3}, {4, 5, 6}}));
        try (Tape tape = Tape.record()) {
            Variable y = w.matmul(x.reshape(3, 1)).tanh().sum();   // y = Σ tanh(W·x)
            y.backward();                                          // dy/dx, dy/dw land in .grad()
        }
        System.out.println(x.grad());

        // The same gradient checked against central finite differences (throws with a report on mismatch):
        GradCheck.assertGradients(in -> in.get(1).matmul(in.get(0).reshape(3, 1)).tanh(),
                List.of(x.value(), w.value()));
        // ---- end README snippet

        // y = Σᵢ tanh(sᵢ), s = W·x = [4.5, 9.5]:  dy/dx = Wᵀ·(1 − tanh²(s)),  dy/dW = (1 − tanh²(s))·xᵀ
        double[][] wm = {{1, 2, 3}, {4, 5, 6}};
        double[] xv = {0.5, -1.0, 2.0};
        double[] d = new double[2];
        for (int i = 0; i < 2; i++) {
            double s = wm[i][0] * xv[0] + wm[i][1] * xv[1] + wm[i][2] * xv[2];
            double t = Math.tanh(s);
            d[i] = 1 - t * t;
        }
        for (int j = 0; j < 3; j++) {
            assertEquals(wm[0][j] * d[0] + wm[1][j] * d[1], x.grad().at(j), 1e-15, "dy/dx[" + j + "]");
            for (int i = 0; i < 2; i++) {
                assertEquals(d[i] * xv[j], w.grad().get(i, j), 1e-15, "dy/dW[" + i + ", " + j + "]");
            }
        }
    }
}

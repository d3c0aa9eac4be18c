package dev.jgrad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jgrad.autodiff.CustomOp;
import dev.jgrad.autodiff.Op;
import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's "Your own op", verbatim (checked against README.md), with its values and gradients checked in closed form. */
class CustomOpSnippetTest {

    @Test
    void readmeCustomOp() {
        // ---- begin README snippet (keep identical to README.md "Your own op")
        CustomOp softplus = new CustomOp() {
            public String name() { return "mySoftplus"; }
            public Op.Saves saves() { return Op.Saves.FIRST; }              // the rule reads x
            public Variable forward(Variable... in) {                       // log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|)
                return in[0].relu().plus(in[0].abs().neg().exp().log1p());
            }
            public Variable[] backward(Variable[] in, Variable out, Variable g) {
                return new Variable[] {g.times(in[0].sigmoid())};            // d/dx log(1 + eˣ) = σ(x)
            }
        };
        Variable x = Variable.leaf("x", Tensor.vector(-800, -1, 0, 2, 800));
        try (Tape tape = Tape.record().withAnomalyDetection()) {           // a NaN or ±∞ would throw, naming mySoftplus
            softplus.apply(x).sum().backward();
        }
        System.out.println(x.grad());                                       // σ(x): [0, 0.269, 0.5, 0.881, 1]
        GradCheck.assertGradients(in -> softplus.apply(in.get(0)), List.of(Tensor.vector(-3, 0.5, 4)));
        GradCheck.assertSecondOrder(in -> softplus.apply(in.get(0)), List.of(Tensor.vector(-3, 0.5, 4)));
        // ---- end README snippet

        double[] xs = {-800, -1, 0, 2, 800};
        Tensor y = softplus.apply(Variable.constant(Tensor.vector(xs))).value();
        for (int i = 0; i < xs.length; i++) {
            double sigma = 1 / (1 + Math.exp(-xs[i]));
            assertEquals(xs[i] > 0 ? xs[i] + Math.log1p(Math.exp(-xs[i])) : Math.log1p(Math.exp(xs[i])), y.at(i), 1e-15, "softplus(" + xs[i] + ")");
            assertEquals(sigma, x.grad().at(i), 1e-15, "σ(" + xs[i] + ")");
        }
        // the same values as the built-in op
        assertEquals(0.0, Variable.constant(Tensor.vector(xs)).softplus().value().maxAbsDiff(y), 1e-15);
    }

    /** The README's code block is this test's snippet, character for character (the tests run in the module's folder). */
    @Test
    void theReadmeShowsThisSnippet() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        String section = readme.substring(readme.indexOf("## Your own op"));
        int start = section.indexOf("```java\n") + "```java\n".length();
        String block = section.substring(start, section.indexOf("```\n", start));
        String source = Files.readString(Path.of("src/test/java/dev/jgrad/CustomOpSnippetTest.java"));
        String begin = "// ---- begin README snippet";
        String snippet = source.substring(source.indexOf('\n', source.indexOf(begin)) + 1, source.indexOf("        // ---- end README snippet"));
        String unindented = snippet.lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip()).collect(Collectors.joining("\n", "", "\n"));
        assertEquals(block, unindented);
    }

    /** The same check fails for a rule that is off by a factor: the README's check can fail. */
    @Test
    void theSameCheckFailsForAWrongRule() {
        CustomOp halfWrong = new CustomOp() {
            public String name() { return "wrongSoftplus"; }
            public Op.Saves saves() { return Op.Saves.FIRST; }
            public Variable forward(Variable... in) {
                return in[0].relu().plus(in[0].abs().neg().exp().log1p());
            }
            public Variable[] backward(Variable[] in, Variable out, Variable g) {
                return new Variable[] {g.times(in[0].sigmoid()).times(0.5)};
            }
        };
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.assertGradients(in -> halfWrong.apply(in.get(0)), List.of(Tensor.vector(-3, 0.5, 4))));
        assertTrue(e.getMessage().contains("input 0 [3], element [0]") && e.getMessage().contains("analytic"), e.getMessage());
    }
}

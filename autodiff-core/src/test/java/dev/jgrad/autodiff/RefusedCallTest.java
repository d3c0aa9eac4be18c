package dev.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A refused call inside {@code Tape.record()} leaves no trace: after a null argument or a bad shape, the tape holds
 * exactly the nodes it held before (the same ops, in order), and the backward pass through them gives the gradient
 * it gives when the call was never made. The refused calls work on a recorded value, so anything they recorded
 * before refusing would show.
 */
class RefusedCallTest {
    private static final Tensor X = Tensor.matrix(new double[][] {{0.5, -1.0, 2.0}, {1.5, 0.25, -0.75}});
    private static final Tensor W = Tensor.matrix(new double[][] {{0.1, -0.2, 0.3}, {0.4, 0.5, -0.6}, {-0.7, 0.8, 0.9}});

    /** {@code h = tanh(x·W)} {@code [2, 3]}, recorded on the open tape; the loss is {@code Σ h²}. */
    private static Variable recordPrefix(Variable x, Variable w) {
        return x.matmul(w).tanh();
    }

    /** dloss/dx with no refused call in between. */
    private static Tensor referenceGradient() {
        Variable x = Variable.leaf("x", X);
        try (Tape tape = Tape.record()) {
            Variable h = recordPrefix(x, Variable.leaf("w", W));
            h.times(h).sum().backward();
        }
        return x.grad();
    }

    /**
     * Records the prefix, makes the refused call on {@code h}, and checks that it threw {@code expected}, that the
     * tape holds the same ops as before, and that backward through them is unchanged.
     */
    private static void assertLeavesNoTrace(Class<? extends RuntimeException> expected, BiFunction<Tape, Variable, Object> refused) {
        Variable x = Variable.leaf("x", X);
        try (Tape tape = Tape.record()) {
            Variable h = recordPrefix(x, Variable.leaf("w", W));
            List<Op> before = tape.ops();
            RuntimeException thrown = null;
            try {
                refused.apply(tape, h);
            } catch (RuntimeException e) {
                thrown = e;
            }
            assertInstanceOf(expected, thrown, "the call should be refused");
            List<Op> after = tape.ops();
            assertEquals(before.size(), tape.size(), "nodes on the tape after the refused call: " + after);
            for (int i = 0; i < before.size(); i++) {
                assertSame(before.get(i), after.get(i), "tape position " + i);
            }
            h.times(h).sum().backward();
        }
        assertEquals(0.0, referenceGradient().maxAbsDiff(x.grad()), "the gradient through the tape the refused call was made on");
    }

    // ------------------------------------------------------------------ nulls

    /**
     * Every reference parameter of every public method of {@link Variable}, {@link Tape} and {@link CustomOp}
     * (found by reflection, so a new method is covered), passed null with the others set to the recorded value
     * {@code h} or a fitting constant.
     */
    @TestFactory
    Stream<DynamicTest> aNullArgumentLeavesNoTrace() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Class<?> owner : List.of(Variable.class, Tape.class, CustomOp.class)) {
            for (Method m : owner.getDeclaredMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || Modifier.isAbstract(m.getModifiers()) || m.isSynthetic() || m.getName().equals("equals")) {
                    continue;
                }
                Class<?>[] types = m.getParameterTypes();
                for (int i = 0; i < types.length; i++) {
                    if (types[i].isPrimitive()) {
                        continue;
                    }
                    int nulled = i;
                    String name = owner.getSimpleName() + "." + m.getName() + Arrays.toString(types) + " with argument " + i + " null";
                    tests.add(dynamicTest(name, () -> assertLeavesNoTrace(NullPointerException.class,
                            (tape, h) -> call(m, owner == Variable.class ? h : owner == Tape.class ? tape : CustomOpTest.SOFTPLUS, h, nulled))));
                }
            }
        }
        return tests.stream();
    }

    private static Object call(Method m, Object target, Variable h, int nulled) {
        Object[] args = new Object[m.getParameterCount()];
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            args[i] = i == nulled ? null : argument(types[i], h);
        }
        try {
            return m.invoke(Modifier.isStatic(m.getModifiers()) ? null : target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    /** An argument that fits {@code h [2, 3]}: the recorded value itself, or a constant of its shape. */
    private static Object argument(Class<?> type, Variable h) {
        if (type == Variable.class) {
            return h;
        }
        if (type == Variable[].class) {
            return new Variable[] {h};
        }
        if (type == List.class) {
            return List.of(h);
        }
        if (type == Tensor.class) {
            return Tensor.ones(DType.F64, 2, 3);
        }
        if (type == Shape.class) {
            return Shape.of(2, 3);
        }
        if (type == DType.class) {
            return DType.F64;
        }
        if (type == int[].class) {
            return new int[] {0, 1};
        }
        if (type == String.class) {
            return "label";
        }
        if (type == int.class) {
            return 1;
        }
        if (type == double.class) {
            return 1.0;
        }
        if (type == boolean.class) {
            return false;
        }
        throw new AssertionError("no argument of type " + type + ": add one");
    }

    // ------------------------------------------------------------------ bad shapes

    /** Calls refused for their shapes or values, among them compositions of several ops that check before recording. */
    @TestFactory
    Stream<DynamicTest> aBadShapeLeavesNoTrace() {
        // constants, so that preparing them records nothing; the calls still record if they do not refuse, since h needs a gradient
        Variable wrong = Variable.constant(Tensor.zeros(DType.F64, 4));
        Map<String, Function<Variable, Object>> calls = new LinkedHashMap<>();
        calls.put("plus of shapes that do not broadcast", h -> h.plus(wrong));
        calls.put("matmul with different inner dimensions", h -> h.matmul(h));
        calls.put("dot (times, then sum) of different shapes", h -> h.dot(wrong));
        calls.put("concat of different widths", h -> Variable.concat(0, h, wrong.reshape(1, 4)));
        calls.put("stack (reshape each, then concat) of different shapes", h -> Variable.stack(0, List.of(h, Variable.constant(Tensor.zeros(DType.F64, 2, 2)))));
        calls.put("mean over an axis out of range", h -> h.mean(7));
        calls.put("var (mean, minus, square, mean) over an axis out of range", h -> h.var(true, 5));
        calls.put("std (mean, minus, norm, times) over a repeated axis", h -> h.std(0, 0));
        calls.put("reshape to another size", h -> h.reshape(5));
        calls.put("flatten with its axes reversed", h -> h.flatten(1, 0));
        calls.put("squeeze of an axis of size 2", h -> h.squeeze(0));
        calls.put("unsqueeze out of range", h -> h.unsqueeze(9));
        calls.put("broadcastTo a shape it does not broadcast to", h -> h.broadcastTo(Shape.of(4)));
        calls.put("sumTo a shape that does not broadcast to it", h -> h.sumTo(Shape.of(4)));
        calls.put("gather at an index out of range", h -> h.gather(1, new int[] {5, 0}, 2, 1));
        calls.put("scatterAdd of a source whose shape does not fit", h -> h.scatterAdd(1, new int[] {0, 0, 0, 0}, wrong));
        calls.put("crossEntropy with a target out of range", h -> h.crossEntropy(new int[] {9, 0}));
        calls.put("maskedFill with a mask that is not 0s and 1s", h -> h.maskedFill(Tensor.full(DType.F64, 2.0, 2, 3), 0.0));
        calls.put("slice past the end", h -> h.slice(1, 2, 7));
        calls.put("clamp with lo above hi", h -> h.clamp(1.0, -1.0));
        return calls.entrySet().stream().map(e -> dynamicTest(e.getKey(),
                () -> assertLeavesNoTrace(IllegalArgumentException.class, (tape, h) -> e.getValue().apply(h))));
    }
}

package dev.jgrad.nn.layer;

import static org.junit.jupiter.api.Assertions.*;

import dev.jgrad.autodiff.Tape;
import dev.jgrad.autodiff.Variable;
import dev.jgrad.check.GradCheck;
import dev.jgrad.check.GradCheckReport;
import dev.jgrad.nn.Parameter;
import dev.jgrad.nn.cell.CellKind;
import dev.jgrad.nn.cell.CellStates;
import dev.jgrad.nn.cell.GRU;
import dev.jgrad.nn.cell.GRUCell;
import dev.jgrad.nn.cell.State;
import dev.jgrad.nn.check.ModuleGradCheck;
import dev.jgrad.tensor.DType;
import dev.jgrad.tensor.Rng;
import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.tensor.Workspace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RecurrentStackTest {
    private static List<State> randomStates(CellKind kind, int layers, int batch, int hidden, Rng rng) {
        List<State> out = new ArrayList<>();
        for (int k = 0; k < layers; k++) {
            out.add(new State(CellStates.random(kind, batch, hidden, rng).stream().map(Variable::constant).toList()));
        }
        return out;
    }

    @Property(tries = 15)
    void unrolledLayerEqualsRepeatedCellStepsExactly(@ForAll CellKind kind, @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 5) int steps, @ForAll @IntRange(min = 1, max = 3) int layers) {
        Rng rng = Rng.seeded(seed);
        int b = 2;
        RecurrentStack net = RecurrentStack.of(kind, 3, 4, layers, true, DType.F64, rng);
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, b, steps, 3);
        List<State> init = randomStates(kind, layers, b, 4, rng);
        RecurrentStack.Output out = net.forward(Variable.constant(x), init);

        // The same computation written as explicit loops over time, then layers.
        List<State> states = new ArrayList<>(init);
        double[] last = new double[b * steps * 4];
        for (int t = 0; t < steps; t++) {
            double[] xt = new double[b * 3];
            for (int i = 0; i < b; i++) {
                for (int f = 0; f < 3; f++) {
                    xt[i * 3 + f] = x.get(i, t, f);
                }
            }
            Variable in = Variable.constant(Tensor.of(xt, b, 3));
            for (int k = 0; k < layers; k++) {
                states.set(k, net.cells().get(k).step(in, states.get(k)));
                in = states.get(k).h();
            }
            for (int i = 0; i < b; i++) {
                for (int h = 0; h < 4; h++) {
                    last[(i * steps + t) * 4 + h] = in.value().get(i, h);
                }
            }
        }
        assertEquals(Shape.of(b, steps, 4), out.outputs().shape());
        assertEquals(0.0, out.outputs().value().maxAbsDiff(Tensor.of(last, b, steps, 4)));
        for (int k = 0; k < layers; k++) {
            for (int part = 0; part < kind.stateParts(); part++) {
                assertEquals(0.0, out.finalStates().get(k).part(part).value().maxAbsDiff(states.get(k).part(part).value()));
            }
            assertEquals(0.0, out.hN().slice(0, k, k + 1).reshape(b, 4).value().maxAbsDiff(states.get(k).h().value()));
        }
        assertEquals(Shape.of(layers, b, 4), out.hN().shape());
        if (kind == CellKind.LSTM) {
            assertEquals(Shape.of(layers, b, 4), out.cN().shape());
        } else {
            assertThrows(IllegalStateException.class, out::cN);
        }
    }

    /** Four steps through two layers: every parameter, the input sequence and the initial states against finite differences. */
    @Property(tries = 10)
    void twoLayerFourStepGradientsMatchFiniteDifferences(@ForAll CellKind kind, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        RecurrentStack net = RecurrentStack.of(kind, 3, 3, 2, true, DType.F64, rng);
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, 2, 4, 3);
        List<State> init = randomStates(kind, 2, 2, 3, rng);
        GradCheckReport params = ModuleGradCheck.check(net, ModuleGradCheck.contracted(() -> {
            RecurrentStack.Output o = net.forward(Variable.constant(x), init);
            return Variable.concat(0, o.outputs().reshape(-1), o.hN().reshape(-1));
        }, rng));
        assertTrue(params.passed(), params.toString());
        assertEquals(net.parameterCount(), params.compared());

        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 2, 4, 3);
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x);
        init.forEach(s -> s.parts().forEach(v -> inputs.add(v.value())));
        GradCheckReport in = GradCheck.check(vs -> {
            List<State> s0 = new ArrayList<>();
            int at = 1;
            for (int k = 0; k < 2; k++) {
                s0.add(new State(vs.subList(at, at + kind.stateParts())));
                at += kind.stateParts();
            }
            return net.forward(vs.get(0), s0).outputs().times(Variable.constant(c)).sum();
        }, inputs);
        assertTrue(in.passed(), in.toString());
    }

    /**
     * Time-major is the same computation without the transposes: outputs, final states and every
     * gradient equal the batch-first ones bit for bit, in both dtypes and for every cell.
     */
    @Property(tries = 10)
    void timeMajorEqualsBatchFirstBitForBit(@ForAll CellKind kind, @ForAll boolean f32, @ForAll long seed) {
        DType dtype = f32 ? DType.F32 : DType.F64;
        Rng rng = Rng.seeded(seed);
        RecurrentStack net = RecurrentStack.of(kind, 3, 4, 2, true, dtype, rng);
        Tensor x = Tensor.randn(rng, dtype, 1.0, 2, 5, 3);
        List<State> init = randomStates(kind, 2, 2, 4, rng).stream()
                .map(st -> new State(st.parts().stream().map(v -> Variable.constant(v.value().cast(dtype))).toList())).toList();
        Tensor c = Tensor.randn(rng, dtype, 1.0, 2, 5, 4);
        List<Tensor> first = outputsAndGradients(net, () -> {
            RecurrentStack.Output o = net.forward(Variable.constant(x), init);
            return new Variable[] {o.outputs(), o.hN()};
        }, c);
        Tensor xt = Variable.constant(x).permute(1, 0, 2).value();
        List<Tensor> major = outputsAndGradients(net, () -> {
            RecurrentStack.Output o = net.forwardTimeMajor(Variable.constant(xt), init);
            assertEquals(Shape.of(5, 2, 4), o.outputs().shape());
            return new Variable[] {o.outputs().permute(1, 0, 2), o.hN()};
        }, c);
        assertEquals(first.size(), major.size());
        for (int i = 0; i < first.size(); i++) {
            assertEquals(first.get(i).shape(), major.get(i).shape(), "tensor " + i + " of " + kind + " " + dtype);
            assertArrayEquals(first.get(i).toDoubleArray(), major.get(i).toDoubleArray(), "tensor " + i + " of " + kind + " " + dtype);
        }
    }

    /** The outputs, h_n, and every parameter's gradient of Σ c ⊙ outputs + Σ h_n. */
    private static List<Tensor> outputsAndGradients(RecurrentStack net, java.util.function.Supplier<Variable[]> run, Tensor c) {
        net.parameters().values().forEach(p -> p.zeroGrad());
        List<Tensor> out = new ArrayList<>();
        try (dev.jgrad.autodiff.Tape tape = dev.jgrad.autodiff.Tape.record()) {
            Variable[] o = run.get();
            out.add(o[0].value());
            out.add(o[1].value());
            o[0].times(Variable.constant(c)).sum().plus(o[1].sum()).backward();
        }
        net.parameters().values().forEach(p -> out.add(p.grad()));
        return out;
    }

    /** Second order through the time-major path, whose reshapes replace the batch-first permutes. */
    @Test
    void timeMajorGradientsInRandomDirections() {
        Rng rng = Rng.seeded(4);
        RecurrentStack net = RecurrentStack.gru(GRU.Variant.RESET_AFTER, 3, 5, 2, true, DType.F64, rng);
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, 4, 3, 3);
        GradCheckReport r = ModuleGradCheck.check(net,
                ModuleGradCheck.contracted(() -> net.forwardTimeMajor(Variable.constant(x), null).outputs(), rng),
                GradCheck.Options.defaults().randomDirections(4));
        assertTrue(r.passed(), r.toString());
        GradCheckReport in = GradCheck.check(vs -> net.forwardTimeMajor(vs.get(0), null).outputs().square().sum(), List.of(x));
        assertTrue(in.passed(), in.toString());
    }

    @Test
    void biggerLayerGradientsInRandomDirections() {
        Rng rng = Rng.seeded(3);
        RecurrentStack net = RecurrentStack.gru(GRU.Variant.RESET_AFTER, 5, 8, 2, true, DType.F64, rng);
        Tensor x = Tensor.randn(rng, DType.F64, 1.0, 3, 6, 5);
        GradCheckReport r = ModuleGradCheck.check(net,
                ModuleGradCheck.contracted(() -> net.forward(Variable.constant(x), null).outputs(), rng),
                GradCheck.Options.defaults().randomDirections(6));
        assertTrue(r.passed(), r.toString());
        assertEquals(6, r.compared());
    }

    @Property(tries = 10)
    void float32AgreesWithFloat64(@ForAll CellKind kind, @ForAll long seed) {
        Rng rng = Rng.seeded(seed);
        RecurrentStack f64 = RecurrentStack.of(kind, 3, 5, 2, true, DType.F64, rng);
        RecurrentStack f32 = RecurrentStack.of(kind, 3, 5, 2, true, DType.F32, Rng.seeded(seed + 1));
        Map<String, Tensor> cast = new LinkedHashMap<>();
        f64.stateDict().forEach((k, v) -> cast.put(k, v.cast(DType.F32)));
        f32.loadStateDict(cast);
        // Use the float32-rounded weights in float64 too, so only the arithmetic differs.
        Map<String, Tensor> back = new LinkedHashMap<>();
        cast.forEach((k, v) -> back.put(k, v.cast(DType.F64)));
        f64.loadStateDict(back);
        Tensor x = Tensor.randn(rng, DType.F32, 1.0, 2, 6, 3);
        Tensor c = Tensor.randn(rng, DType.F64, 1.0, 2, 6, 5);
        Tensor out64;
        Tensor out32;
        try (Tape t = Tape.record()) {
            Variable o = f64.forward(Variable.constant(x.cast(DType.F64)), null).outputs();
            out64 = o.value();
            o.times(Variable.constant(c)).sum().backward();
        }
        try (Tape t = Tape.record()) {
            Variable o = f32.forward(Variable.constant(x), null).outputs();
            out32 = o.value();
            o.times(Variable.constant(c.cast(DType.F32))).sum().backward();
        }
        // float32 has a unit roundoff of 6e-8; a dozen chained ops per step over six steps stays well inside 1e-5.
        assertTrue(out32.cast(DType.F64).allClose(out64, 1e-5, 1e-5), out32 + " vs " + out64);
        for (Map.Entry<String, Parameter> e : f64.parameters().entrySet()) {
            Tensor g64 = e.getValue().grad();
            Tensor g32 = f32.parameters().get(e.getKey()).grad().cast(DType.F64);
            assertTrue(g32.allClose(g64, 1e-4, 1e-4), e.getKey() + ": " + g32 + " vs " + g64);
        }
    }

    /**
     * In a workspace scope the rows a stack concatenates are dropped once read (Note [Step-local
     * storage]): after the walk the scope lends only the weights' gradients, the outputs and the
     * states each step carried, and the gradients keep the bits computed without a workspace.
     */
    @Test
    void inAWorkspaceOnlyGradientsOutputsAndCarriedStatesOutliveTheWalk() {
        int b = 8;
        int t = 4;
        int hidden = 128;   // [8, 128] float64 states: 1,024 elements, the fewest a workspace lends
        int layers = 2;
        Tensor x = Tensor.randn(Rng.seeded(2), DType.F64, 1.0, b, t, 16);
        for (CellKind kind : CellKind.values()) {
            RecurrentStack net = RecurrentStack.of(kind, 16, hidden, layers, true, DType.F64, Rng.seeded(1));
            net.parameters().values().forEach(Parameter::zeroGrad);
            try (Tape tape = Tape.record()) {
                net.forward(Variable.constant(x), null).outputs().sum().backward();
            }
            Map<String, double[]> plain = new LinkedHashMap<>();
            net.parameters().forEach((name, p) -> plain.put(name, p.grad().toDoubleArray()));
            net.parameters().values().forEach(Parameter::zeroGrad);
            try (Workspace.Scope scope = new Workspace(64L << 20).open()) {
                int carried;
                try (Tape tape = Tape.record()) {
                    RecurrentStack.Output out = net.forward(Variable.constant(x), null);
                    carried = out.finalStates().get(0).parts().size();
                    out.outputs().sum().backward();
                }
                long gradients = net.parameters().values().stream().mapToLong(p -> p.value().size())
                        .filter(n -> n >= 1024).sum();
                long expected = 8 * (gradients + (long) b * t * hidden + (long) layers * t * carried * b * hidden);
                assertEquals(expected, scope.lentBytes(), kind + ": lent after the walk");
                net.parameters().forEach((name, p) -> assertArrayEquals(plain.get(name), p.grad().toDoubleArray(), kind + " " + name));
            }
        }
    }

    /**
     * A time-major input is the first layer's rows as they are, and stays the caller's: a stack drops only the rows it made
     * itself, so an input whose storage a workspace lent keeps its values through the forward pass and the backward walk.
     */
    @Test
    void aTimeMajorInputLentByAWorkspaceStaysTheCallersThroughTheWalk() {
        RecurrentStack net = RecurrentStack.of(CellKind.GRU, 128, 128, 2, true, DType.F64, Rng.seeded(3));
        Tensor raw = Tensor.randn(Rng.seeded(4), DType.F64, 1.0, 4, 8, 128);
        try (Workspace.Scope scope = new Workspace(64L << 20).open()) {
            Variable x = Variable.constant(raw).times(Variable.constant(Tensor.scalar(1.0)));   // an op's result: lent storage
            double[] before = x.value().toDoubleArray();
            try (Tape tape = Tape.record()) {
                net.forwardTimeMajor(x, null).outputs().sum().backward();
            }
            assertArrayEquals(before, x.value().toDoubleArray());
        }
    }

    @Test
    void truncatedBpttDetachesStatesBetweenBatches() {
        Rng rng = Rng.seeded(5);
        RecurrentStack net = RecurrentStack.lstm(2, 3, 2, true, DType.F64, rng);
        Tensor x1 = Tensor.randn(rng, DType.F64, 1.0, 2, 3, 2);
        Tensor x2 = Tensor.randn(rng, DType.F64, 1.0, 2, 3, 2);
        List<State> carried;
        try (Tape t = Tape.record()) {
            carried = net.forward(Variable.constant(x1), null).detachedStates();
        }
        for (State s : carried) {
            s.parts().forEach(v -> assertFalse(v.requiresGrad()));
        }
        // Gradients of batch 2 from the carried state equal those from the same values as fresh constants.
        Map<String, Tensor> g1 = gradients(net, x2, carried);
        List<State> fresh = carried.stream().map(s -> new State(s.parts().stream()
                .map(v -> Variable.constant(v.value())).toList())).toList();
        Map<String, Tensor> g2 = gradients(net, x2, fresh);
        g1.forEach((k, g) -> assertEquals(0.0, g.maxAbsDiff(g2.get(k)), k));
    }

    private static Map<String, Tensor> gradients(RecurrentStack net, Tensor x, List<State> init) {
        net.parameters().values().forEach(Parameter::zeroGrad);
        try (Tape t = Tape.record()) {
            net.forward(Variable.constant(x), init).outputs().square().sum().backward();
        }
        Map<String, Tensor> g = new LinkedHashMap<>();
        net.parameters().forEach((k, p) -> g.put(k, p.grad()));
        return g;
    }

    @Test
    void badInputsAreRejectedWithTheShapes() {
        RecurrentStack net = RecurrentStack.gru(GRU.Variant.RESET_BEFORE, 3, 4, 2, true, DType.F64, Rng.seeded(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 5, 2)), null));
        assertTrue(e.getMessage().contains("RecurrentStack.forward") && e.getMessage().contains("[2, 5, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> net.forward(Variable.constant(Tensor.zeros(DType.F64, 5, 3)), null));
        assertThrows(IllegalArgumentException.class, () -> net.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 0, 3)), null));
        e = assertThrows(IllegalArgumentException.class,
                () -> net.forwardTimeMajor(Variable.constant(Tensor.zeros(DType.F64, 5, 2, 2)), null));
        assertTrue(e.getMessage().contains("RecurrentStack.forwardTimeMajor") && e.getMessage().contains("[5, 2, 2]")
                && e.getMessage().contains("[T, B, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> net.forwardTimeMajor(Variable.constant(Tensor.zeros(DType.F64, 0, 2, 3)), null));
        assertTrue(e.getMessage().contains("[0, 2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> net.forwardTimeMajor(Variable.constant(Tensor.zeros(DType.F64, 5, 2, 3)), net.initialStates(2, DType.F64).subList(0, 1)));
        assertTrue(e.getMessage().contains("RecurrentStack.forwardTimeMajor: 1 initial states for 2 layers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 5, 3)), net.initialStates(2, DType.F64).subList(0, 1)));
        assertTrue(e.getMessage().contains("1 initial states for 2 layers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> net.forward(Variable.constant(Tensor.zeros(DType.F64, 2, 5, 3)), net.initialStates(3, DType.F64)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentStack.of(List.of(
                GRUCell.create(3, 4, true, DType.F64, Rng.seeded(1)),
                GRUCell.create(5, 4, true, DType.F64, Rng.seeded(1)))));
        assertEquals("RecurrentStack: layer 1 takes input size 5 but layer 0 produces hidden size 4", e.getMessage());
        assertEquals("RecurrentStack: number of layers must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> RecurrentStack.rnn(3, 4, 0, true, DType.F64, Rng.seeded(1))).getMessage());
        assertEquals(1, RecurrentStack.rnn(3, 4, 1, true, DType.F64, Rng.seeded(1)).numLayers());
        RecurrentStack two = RecurrentStack.rnn(3, 4, 2, true, DType.F64, Rng.seeded(1));
        assertEquals(List.of("layers.0", "layers.1"), List.copyOf(two.children().keySet()));
        assertSame(two.cells().get(1), two.children().get("layers.1"));
    }
}

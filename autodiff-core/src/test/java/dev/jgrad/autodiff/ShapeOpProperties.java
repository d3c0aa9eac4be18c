package dev.jgrad.autodiff;

import static dev.jgrad.testing.CotangentChecks.assertBothOrders;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jgrad.tensor.Shape;
import dev.jgrad.tensor.Tensor;
import dev.jgrad.testing.TensorArbitraries;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Gradient properties (first and second order, through a random cotangent) of the shape ops:
 * reshape, transpose, matrixTranspose, permute, slice, unslice, concat, stack, indexSelect, indexAdd,
 * the per-element gather and scatterAdd, squeeze, unsqueeze, flatten; plus the adjoint identities
 * that their rules rely on ({@code ⟨slice(x), y⟩ = ⟨x, unslice(y)⟩} and the same for indexSelect /
 * indexAdd and gather / scatterAdd).
 */
class ShapeOpProperties {

    /** A tensor and integer arguments for a shape op (meaning depends on the property). */
    record WithArgs(Tensor x, int[] args) {
        @Override
        public String toString() {
            return "WithArgs[" + x + ", " + Arrays.toString(args) + "]";
        }
    }

    /** Parts to join along {@code axis}. */
    record Parts(List<Tensor> parts, int axis) {
    }

    @Property
    void reshape(@ForAll("reshapes") WithArgs w, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).reshape(w.args()), List.of(w.x()), seed);
    }

    @Property
    void transposeMatrix(@ForAll("rank2") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).transpose(), List.of(a), seed);
    }

    @Property
    void matrixTransposeSwapsTheLastTwo(@ForAll("rank2to4") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).matrixTranspose(), List.of(a), seed);
    }

    @Property
    void transposeAxes(@ForAll("axisPairs") WithArgs w, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).transpose(w.args()[0], w.args()[1]), List.of(w.x()), seed);
    }

    @Property
    void permute(@ForAll("permutations") WithArgs w, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).permute(w.args()), List.of(w.x()), seed);
    }

    /** args = axis, start, end with 0 ≤ start &lt; end ≤ dim. */
    @Property
    void slice(@ForAll("slices") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        assertBothOrders(x -> x.get(0).slice(a[0], a[1], a[2]), List.of(w.x()), seed);
    }

    /** args = axis, start, full with start + dim ≤ full. */
    @Property
    void unslice(@ForAll("unslices") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        assertBothOrders(x -> x.get(0).unslice(a[0], a[1], a[2]), List.of(w.x()), seed);
    }

    @Property
    void concat(@ForAll("concatParts") Parts p, @ForAll long seed) {
        assertBothOrders(x -> Variable.concat(p.axis(), x), p.parts(), seed);
    }

    @Property
    void stack(@ForAll("stackParts") Parts p, @ForAll long seed) {
        assertBothOrders(x -> Variable.stack(p.axis(), x), p.parts(), seed);
    }

    /** args = axis, then the indices (repeats allowed: their gradients must add up). */
    @Property
    void indexSelect(@ForAll("indexSelects") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        assertBothOrders(x -> x.get(0).indexSelect(a[0], Arrays.copyOfRange(a, 1, a.length)), List.of(w.x()), seed);
    }

    /** args = axis, size, then the indices (repeats allowed: they add into one slot). */
    @Property
    void indexAdd(@ForAll("indexAdds") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        assertBothOrders(x -> x.get(0).indexAdd(a[0], Arrays.copyOfRange(a, 2, a.length), a[1]), List.of(w.x()), seed);
    }

    /** ⟨slice(x), y⟩ = ⟨x, unslice(y)⟩: unslice is slice's adjoint, which its derivative rule assumes. */
    @Property
    void sliceAndUnsliceAreAdjoint(@ForAll("slices") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        Variable x = Variable.constant(w.x());
        Variable sx = x.slice(a[0], a[1], a[2]);
        Variable y = Variable.constant(Tensor.uniform(dev.jgrad.tensor.Rng.seeded(seed), dev.jgrad.tensor.DType.F64, -1, 1, sx.shape().dims()));
        int full = w.x().shape().dim(a[0]);
        assertEquals(sx.dot(y).value().item(), x.dot(y.unslice(a[0], a[1], full)).value().item(), 1e-12);
    }

    /** ⟨indexSelect(x), y⟩ = ⟨x, indexAdd(y)⟩. */
    @Property
    void indexSelectAndIndexAddAreAdjoint(@ForAll("indexSelects") WithArgs w, @ForAll long seed) {
        int[] a = w.args();
        int[] idx = Arrays.copyOfRange(a, 1, a.length);
        Variable x = Variable.constant(w.x());
        Variable gx = x.indexSelect(a[0], idx);
        Variable y = Variable.constant(Tensor.uniform(dev.jgrad.tensor.Rng.seeded(seed), dev.jgrad.tensor.DType.F64, -1, 1, gx.shape().dims()));
        int size = w.x().shape().dim(a[0]);
        assertEquals(gx.dot(y).value().item(), x.dot(y.indexAdd(a[0], idx, size)).value().item(), 1e-12);
    }

    /** A tensor, an axis, a per-element index (entries and shape) and a source of the index's shape. */
    record Along(Tensor x, int axis, int[] index, Shape indexShape, Tensor src) {
        @Override
        public String toString() {
            return "Along[" + x + ", axis " + axis + ", index " + indexShape + " " + Arrays.toString(index) + ", src " + src + "]";
        }
    }

    @Property
    void gather(@ForAll("along") Along a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).gather(a.axis(), a.index(), a.indexShape().dims()), List.of(a.x()), seed);
    }

    /** Both inputs differentiated: the base passes its gradient through, the source gathers it (repeated targets add up). */
    @Property
    void scatterAdd(@ForAll("along") Along a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).scatterAdd(a.axis(), a.index(), x.get(1)), List.of(a.x(), a.src()), seed);
    }

    /** ⟨gather(x), y⟩ = ⟨x, scatterAdd(0, y)⟩: scatterAdd is gather's adjoint, which both rules assume. */
    @Property
    void gatherAndScatterAddAreAdjoint(@ForAll("along") Along a) {
        Variable x = Variable.constant(a.x());
        Variable y = Variable.constant(a.src());
        Variable zeros = Variable.constant(Tensor.zeros(dev.jgrad.tensor.DType.F64, a.x().shape()));
        assertEquals(x.gather(a.axis(), a.index(), a.indexShape().dims()).dot(y).value().item(),
                x.dot(zeros.scatterAdd(a.axis(), a.index(), y)).value().item(), 1e-12);
    }

    @Property
    void squeeze(@ForAll("any") Tensor a, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).squeeze(), List.of(a), seed);
    }

    @Property
    void squeezeAxes(@ForAll("withOnes") WithArgs w, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).squeeze(w.args()), List.of(w.x()), seed);
    }

    @Property
    void unsqueeze(@ForAll("any") Tensor a, @ForAll("insertions") int at, @ForAll long seed) {
        int axis = Math.floorMod(at, a.rank() + 1) - (at < 0 ? a.rank() + 1 : 0);
        assertBothOrders(x -> x.get(0).unsqueeze(axis), List.of(a), seed);
    }

    /** args = start, end axes (start ≤ end); and flatten() of the whole. */
    @Property
    void flatten(@ForAll("flattens") WithArgs w, @ForAll long seed) {
        assertBothOrders(x -> x.get(0).flatten(w.args()[0], w.args()[1]).plus(x.get(0).flatten().sum()), List.of(w.x()), seed);
    }

    /** The shapes squeeze, unsqueeze and flatten produce, against their definitions. */
    @Property
    void squeezeUnsqueezeAndFlattenShapes(@ForAll("flattens") WithArgs w) {
        Variable x = Variable.constant(w.x());
        int[] d = w.x().shape().dims();
        int a = w.args()[0];
        int b = w.args()[1];
        long merged = 1;
        for (int i = a; i <= b; i++) {
            merged *= d[i];
        }
        Shape f = x.flatten(a, b).shape();
        assertEquals(d.length - (b - a), f.rank());
        assertEquals(merged, f.dim(a));
        assertEquals(Shape.of(w.x().size()), x.flatten().shape());
        assertEquals(Shape.of(Arrays.stream(d).filter(k -> k != 1).toArray()), x.squeeze().shape());
        Shape u = x.unsqueeze(a).shape();
        assertEquals(1, u.dim(a));
        assertEquals(x.shape(), x.unsqueeze(a).squeeze(a).shape());
        assertEquals(x.shape(), x.unsqueeze(-1).squeeze(-1).shape());
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Tensor> any() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(), -2, 2);
    }

    @Provide
    Arbitrary<Integer> insertions() {
        return Arbitraries.integers().between(-5, 4);
    }

    /** A tensor with at least one dimension of size 1, and a non-empty set of those axes (some written negative). */
    @Provide
    Arbitrary<WithArgs> withOnes() {
        return TensorArbitraries.shapes(1, 4).filter(s -> Arrays.stream(s.dims()).anyMatch(k -> k == 1)).flatMap(s -> {
            int r = s.rank();
            Arbitrary<List<Boolean>> pick = Arbitraries.of(true, false).list().ofSize(r);
            return Combinators.combine(TensorArbitraries.tensors(s, -2, 2), pick, pick).as((t, p, neg) -> {
                List<Integer> axes = new ArrayList<>();
                for (int i = 0; i < r; i++) {
                    if (s.dim(i) == 1 && (p.get(i) || axes.isEmpty() && i == lastOne(s))) {
                        axes.add(neg.get(i) ? i - r : i);
                    }
                }
                return new WithArgs(t, axes.stream().mapToInt(Integer::intValue).toArray());
            });
        });
    }

    private static int lastOne(Shape s) {
        int last = -1;
        for (int i = 0; i < s.rank(); i++) {
            if (s.dim(i) == 1) {
                last = i;
            }
        }
        return last;
    }

    @Provide
    Arbitrary<WithArgs> flattens() {
        return TensorArbitraries.shapes(1, 4).flatMap(s -> {
            Arbitrary<Integer> axis = Arbitraries.integers().between(0, s.rank() - 1);
            return Combinators.combine(TensorArbitraries.tensors(s, -2, 2), axis, axis)
                    .as((t, p, q) -> new WithArgs(t, new int[] {Math.min(p, q), Math.max(p, q)}));
        });
    }

    /**
     * A tensor of rank 1–3, an axis, an index shape no larger outside the axis (any length 1–4 along
     * it) with entries in range, repeats allowed, and a source tensor of the index's shape.
     */
    @Provide
    Arbitrary<Along> along() {
        return axisOf(TensorArbitraries.shapes(1, 3)).flatMap(sa -> {
            Shape s = sa.shape();
            int axis = sa.axis();
            List<Arbitrary<Integer>> dims = new ArrayList<>();
            for (int k = 0; k < s.rank(); k++) {
                dims.add(k == axis ? Arbitraries.integers().between(1, 4) : Arbitraries.integers().between(1, s.dim(k)));
            }
            return Combinators.combine(dims).as(l -> Shape.of(l.stream().mapToInt(Integer::intValue).toArray())).flatMap(is ->
                    Combinators.combine(TensorArbitraries.tensors(s, -2, 2),
                            Arbitraries.integers().between(0, s.dim(axis) - 1).list().ofSize(is.size()),
                            TensorArbitraries.tensors(is, -2, 2))
                            .as((x, idx, src) -> new Along(x, axis, idx.stream().mapToInt(Integer::intValue).toArray(), is, src)));
        });
    }

    @Provide
    Arbitrary<Tensor> rank2() {
        return TensorArbitraries.tensors(TensorArbitraries.shapesOfRank(2), -2, 2);
    }

    @Provide
    Arbitrary<Tensor> rank2to4() {
        return TensorArbitraries.tensors(TensorArbitraries.shapes(2, 4), -2, 2);
    }

    /** Targets: the dimensions reordered, possibly with a 1 inserted, possibly one written as −1. */
    @Provide
    Arbitrary<WithArgs> reshapes() {
        return TensorArbitraries.shapes(0, 4).flatMap(s -> {
            List<Integer> dims = new ArrayList<>();
            for (int d : s.dims()) {
                dims.add(d);
            }
            return Combinators.combine(TensorArbitraries.tensors(s, -2, 2), Arbitraries.shuffle(dims),
                    Arbitraries.of(true, false), Arbitraries.integers().between(0, 3)).as((t, perm, insertOne, inferAt) -> {
                        List<Integer> target = new ArrayList<>(perm);
                        if (insertOne) {
                            target.add(target.size() / 2, 1);
                        }
                        if (!target.isEmpty() && inferAt < target.size()) {
                            target.set(inferAt, -1);
                        }
                        return new WithArgs(t, target.stream().mapToInt(Integer::intValue).toArray());
                    });
        });
    }

    @Provide
    Arbitrary<WithArgs> axisPairs() {
        return TensorArbitraries.shapes(1, 4).flatMap(s -> {
            Arbitrary<Integer> axis = Arbitraries.integers().between(-s.rank(), s.rank() - 1);
            return Combinators.combine(TensorArbitraries.tensors(s, -2, 2), axis, axis).as((t, p, q) -> new WithArgs(t, new int[] {p, q}));
        });
    }

    @Provide
    Arbitrary<WithArgs> permutations() {
        return TensorArbitraries.shapes(0, 4).flatMap(s -> {
            List<Integer> axes = new ArrayList<>();
            for (int i = 0; i < s.rank(); i++) {
                axes.add(i);
            }
            return Combinators.combine(TensorArbitraries.tensors(s, -2, 2), Arbitraries.shuffle(axes))
                    .as((t, p) -> new WithArgs(t, p.stream().mapToInt(Integer::intValue).toArray()));
        });
    }

    @Provide
    Arbitrary<WithArgs> slices() {
        return axisOf(TensorArbitraries.shapes(1, 4)).flatMap(sa -> {
            int d = sa.shape().dim(sa.axis());
            return Combinators.combine(TensorArbitraries.tensors(sa.shape(), -2, 2), Arbitraries.integers().between(0, d - 1),
                    Arbitraries.integers().between(1, d)).as((t, start, len) -> {
                        int end = Math.min(d, start + len);
                        return new WithArgs(t, new int[] {sa.axis(), start, end});
                    });
        });
    }

    @Provide
    Arbitrary<WithArgs> unslices() {
        return axisOf(TensorArbitraries.shapes(1, 4)).flatMap(sa -> {
            int d = sa.shape().dim(sa.axis());
            return Combinators.combine(TensorArbitraries.tensors(sa.shape(), -2, 2), Arbitraries.integers().between(0, 3),
                    Arbitraries.integers().between(0, 3)).as((t, start, extra) ->
                            new WithArgs(t, new int[] {sa.axis(), start, start + d + extra}));
        });
    }

    @Provide
    Arbitrary<Parts> concatParts() {
        return axisOf(TensorArbitraries.shapes(1, 3)).flatMap(sa -> Arbitraries.integers().between(1, 3).list().ofMinSize(1).ofMaxSize(3)
                .flatMap(lengths -> {
                    List<Arbitrary<Tensor>> parts = new ArrayList<>();
                    for (int len : lengths) {
                        parts.add(TensorArbitraries.tensors(sa.shape().with(sa.axis(), len), -2, 2));
                    }
                    return Combinators.combine(parts).as(ps -> new Parts(ps, sa.axis()));
                }));
    }

    @Provide
    Arbitrary<Parts> stackParts() {
        return TensorArbitraries.shapes(0, 3).flatMap(s -> Combinators.combine(
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(-s.rank() - 1, s.rank())).as((n, axis) -> {
                    List<Arbitrary<Tensor>> parts = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        parts.add(TensorArbitraries.tensors(s, -2, 2));
                    }
                    return Combinators.combine(parts).as(ps -> new Parts(ps, axis));
                }).flatMap(a -> a));
    }

    @Provide
    Arbitrary<WithArgs> indexSelects() {
        return axisOf(TensorArbitraries.shapes(1, 3)).flatMap(sa -> {
            int d = sa.shape().dim(sa.axis());
            return Combinators.combine(TensorArbitraries.tensors(sa.shape(), -2, 2),
                    Arbitraries.integers().between(0, d - 1).list().ofMinSize(1).ofMaxSize(5)).as((t, idx) -> {
                        int[] args = new int[idx.size() + 1];
                        args[0] = sa.axis();
                        for (int i = 0; i < idx.size(); i++) {
                            args[i + 1] = idx.get(i);
                        }
                        return new WithArgs(t, args);
                    });
        });
    }

    @Provide
    Arbitrary<WithArgs> indexAdds() {
        return axisOf(TensorArbitraries.shapes(1, 3)).flatMap(sa -> Arbitraries.integers().between(1, 4).flatMap(size -> {
            int n = sa.shape().dim(sa.axis());
            return Combinators.combine(TensorArbitraries.tensors(sa.shape(), -2, 2),
                    Arbitraries.integers().between(0, size - 1).list().ofSize(n)).as((t, idx) -> {
                        int[] args = new int[n + 2];
                        args[0] = sa.axis();
                        args[1] = size;
                        for (int i = 0; i < n; i++) {
                            args[i + 2] = idx.get(i);
                        }
                        return new WithArgs(t, args);
                    });
        }));
    }

    /** A shape and one of its axes (non-negative, resolved). */
    record ShapeAxis(Shape shape, int axis) {
    }

    private static Arbitrary<ShapeAxis> axisOf(Arbitrary<Shape> shapes) {
        return shapes.flatMap(s -> Arbitraries.integers().between(0, s.rank() - 1).map(a -> new ShapeAxis(s, a)));
    }
}

package dev.jgrad.testhooks;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.common.collect.ImmutableList;
import com.google.common.reflect.ClassPath;
import com.google.common.reflect.TypeToken;
import com.google.common.testing.ArbitraryInstances;
import com.google.common.testing.EqualsTester;
import com.google.common.testing.NullPointerTester;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * The null and equality contracts of one module's public API, checked with guava-testlib over every public class of
 * the module's main output. The classes are found by scanning the class path ({@link #ofModule}), so a new public
 * class is covered without being listed; one that cannot be covered is excluded by name, with the reason.
 *
 * <ul>
 *   <li>{@link #nullTests()}: for every public constructor, static method and instance method, each parameter of
 *       reference type is passed {@code null} (the others get sample values) through {@link NullPointerTester}, which
 *       wants a {@link NullPointerException}; and the call is made once more to check that the exception's message
 *       is the parameter's name, as {@code Objects.requireNonNull(x, "x")} gives, so the caller learns which argument
 *       was null. A JVM message ({@code Cannot invoke … because "in[i]" is null}) means the null got past the door.
 *       Methods of interfaces are covered where they have a body (static and default methods): an abstract one is
 *       the implementer's, and each public implementation is covered as a class of its own.
 *   <li>{@link #equalsTests()}: every public record, and every other public class that declares {@code equals},
 *       through {@link EqualsTester}: a record built twice from equal components (arrays and collections copied)
 *       is equal and has one hash code, and built with any one component changed is unequal.
 * </ul>
 *
 * <p>Argument values, and the instances whose methods are called, are {@linkplain #sample registered} per type (two
 * distinct values each), built for records from their components, the first constant for enums, and made here for
 * the JDK types the API takes (strings, boxed numbers, arrays, lists, maps, suppliers, paths).
 */
public final class ApiContracts {
    private final List<Class<?>> classes;
    private final Map<Class<?>, List<Object>> samples = new LinkedHashMap<>();
    private final Map<Class<?>, List<List<Object>>> equalityGroups = new LinkedHashMap<>();
    /** Excluded parameters ({@code Class.method(param)}, {@code new Class(param)}) and members, with the reasons. */
    private final Map<String, String> excluded = new LinkedHashMap<>();

    private ApiContracts(List<Class<?>> classes) {
        this.classes = List.copyOf(classes);
    }

    /**
     * The contracts of every public class (top-level or nested in public classes) that the module holding
     * {@code anchor} compiles: the classes under {@code anchor}'s first two package segments found in the same
     * class-path entry as {@code anchor}, so neither tests nor other modules' classes are picked up.
     *
     * @param anchor any class of the module's main code
     * @return the contracts, to configure with samples and exclusions
     */
    public static ApiContracts ofModule(Class<?> anchor) {
        URL home = anchor.getProtectionDomain().getCodeSource().getLocation();
        String[] segments = anchor.getPackageName().split("\\.");
        String root = segments.length < 2 ? segments[0] : segments[0] + "." + segments[1];
        try {
            List<Class<?>> found = ClassPath.from(anchor.getClassLoader()).getAllClasses().stream()
                    .filter(c -> c.getPackageName().equals(root) || c.getPackageName().startsWith(root + "."))
                    .filter(c -> !c.getSimpleName().equals("package-info"))
                    .<Class<?>>map(ClassPath.ClassInfo::load)
                    .filter(c -> home.equals(c.getProtectionDomain().getCodeSource().getLocation()))
                    .filter(ApiContracts::isPublicApi)
                    .sorted(Comparator.comparing(Class::getName))
                    .toList();
            return new ApiContracts(found);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The contracts of the given classes only (for checking this checker on classes made to break a contract).
     *
     * @param classes the classes checked
     * @return the contracts, to configure with samples and exclusions
     */
    public static ApiContracts of(Class<?>... classes) {
        return new ApiContracts(Arrays.asList(classes));
    }

    private static boolean isPublicApi(Class<?> c) {
        if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) {
            return false;
        }
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Registers two distinct values of {@code type}: the first is the argument passed for parameters of that type and
     * the instance whose methods are called, the second the value a record component is changed to.
     *
     * @param type   the type
     * @param first  the usual value
     * @param second a value unequal to it
     * @param <T>    the type
     * @return this
     */
    public <T> ApiContracts sample(Class<T> type, T first, T second) {
        samples.put(type, List.of(type.cast(first), type.cast(second)));
        return this;
    }

    /**
     * The equality groups of a value class that is not a record (records are built from their components): within a
     * group equal, across groups unequal.
     *
     * @param type   the class
     * @param groups its groups
     * @return this
     */
    @SafeVarargs
    public final ApiContracts equalityGroups(Class<?> type, List<?>... groups) {
        List<List<Object>> copy = new ArrayList<>();
        for (List<?> g : groups) {
            copy.add(List.copyOf(g));
        }
        equalityGroups.put(type, copy);
        return this;
    }

    /**
     * Leaves a parameter ({@code Parameter.setGrad(grad)}, {@code new Linear(rng)}, {@code Op.*.forward(in)} for that
     * method of every class nested in {@code Op}) or a whole member ({@code Blas.Backend.parse}) out of the null
     * check, because null is a documented value there or the member cannot be covered.
     *
     * @param member the parameter or member, as the failure messages spell it
     * @param reason why it is left out
     * @return this
     */
    public ApiContracts exclude(String member, String reason) {
        excluded.put(member, reason);
        return this;
    }

    /**
     * The classes checked.
     *
     * @return the public classes found, sorted by name
     */
    public List<Class<?>> classes() {
        return classes;
    }

    /**
     * Both contracts: {@link #nullTests()} and {@link #equalsTests()}, their names prefixed with the contract.
     *
     * @return the tests
     */
    public Stream<DynamicTest> tests() {
        return Stream.concat(named("nulls: ", nullTests()), named("equals: ", equalsTests()));
    }

    private static Stream<DynamicTest> named(String prefix, Stream<DynamicTest> tests) {
        return tests.map(t -> dynamicTest(prefix + t.getDisplayName(), t.getExecutable()));
    }

    // ------------------------------------------------------------------ nulls

    /**
     * One test per public class: every reference parameter of its public constructors and methods refuses null with
     * a {@link NullPointerException} naming the parameter; plus one test that every exclusion names a parameter or
     * member that exists (so none outlives what it excused).
     *
     * @return the tests
     */
    public Stream<DynamicTest> nullTests() {
        Stream<DynamicTest> perClass = classes.stream().map(c -> dynamicTest(display(c), () -> checkNulls(c)));
        return Stream.concat(perClass, Stream.of(dynamicTest("every exclusion names an existing parameter", this::checkExclusions)));
    }

    /** A parameter of a member, with the names the failure messages and exclusions use. */
    private record Target(Class<?> owner, Executable member, int index) {
        String memberName() {
            return member instanceof Constructor<?> ? "new " + display(owner) : display(owner) + "." + member.getName();
        }

        Parameter parameter() {
            return member.getParameters()[index];
        }

        String name() {
            return memberName() + "(" + parameter().getName() + ")";
        }

        /** The names an exclusion may give: the parameter, the member, or the parameter of that method in every class nested alongside. */
        List<String> keys() {
            String sameMethodOfEveryNested = owner.getEnclosingClass() == null ? name()
                    : display(owner.getEnclosingClass()) + ".*." + member.getName() + "(" + parameter().getName() + ")";
            return List.of(name(), memberName(), sameMethodOfEveryNested);
        }
    }

    private List<Target> targets(Class<?> c) {
        List<Executable> members = new ArrayList<>();
        if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers())) {
            members.addAll(Arrays.asList(c.getConstructors()));
        }
        for (Method m : c.getDeclaredMethods()) {
            boolean body = !Modifier.isAbstract(m.getModifiers());
            if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge() && body && !isEquals(m) && !isEnumValueOf(c, m)) {
                members.add(m);
            }
        }
        members.sort(Comparator.comparing(Executable::toGenericString));
        List<Target> out = new ArrayList<>();
        for (Executable e : members) {
            for (int i = 0; i < e.getParameterCount(); i++) {
                if (!e.getParameterTypes()[i].isPrimitive()) {
                    out.add(new Target(c, e, i));
                }
            }
        }
        return out;
    }

    /** The {@code valueOf(String)} the compiler writes for every enum: the JDK's, not ours. */
    private static boolean isEnumValueOf(Class<?> c, Method m) {
        return c.isEnum() && m.getName().equals("valueOf") && Arrays.equals(m.getParameterTypes(), new Class<?>[] {String.class});
    }

    private static boolean isEquals(Method m) {
        return m.getName().equals("equals") && Arrays.equals(m.getParameterTypes(), new Class<?>[] {Object.class});
    }

    private void checkNulls(Class<?> c) {
        List<String> failures = new ArrayList<>();
        for (Target t : targets(c)) {
            if (t.keys().stream().anyMatch(excluded::containsKey)) {
                continue;
            }
            if (!t.parameter().isNamePresent()) {
                failures.add(t.memberName() + ": parameter names are not compiled in (javac -parameters)");
                continue;
            }
            try {
                checkNull(t);
            } catch (AssertionError | RuntimeException e) {
                failures.add(t.name() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(display(c) + ": the null contract fails for " + failures.size() + " parameter(s) (refuse null"
                    + " with Objects.requireNonNull(x, \"x\") at the top; where null is meant, say so in the Javadoc and exclude it"
                    + " with the reason):\n  " + String.join("\n  ", failures));
        }
    }

    private void checkNull(Target t) {
        Object instance = isStatic(t.member()) ? null : instance(t.owner());
        Object[] args = new Object[t.member().getParameterCount()];
        NullPointerTester tester = new NullPointerTester();
        Type[] types = t.member().getGenericParameterTypes();
        for (int i = 0; i < args.length; i++) {
            args[i] = value(TypeToken.of(types[i]), 0);
            setDefault(tester, t.member().getParameterTypes()[i], args[i]);
        }
        if (t.member() instanceof Method m) {
            tester.testMethodParameter(instance, m, t.index());
        } else {
            tester.testConstructorParameter((Constructor<?>) t.member(), t.index());
        }
        args[t.index()] = null;
        Throwable thrown;
        try {
            if (t.member() instanceof Method m) {
                m.invoke(instance, args);
            } else {
                ((Constructor<?>) t.member()).newInstance(args);
            }
            thrown = null;
        } catch (InvocationTargetException e) {
            thrown = e.getCause();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot call: " + e, e);
        }
        String name = t.parameter().getName();
        if (!(thrown instanceof NullPointerException npe) || !name.equals(npe.getMessage())) {
            throw new AssertionError("the NullPointerException's message should be \"" + name + "\", got "
                    + (thrown == null ? "no exception" : thrown.getClass().getSimpleName() + ": " + thrown.getMessage()));
        }
    }

    /**
     * Gives the tester our value for a type it has none of. Types it has its own for (strings, collections, arrays,
     * enums) keep them: its defaults are by raw type, so a {@code Map<String, Tensor>} and a {@code Map<String,
     * String>} parameter of one method would otherwise get one map.
     */
    @SuppressWarnings("unchecked")
    private static <T> void setDefault(NullPointerTester tester, Class<T> type, Object value) {
        if (!type.isPrimitive() && ArbitraryInstances.get(type) == null) {
            tester.setDefault(type, (T) value);
        }
    }

    private static boolean isStatic(Executable e) {
        return e instanceof Constructor<?> || Modifier.isStatic(e.getModifiers());
    }

    private void checkExclusions() {
        Set<String> known = new LinkedHashSet<>();
        for (Class<?> c : classes) {
            for (Target t : targets(c)) {
                known.addAll(t.keys());
            }
        }
        List<String> stale = excluded.keySet().stream().filter(k -> !known.contains(k)).toList();
        if (!stale.isEmpty()) {
            throw new AssertionError("exclusions that name no public parameter or member (renamed or removed?): " + stale);
        }
    }

    // ------------------------------------------------------------------ equality

    /**
     * One test per public record and per other public class that declares {@code equals}.
     *
     * @return the tests
     */
    public Stream<DynamicTest> equalsTests() {
        return classes.stream().filter(c -> c.isRecord() || declaresEquals(c)).map(c -> dynamicTest(display(c), () -> checkEquals(c)));
    }

    private static boolean declaresEquals(Class<?> c) {
        return Arrays.stream(c.getDeclaredMethods()).anyMatch(ApiContracts::isEquals);
    }

    private void checkEquals(Class<?> c) {
        EqualsTester tester = new EqualsTester();
        List<List<Object>> groups = equalityGroups.get(c);
        if (groups != null) {
            groups.forEach(g -> tester.addEqualityGroup(g.toArray()));
        } else if (c.isRecord()) {
            RecordComponent[] rc = c.getRecordComponents();
            Object[] first = new Object[rc.length];
            Object[] copies = new Object[rc.length];
            for (int i = 0; i < rc.length; i++) {
                first[i] = value(TypeToken.of(rc[i].getGenericType()), 0);
                copies[i] = copy(first[i]);
            }
            tester.addEqualityGroup(build(c, first), build(c, copies));
            for (int i = 0; i < rc.length; i++) {
                Object[] changed = first.clone();
                changed[i] = value(TypeToken.of(rc[i].getGenericType()), 1);
                if (!Objects.deepEquals(changed[i], first[i])) { // a one-constant enum has no other value
                    tester.addEqualityGroup(build(c, changed));
                }
            }
        } else {
            throw new AssertionError(display(c) + " declares equals but is not a record: give its equality groups (equalityGroups)");
        }
        tester.testEquals();
    }

    /**
     * An equal value that shares no array or collection with {@code v}: records rebuilt, arrays and collections
     * copied; a registered sample is itself (it may be a type whose equality is identity).
     */
    private Object copy(Object v) {
        if (v == null || samples.containsKey(v.getClass()) || samples.values().stream().flatMap(List::stream).anyMatch(x -> x == v)) {
            return v;
        }
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            Object out = Array.newInstance(v.getClass().getComponentType(), n);
            for (int i = 0; i < n; i++) {
                Array.set(out, i, copy(Array.get(v, i)));
            }
            return out;
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l.stream().map(this::copy).toList());
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(copy(k), copy(x)));
            return out;
        }
        if (v.getClass().isRecord()) {
            RecordComponent[] rc = v.getClass().getRecordComponents();
            Object[] parts = new Object[rc.length];
            for (int i = 0; i < rc.length; i++) {
                try {
                    parts[i] = copy(rc[i].getAccessor().invoke(v));
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
            return build(v.getClass(), parts);
        }
        return v;
    }

    // ------------------------------------------------------------------ values

    /** The instance whose instance methods are called. */
    private Object instance(Class<?> c) {
        List<Object> s = samples.get(c);
        if (s != null) {
            return s.get(0);
        }
        if (c.isRecord() || c.isEnum()) {
            return value(TypeToken.of(c), 0);
        }
        throw new AssertionError("no sample " + display(c) + " to call its methods on: register one (sample), or exclude the class's"
                + " methods with the reason");
    }

    /** Value {@code which} (0 or 1, distinct) of a type. */
    private Object value(TypeToken<?> type, int which) {
        Class<?> raw = type.getRawType();
        List<Object> s = samples.get(raw);
        if (s != null) {
            return s.get(which);
        }
        if (raw == int.class || raw == Integer.class) {
            return which + 1;
        }
        if (raw == long.class || raw == Long.class) {
            return which + 1L;
        }
        if (raw == double.class || raw == Double.class) {
            return which + 0.5;
        }
        if (raw == float.class || raw == Float.class) {
            return which + 0.5f;
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return which == 1;
        }
        if (raw == byte.class || raw == Byte.class) {
            return (byte) (which + 1);
        }
        if (raw == String.class || raw == Object.class || raw == CharSequence.class) {
            return which == 0 ? "a" : "b";
        }
        if (raw.isEnum()) {
            Object[] constants = raw.getEnumConstants();
            return constants[Math.min(which, constants.length - 1)];
        }
        if (raw.isArray()) {
            Object out = Array.newInstance(raw.getComponentType(), 1);
            Array.set(out, 0, value(TypeToken.of(raw.getComponentType()), which));
            return out;
        }
        if (raw == List.class || raw == Collection.class || raw == Iterable.class) {
            return ImmutableList.of(value(type.resolveType(List.class.getTypeParameters()[0]), which));
        }
        if (raw == Map.class) {
            return Map.of(value(type.resolveType(Map.class.getTypeParameters()[0]), which),
                    value(type.resolveType(Map.class.getTypeParameters()[1]), which));
        }
        if (raw == Supplier.class) {
            Object v = value(type.resolveType(Supplier.class.getTypeParameters()[0]), which);
            return (Supplier<Object>) () -> v;
        }
        if (raw == UnaryOperator.class) {
            return which == 0 ? UnaryOperator.identity() : (UnaryOperator<Object>) x -> x;
        }
        if (raw == Runnable.class) {
            return (Runnable) () -> { };
        }
        if (raw == Path.class) {
            // never written: every call under test refuses its null before touching a file
            return Path.of(System.getProperty("java.io.tmpdir"), "jgrad-api-contracts-absent", which == 0 ? "a" : "b");
        }
        if (raw.isRecord()) {
            RecordComponent[] rc = raw.getRecordComponents();
            Object[] parts = new Object[rc.length];
            for (int i = 0; i < rc.length; i++) {
                parts[i] = value(type.resolveType(rc[i].getGenericType()), which);
            }
            return build(raw, parts);
        }
        throw new AssertionError("no sample of " + type + ": register two (sample)");
    }

    private static Object build(Class<?> record, Object[] parts) {
        Class<?>[] types = Arrays.stream(record.getRecordComponents()).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            return record.getDeclaredConstructor(types).newInstance(parts);
        } catch (InvocationTargetException e) {
            throw new AssertionError("cannot build a sample " + display(record) + " from " + Arrays.deepToString(parts)
                    + ": " + e.getCause() + "; register samples of it (sample)", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static String display(Class<?> c) {
        return c.getName().substring(c.getPackageName().isEmpty() ? 0 : c.getPackageName().length() + 1).replace('$', '.');
    }
}

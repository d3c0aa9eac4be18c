package dev.jgrad.testhooks;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

/** The contract checks fail on the classes made to break them, and pass on those that keep them. */
class ApiContractsTest {

    /** Refuses null by name at the top of everything. */
    public static final class Guarded {
        private final String name;

        public Guarded(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        public String greet(String who, int times) {
            Objects.requireNonNull(who, "who");
            return (name + who).repeat(times);
        }

        public static int length(List<String> words) {
            Objects.requireNonNull(words, "words");
            return words.size();
        }
    }

    /** Lets the JVM throw: a NullPointerException, but not one naming the parameter. */
    public static final class Unguarded {
        public static int length(String text) {
            return text.length();
        }
    }

    /** Takes null and carries on. */
    public static final class Accepting {
        public static String echo(String text) {
            return text;
        }
    }

    /** Names the wrong parameter. */
    public static final class Misnamed {
        public static int sum(int[] values, String label) {
            Objects.requireNonNull(values, "label");
            Objects.requireNonNull(label, "label");
            return values.length;
        }
    }

    /** Null means "nothing" here, which an exclusion states. */
    public static final class Lenient {
        public static String orEmpty(String text) {
            return text == null ? "" : text;
        }
    }

    /** A record's default equals compares an array component by identity. */
    public record ByIdentity(int[] values, String label) {
    }

    /** The same record comparing the array by content. */
    public record ByContent(int[] values, String label) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ByContent b && Arrays.equals(values, b.values) && label.equals(b.label);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values) * 31 + label.hashCode();
        }
    }

    /** Ignores one of its components in equals. */
    public record IgnoresLabel(int value, String label) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IgnoresLabel i && value == i.value;
        }

        @Override
        public int hashCode() {
            return value;
        }
    }

    /** Declares equals without being a record, and no groups are given for it. */
    public static final class Point {
        @Override
        public boolean equals(Object o) {
            return o instanceof Point;
        }

        @Override
        public int hashCode() {
            return 1;
        }
    }

    private static void run(Stream<DynamicTest> tests, String name) throws Throwable {
        DynamicTest t = tests.filter(d -> d.getDisplayName().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no test " + name));
        t.getExecutable().execute();
    }

    private static AssertionError fails(Stream<DynamicTest> tests, String name) {
        return assertThrows(AssertionError.class, () -> run(tests, name));
    }

    @Test
    void guardedClassPasses() {
        ApiContracts api = ApiContracts.of(Guarded.class).sample(Guarded.class, new Guarded("a"), new Guarded("b"));
        assertDoesNotThrow(() -> run(api.nullTests(), "ApiContractsTest.Guarded"));
    }

    @Test
    void instanceMethodsNeedASampleToBeCalledOn() {
        AssertionError e = fails(ApiContracts.of(Guarded.class).nullTests(), "ApiContractsTest.Guarded");
        assertTrue(e.getMessage().contains("greet(who): no sample ApiContractsTest.Guarded"), e.getMessage());
    }

    @Test
    void aJvmMessageIsNotANamedRefusal() {
        AssertionError e = fails(ApiContracts.of(Unguarded.class).nullTests(), "ApiContractsTest.Unguarded");
        assertTrue(e.getMessage().contains("ApiContractsTest.Unguarded.length(text): the NullPointerException's message should be \"text\""),
                e.getMessage());
    }

    @Test
    void acceptingNullFails() {
        AssertionError e = fails(ApiContracts.of(Accepting.class).nullTests(), "ApiContractsTest.Accepting");
        assertTrue(e.getMessage().contains("ApiContractsTest.Accepting.echo(text)"), e.getMessage());
    }

    @Test
    void theWrongNameFails() {
        AssertionError e = fails(ApiContracts.of(Misnamed.class).nullTests(), "ApiContractsTest.Misnamed");
        assertTrue(e.getMessage().contains("sum(values): the NullPointerException's message should be \"values\", got NullPointerException: label"),
                e.getMessage());
        assertTrue(e.getMessage().contains("1 parameter(s)"), "label is refused by name: " + e.getMessage());
    }

    @Test
    void anExclusionLetsADocumentedNullThroughAndMustNameARealParameter() {
        assertThrows(AssertionError.class, () -> run(ApiContracts.of(Lenient.class).nullTests(), "ApiContractsTest.Lenient"));
        ApiContracts excused = ApiContracts.of(Lenient.class).exclude("ApiContractsTest.Lenient.orEmpty(text)", "null is the empty text");
        assertDoesNotThrow(() -> run(excused.nullTests(), "ApiContractsTest.Lenient"));
        assertDoesNotThrow(() -> run(excused.nullTests(), "every exclusion names an existing parameter"));
        ApiContracts stale = ApiContracts.of(Lenient.class).exclude("ApiContractsTest.Lenient.orEmpty(string)", "renamed since");
        AssertionError e = fails(stale.nullTests(), "every exclusion names an existing parameter");
        assertTrue(e.getMessage().contains("ApiContractsTest.Lenient.orEmpty(string)"), e.getMessage());
    }

    @Test
    void anArrayComparedByIdentityFails() {
        fails(ApiContracts.of(ByIdentity.class).equalsTests(), "ApiContractsTest.ByIdentity");
        assertDoesNotThrow(() -> run(ApiContracts.of(ByContent.class).equalsTests(), "ApiContractsTest.ByContent"));
    }

    @Test
    void aComponentLeftOutOfEqualsFails() {
        fails(ApiContracts.of(IgnoresLabel.class).equalsTests(), "ApiContractsTest.IgnoresLabel");
    }

    @Test
    void aValueClassNeedsItsGroups() {
        AssertionError e = fails(ApiContracts.of(Point.class).equalsTests(), "ApiContractsTest.Point");
        assertTrue(e.getMessage().contains("equalityGroups"), e.getMessage());
        ApiContracts grouped = ApiContracts.of(Point.class).equalityGroups(Point.class, List.of(new Point(), new Point()));
        assertDoesNotThrow(() -> run(grouped.equalsTests(), "ApiContractsTest.Point"));
    }

    @Test
    void onlyRecordsAndClassesDeclaringEqualsAreValueTypes() {
        assertEquals(List.of("ApiContractsTest.ByContent", "ApiContractsTest.Point"),
                ApiContracts.of(Guarded.class, ByContent.class, Point.class).equalsTests().map(DynamicTest::getDisplayName).toList());
    }

    /** This module's own scan: the public classes of test-hooks' main code, and nothing from its tests. */
    @Test
    void scanningFindsTheModulesPublicClassesOnly() {
        assertEquals(List.of(ApiContracts.class, OpenScopeCheck.class, PackageImports.class, PropertyRunSummary.class, ShadedJarLicences.class),
                ApiContracts.ofModule(ApiContracts.class).classes());
    }
}

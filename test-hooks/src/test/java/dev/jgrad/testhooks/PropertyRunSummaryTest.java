package dev.jgrad.testhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The run summary's verdicts: a run that executed no property must fail unless a filter explains it. */
class PropertyRunSummaryTest {

    @Test
    void summaryLine() {
        assertEquals("jqwik: 3 properties, 180 tries", PropertyRunSummary.summary(3, 180, null));
        assertEquals("jqwik: 0 properties, 0 tries (test filter FooTest)", PropertyRunSummary.summary(0, 0, "FooTest"));
    }

    @Test
    void zeroPropertiesWithPropertyClassesAndNoFilterFails() {
        String f = PropertyRunSummary.failure(0, 0, null, true, () -> true);
        assertTrue(f != null && f.contains("0 properties ran"), f);
        assertTrue(PropertyRunSummary.failure(0, 0, " ", true, () -> true) != null, "a blank filter is no filter");
    }

    @Test
    void propertiesWithoutTriesFail() {
        String f = PropertyRunSummary.failure(5, 0, "X", true, () -> true);
        assertTrue(f != null && f.contains("0 tries"), f);
        assertTrue(PropertyRunSummary.failure(5, 0, null, false, () -> true) != null, "whatever the run selected");
    }

    @Test
    void legitimateRunsPass() {
        assertNull(PropertyRunSummary.failure(5, 300, null, true, () -> true));
        assertNull(PropertyRunSummary.failure(0, 0, "SomeTest", true, () -> true), "a filter may select no property");
        assertNull(PropertyRunSummary.failure(0, 0, null, true, () -> false), "a module without properties");
    }

    /**
     * A run that is not a module's whole suite (one class from an IDE, the tests PIT runs against one
     * mutant) selects no property without failing; Surefire's runs declare themselves whole suites.
     */
    @Test
    void aRunThatSelectedSomeTestsOnlyPasses() {
        assertNull(PropertyRunSummary.failure(0, 0, null, false, () -> true));
        assertEquals("true", System.getProperty(PropertyRunSummary.REQUIRED), "Surefire must mark its runs as whole suites");
    }

    /** This module's own test classes declare properties ({@link PropertyRunSummaryProperties}), so the class-path scan must find them. */
    @Test
    void findsThisModulesPropertyClasses() {
        assertTrue(PropertyRunSummary.hasPropertyClasses());
    }
}

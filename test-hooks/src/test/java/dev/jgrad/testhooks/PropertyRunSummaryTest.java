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
        String f = PropertyRunSummary.failure(0, 0, null, () -> true);
        assertTrue(f != null && f.contains("0 properties ran"), f);
        assertTrue(PropertyRunSummary.failure(0, 0, " ", () -> true) != null, "a blank filter is no filter");
    }

    @Test
    void propertiesWithoutTriesFail() {
        String f = PropertyRunSummary.failure(5, 0, "X", () -> true);
        assertTrue(f != null && f.contains("0 tries"), f);
    }

    @Test
    void legitimateRunsPass() {
        assertNull(PropertyRunSummary.failure(5, 300, null, () -> true));
        assertNull(PropertyRunSummary.failure(0, 0, "SomeTest", () -> true), "a filter may select no property");
        assertNull(PropertyRunSummary.failure(0, 0, null, () -> false), "a module without properties");
    }

    /** This module's own test classes declare properties ({@link PropertyRunSummaryProperties}), so the class-path scan must find them. */
    @Test
    void findsThisModulesPropertyClasses() {
        assertTrue(PropertyRunSummary.hasPropertyClasses());
    }
}

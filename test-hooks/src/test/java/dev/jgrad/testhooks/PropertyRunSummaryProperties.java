package dev.jgrad.testhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The run summary's verdicts over all counts; also the property class that
 * {@link PropertyRunSummaryTest#findsThisModulesPropertyClasses} expects this module's tests to hold.
 */
class PropertyRunSummaryProperties {

    @Property
    void theSummaryLineStatesBothCounts(@ForAll @IntRange(min = 0, max = 10_000) int properties,
            @ForAll @LongRange(min = 0, max = 1_000_000) long tries) {
        assertEquals("jqwik: " + properties + " properties, " + tries + " tries", PropertyRunSummary.summary(properties, tries, null));
    }

    @Property
    void propertiesThatRanNoTryAlwaysFail(@ForAll @IntRange(min = 1, max = 10_000) int properties, @ForAll boolean filtered,
            @ForAll boolean required) {
        assertNotNull(PropertyRunSummary.failure(properties, 0, filtered ? "SomeTest" : null, required, () -> true));
    }

    @Property
    void runsWithTriesNeverFail(@ForAll @IntRange(min = 1, max = 10_000) int properties,
            @ForAll @LongRange(min = 1, max = 1_000_000) long tries, @ForAll boolean required, @ForAll boolean propertyClasses) {
        assertNull(PropertyRunSummary.failure(properties, tries, null, required, () -> propertyClasses));
    }
}

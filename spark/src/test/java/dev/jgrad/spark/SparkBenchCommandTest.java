package dev.jgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code jgrad-spark bench}'s one-figure run, which every mode goes through in its own JVM. */
class SparkBenchCommandTest {

    /**
     * The random corpus covers the warm-up and the timed steps after train holds its last tenth out:
     * the documented 8 + 16 steps once ran out of text and printed no figure.
     */
    @Test
    void theCorpusCoversWarmupAndTimedStepsAfterTheHeldOutTenth() throws Exception {
        SparkTrainCommandTest.Outcome o = SparkTrainCommandTest.run("bench", "--run", "--config", "tiny", "--mode", "process", "--warmup", "8",
                "--steps", "16");
        assertEquals(0, o.code(), o.err());
        JsonNode figure = new ObjectMapper().readTree(o.out().strip());
        assertEquals("tiny", figure.path("config").asText(), figure.toString());
        assertTrue(figure.path("tokens_per_second").asDouble() > 0, figure.toString());
    }
}

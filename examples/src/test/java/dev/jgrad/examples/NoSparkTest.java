package dev.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** gru-examples (and the modules under it) never see Spark: the Spark trainer depends on them, not the other way round. */
class NoSparkTest {
    @Test
    void sparkIsNotOnTheClassPathOfTrain() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.spark.SparkContext"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.jgrad.spark.train.SparkTrainer"));
    }
}

package dev.jgrad.examples.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {
    @TempDir
    Path dir;

    @Test
    void writesAPngOfTheRequestedSizeAndNoTemporaryFile() throws Exception {
        Path file = dir.resolve("sub/ppl.png");
        LineChart.builder().title("t").xLabel("epoch").yLabel("perplexity").logY().size(400, 300)
                .series("train", new double[] {30, 12, 5, 2.5})
                .series("other", new double[] {1, 2}, new double[] {3, 4})
                .writePng(file);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(400, img.getWidth());
        assertEquals(300, img.getHeight());
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "only the PNG remains, no temporary file");
        }
    }

    @Test
    void implicitXsCountFromOne() {
        LineChart c = LineChart.builder().series("s", new double[] {5, 6, 7}).build();
        assertArrayEquals(new double[] {1, 2, 3}, c.series().get(0).xs());
    }

    @Test
    void refusesBadSeriesWithAMessageNamingIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder().title("c").series("s", new double[] {1, 2}, new double[] {1}));
        assertTrue(e.getMessage().contains("'s'") && e.getMessage().contains("2 x values but 1 y values"), e.getMessage());
        var nonPositive = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder().title("c").logY().series("p", new double[] {1, 0}).build());
        assertTrue(nonPositive.getMessage().contains("logarithmic"), nonPositive.getMessage());
        var nan = assertThrows(IllegalArgumentException.class,
                () -> LineChart.builder().series("n", new double[] {1, Double.NaN}).build());
        assertTrue(nan.getMessage().contains("not finite"), nan.getMessage());
        assertThrows(IllegalStateException.class, () -> LineChart.builder().build());
    }
}

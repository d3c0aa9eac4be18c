import dev.jgrad.examples.chart.LineChart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Draws the per-epoch training perplexity of two metrics files (jgrad's {@code train --metrics} and
 * {@code scripts/torch/d2l_gru_train.py --metrics}) on one log-scale chart.
 *
 * <pre>java -cp examples/target/gru-examples.jar scripts/bench/D2lChart.java JGRAD.jsonl TORCH.jsonl OUT.png</pre>
 */
public final class D2lChart {
    private static final Pattern EPOCH = Pattern.compile("\"epoch\"\\s*:\\s*(\\d+)");
    private static final Pattern PERPLEXITY = Pattern.compile("\"perplexity\"\\s*:\\s*([0-9.eE+-]+)");

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: D2lChart JGRAD.jsonl TORCH.jsonl OUT.png");
            System.exit(2);
        }
        LineChart.Builder chart = LineChart.builder().title("d2l GRU on The Time Machine: training perplexity per epoch")
                .xLabel("epoch").yLabel("perplexity").logY().size(900, 520);
        series(chart, "jgrad", Path.of(args[0]), 0);
        series(chart, "PyTorch 1.13", Path.of(args[1]), 1);
        chart.build().writePng(Path.of(args[2]));
    }

    private static void series(LineChart.Builder chart, String name, Path file, int colour) throws IOException {
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        double[] xs = new double[lines.size()];
        double[] ys = new double[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            xs[i] = Double.parseDouble(find(EPOCH, lines.get(i), file));
            ys[i] = Double.parseDouble(find(PERPLEXITY, lines.get(i), file));
        }
        chart.series(name, xs, ys, new LineChart.Style(colour, LineChart.Dash.SOLID));
    }

    private static String find(Pattern p, String line, Path file) {
        Matcher m = p.matcher(line);
        if (!m.find()) {
            throw new IllegalArgumentException(file + ": no " + p.pattern() + " in " + line);
        }
        return m.group(1);
    }
}

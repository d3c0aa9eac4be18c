// Plots the perplexity per epoch of several metrics files (JSON lines with "epoch" and
// "perplexity", as written by `gru-examples train --metrics` and scripts/torch/d2l_gru_train.py)
// into one PNG, with the project's own chart code. Run from the repository root:
//
//   PLOT_OUT=docs/d2l-perplexity.png PLOT_TITLE="..." \
//   PLOT_FILES="jgrad=runs/jgrad-d2l.jsonl,PyTorch=runs/torch-d2l.jsonl" \
//   jshell --class-path examples/target/gru-examples.jar scripts/plot_perplexity.jsh
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jgrad.examples.chart.LineChart;
import java.nio.file.*;

var mapper = new ObjectMapper();
// (jshell reads statement by statement: a continued line must end with the dot)
var chart = LineChart.builder().title(System.getenv().getOrDefault("PLOT_TITLE", "perplexity per epoch")).
        xLabel("epoch").yLabel("perplexity").logY().size(900, 520);
for (String spec : System.getenv("PLOT_FILES").split(",")) {
    String[] kv = spec.split("=", 2);
    var lines = Files.readAllLines(Path.of(kv[1])).stream().filter(l -> !l.isBlank()).toList();
    double[] xs = new double[lines.size()];
    double[] ys = new double[lines.size()];
    for (int i = 0; i < lines.size(); i++) {
        var n = mapper.readTree(lines.get(i));
        xs[i] = n.get("epoch").asDouble();
        ys[i] = n.get("perplexity").asDouble();
    }
    chart.series(kv[0], xs, ys);
}
System.out.println("wrote " + chart.writePng(Path.of(System.getenv("PLOT_OUT"))));
/exit

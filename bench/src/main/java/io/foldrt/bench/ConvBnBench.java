package io.foldrt.bench;

import io.foldrt.ir.Graph;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One layer from resnet50 or mobilenet_v2, compiled by a FoldRT backend, in five forms:
 * <ul>
 *   <li>{@code conv}: the convolution alone (no BatchNorm): the floor;</li>
 *   <li>{@code conv_bn}: convolution then BatchNorm as a separate step (what an unfolded runtime does);</li>
 *   <li>{@code folded}: the planner's result, a convolution with bias and no BatchNorm;</li>
 *   <li>{@code conv_bn_relu} and {@code folded_relu}: the same with the ReLU that follows in the network (fused
 *       into the convolution where the planner can).</li>
 * </ul>
 * conv_bn - folded is what folding saves on that layer; folded - conv is what the bias costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g", "-XX:+UseParallelGC"})
public class ConvBnBench extends GraphBench {
    @Param({"r50_stem_7x7", "r50_l1_1x1_reduce", "r50_l1_3x3", "r50_l1_1x1_expand", "r50_l2_3x3", "r50_l3_3x3",
            "r50_l3_1x1_expand", "r50_l4_3x3", "mb2_stem_3x3", "mb2_dw_112", "mb2_expand_56", "mb2_dw_56",
            "mb2_project_14", "mb2_dw_7", "mb2_head_1x1"})
    public String shape;

    @Param({"conv", "conv_bn", "folded", "conv_bn_relu", "folded_relu"})
    public String variant;

    /** Batch of the layer benchmarks (named apart from ModelLatencyBench's batch, so -p batch=... leaves it alone). */
    @Param("1")
    public int layerBatch;

    @Setup(Level.Trial)
    public void setUp() {
        LayerShape s = LayerShape.named(shape);
        s.checkInZoo();
        boolean relu = variant.endsWith("_relu");
        Graph g = switch (variant) {
            case "conv" -> s.graph(false, false);
            case "conv_bn", "conv_bn_relu" -> Planner.plan(s.graph(true, relu), PlanOptions.unfolded().withProbe(false)).graph();
            case "folded", "folded_relu" -> Planner.plan(s.graph(true, relu), PlanOptions.defaults().withProbe(false)).graph();
            default -> throw new IllegalArgumentException("unknown variant '" + variant + "'");
        };
        open(g, layerBatch);
    }
}

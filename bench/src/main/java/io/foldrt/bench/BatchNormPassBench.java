package io.foldrt.bench;

import io.foldrt.ir.Graph;
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
 * The BatchNorm pass alone, on the output shape of a resnet50 / mobilenet_v2 layer ({@code bn}), against nothing
 * ({@code none}: the same one-node graph with Identity in place of BatchNorm, which costs the run's fixed overhead
 * and the copy into a fresh output array). bn - none is the time folding removes per layer, as measured in isolation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g", "-XX:+UseParallelGC"})
public class BatchNormPassBench extends GraphBench {
    @Param({"r50_stem_7x7", "r50_l1_1x1_reduce", "r50_l1_3x3", "r50_l1_1x1_expand", "r50_l2_3x3", "r50_l3_3x3",
            "r50_l3_1x1_expand", "r50_l4_3x3", "mb2_stem_3x3", "mb2_dw_112", "mb2_expand_56", "mb2_dw_56",
            "mb2_project_14", "mb2_dw_7", "mb2_head_1x1"})
    public String shape;

    @Param({"bn", "none"})
    public String variant;

    /** Batch of the layer benchmarks (named apart from ModelLatencyBench's batch, so -p batch=... leaves it alone). */
    @Param("1")
    public int layerBatch;

    @Setup(Level.Trial)
    public void setUp() {
        LayerShape s = LayerShape.named(shape);
        s.checkInZoo();
        Graph g = s.batchNormOnly(switch (variant) {
            case "bn" -> true;
            case "none" -> false;
            default -> throw new IllegalArgumentException("unknown variant '" + variant + "'");
        });
        open(g, layerBatch);
    }
}

package io.foldrt.bench;

import io.foldrt.ir.Graph;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
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
 * Whole-model forward latency with BatchNorm separate ({@code PlanOptions.unfolded()}) versus folded (the planner's
 * defaults), per batch size. Both keep the planner's activation fusion, so the only difference is the BatchNorm.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx6g", "-XX:+UseParallelGC"})
public class ModelLatencyBench extends GraphBench {
    @Param({"resnet18", "resnet50", "mobilenet_v2"})
    public String model;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"separate", "folded"})
    public String mode;

    @Setup(Level.Trial)
    public void setUp() {
        PlanOptions o = switch (mode) {
            case "separate" -> PlanOptions.unfolded();
            case "folded" -> PlanOptions.defaults();
            default -> throw new IllegalArgumentException("unknown mode '" + mode + "'");
        };
        Graph g = Planner.plan(ModelZoo.build(model), o.withProbe(false)).graph();
        open(g, batch);
    }
}

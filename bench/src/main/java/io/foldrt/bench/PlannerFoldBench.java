package io.foldrt.bench;

import io.foldrt.ir.Graph;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
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
 * Planner time per model: {@code fold} folds every BatchNorm and fuses activations (the work done once at load);
 * {@code fold_probe} adds the float64 error probe that the CLI runs by default. The planner never changes its input
 * graph, so one graph serves every call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-XX:+UseParallelGC"})
public class PlannerFoldBench {
    @Param({"resnet18", "resnet50", "mobilenet_v2"})
    public String model;

    @Param({"fold", "fold_probe"})
    public String work;

    private Graph graph;
    private PlanOptions options;

    @Setup(Level.Trial)
    public void setUp() {
        graph = ModelZoo.build(model);
        options = PlanOptions.defaults().withProbe(switch (work) {
            case "fold" -> false;
            case "fold_probe" -> true;
            default -> throw new IllegalArgumentException("unknown work '" + work + "'");
        });
    }

    @Benchmark
    public PlanResult plan() {
        return Planner.plan(graph, options);
    }
}

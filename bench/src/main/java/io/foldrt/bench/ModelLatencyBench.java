package io.foldrt.bench;

import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.util.Map;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * Whole-model forward latency with BatchNorm separate ({@code PlanOptions.unfolded()}) versus folded (the planner's
 * defaults), per batch size. Both keep the planner's activation fusion, so the only difference is the BatchNorm.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx6g", "-XX:+UseParallelGC"})
public class ModelLatencyBench {
    @Param({"resnet18", "resnet50", "mobilenet_v2"})
    public String model;

    @Param({"1", "8", "32"})
    public int batch;

    @Param({"separate", "folded"})
    public String mode;

    @Param("cpu")
    public String device;

    @Param("0")
    public int threads;

    private Backend backend;
    private Executable exe;
    private Map<String, Tensor> inputs;

    @Setup(Level.Trial)
    public void setUp() {
        PlanOptions o = switch (mode) {
            case "separate" -> PlanOptions.unfolded();
            case "folded" -> PlanOptions.defaults();
            default -> throw new IllegalArgumentException("unknown mode '" + mode + "'");
        };
        Graph g = Planner.plan(ModelZoo.build(model), o.withProbe(false)).graph();
        backend = Engines.open(device, threads);
        exe = backend.compile(g, batch);
        inputs = Engines.inputs(g, batch);
    }

    @Benchmark
    public Map<String, Tensor> forward() {
        return exe.run(inputs);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        exe.close();
        backend.close();
    }
}

package io.foldrt.backend.cuda.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.cuda.geometry.ConvPathRule.ConvPath;
import io.foldrt.backend.cuda.geometry.ConvPathRule.Mode;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.nativebind.CudnnException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The conv-path choice, the activation-arena planner, pooling and softmax views. */
class PlanningRulesTest {
    static final int PRECOMP = 1, WINOGRAD = 6;

    @Test
    void fusedPathRules() {
        assertEquals(Mode.PLAIN, ConvPathRule.decide(ConvPath.FUSED, false, Activation.NONE, WINOGRAD).mode());
        assertEquals(Mode.PLAIN, ConvPathRule.decide(ConvPath.ADD, false, Activation.NONE, WINOGRAD).mode());
        assertEquals(Mode.ADD, ConvPathRule.decide(ConvPath.ADD, true, Activation.RELU, PRECOMP).mode());
        var relu = ConvPathRule.decide(ConvPath.FUSED, true, Activation.RELU, WINOGRAD);
        assertEquals(Mode.FUSED_RELU, relu.mode());
        assertNull(relu.reason());
        // IDENTITY only with IMPLICIT_PRECOMP_GEMM
        assertEquals(Mode.FUSED_IDENTITY, ConvPathRule.decide(ConvPath.FUSED, true, Activation.NONE, PRECOMP).mode());
        var identity = ConvPathRule.decide(ConvPath.FUSED, true, Activation.NONE, WINOGRAD);
        assertEquals(Mode.ADD, identity.mode());
        assertTrue(identity.reason().contains("IMPLICIT_PRECOMP_GEMM"), identity.reason());
        // cuDNN fuses RELU only
        var relu6 = ConvPathRule.decide(ConvPath.FUSED, true, Activation.clip(0, 6), PRECOMP);
        assertEquals(Mode.ADD, relu6.mode());
        assertTrue(relu6.reason().contains("relu6"), relu6.reason());
        assertEquals(Mode.ADD, ConvPathRule.decide(ConvPath.FUSED, false, Activation.RELU, PRECOMP).mode());
    }

    @Test
    void fallbackOnRefusalInEitherNumberingButNotOnRealErrors() {
        assertTrue(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 9, false, null)));
        assertTrue(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 3, false, null)));
        assertTrue(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 3000, true, null)));
        assertTrue(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 2000, true, null)));
        assertTrue(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 3002, true, null)));
        assertFalse(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 8, false, null)));
        assertFalse(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 5000, true, null)));
        assertFalse(ConvPathRule.fallsBack(new CudnnException("cudnnConvolutionBiasActivationForward", 4000, true, null)));
    }

    @Test
    void plannerNeverOverlapsLiveTensorsAndReusesDeadOnes() {
        SplittableRandom rng = new SplittableRandom(8);
        for (int t = 0; t < 200; t++) {
            List<MemoryPlanner.Block> blocks = new ArrayList<>();
            int n = rng.nextInt(1, 40);
            for (int i = 0; i < n; i++) {
                int first = rng.nextInt(0, 30);
                blocks.add(new MemoryPlanner.Block(rng.nextLong(0, 10_000), first, first + rng.nextInt(0, 6)));
            }
            MemoryPlanner.Plan p = MemoryPlanner.plan(blocks, 256);
            long sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(0, p.offsets()[i] % 256);
                long ai = MemoryPlanner.align(blocks.get(i).bytes(), 256);
                sum += ai;
                assertTrue(p.offsets()[i] + ai <= p.totalBytes());
                for (int j = i + 1; j < n; j++) {
                    if (!blocks.get(i).overlapsInTime(blocks.get(j))) continue;
                    long aj = MemoryPlanner.align(blocks.get(j).bytes(), 256);
                    boolean apart = p.offsets()[i] + ai <= p.offsets()[j] || p.offsets()[j] + aj <= p.offsets()[i];
                    assertTrue(apart, "blocks " + i + " and " + j + " overlap");
                }
            }
            assertTrue(p.totalBytes() <= sum);
        }
        // a chain a->b->c: a and c can share memory
        var chain = MemoryPlanner.plan(List.of(new MemoryPlanner.Block(1000, 0, 1), new MemoryPlanner.Block(1000, 1, 2),
                new MemoryPlanner.Block(1000, 2, 3)), 256);
        assertEquals(2048, chain.totalBytes());
        assertEquals(chain.offsets()[0], chain.offsets()[2]);
    }

    @Test
    void poolingModes() {
        var max = PoolGeometry.of(new Op.MaxPool(Hw.of(3), Hw.of(2), new Pads(1, 1, 2, 2), Hw.ONE, true),
                new int[] {2, 3, 10, 10}, new int[] {2, 3, 6, 6});
        assertEquals(PoolGeometry.MAX, max.mode());
        assertEquals(6L * 36, max.outputElements());
        assertEquals(2, max.padBottom());
        assertEquals(PoolGeometry.AVERAGE_EXCLUDE_PAD, PoolGeometry.of(new Op.AveragePool(Hw.of(2), Hw.of(2), Pads.NONE,
                false, false), new int[] {1, 1, 4, 4}, new int[] {1, 1, 2, 2}).mode());
        var global = PoolGeometry.of(new Op.GlobalAveragePool(), new int[] {2, 8, 7, 5}, new int[] {2, 8, 1, 1});
        assertEquals(PoolGeometry.AVERAGE_INCLUDE_PAD, global.mode());
        assertEquals(7, global.kh());
        assertEquals(5, global.kw());
    }

    @Test
    void axisSplits() {
        assertEquals(new AxisSplit(6, 4, 5), AxisSplit.of(new int[] {2, 3, 4, 5}, 2, false));
        assertEquals(new AxisSplit(6, 20, 1), AxisSplit.of(new int[] {2, 3, 4, 5}, 2, true));
        assertEquals(new AxisSplit(24, 5, 1), AxisSplit.of(new int[] {2, 3, 4, 5}, -1, false));
        assertEquals(new AxisSplit(1, 2, 60), AxisSplit.of(new int[] {2, 3, 4, 5}, 0, false));
    }
}

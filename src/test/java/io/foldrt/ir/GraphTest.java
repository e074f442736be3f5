package io.foldrt.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphTest {

    @Test
    void builderInfersShapesForEveryBatch() {
        var b = new GraphBuilder("t", 1);
        String x = b.input("x", Shapes.BATCH, 3, 17, 17);
        String y = b.relu(b.batchNorm(b.conv(x, 8, 3, 3, new Hw(2, 1), new Pads(1, 0, 2, 1), new Hw(1, 2), 1, false)));
        b.output(b.flatten(b.globalAveragePool(y)));
        Graph g = b.build();
        for (int batch : new int[] {1, 5}) {
            Map<String, int[]> s = ShapeInference.infer(g, batch);
            // H: (17+1+2-3)/2+1 = 9; W: (17+0+1-(2*2+1))/1+1 = 14
            assertArrayEquals(new int[] {batch, 8, 9, 14}, s.get(g.nodes().get(0).output()));
            assertArrayEquals(new int[] {batch, 8}, s.get(g.outputs().get(0).name()));
        }
    }

    @Test
    void ceilModeDropsAWindowThatStartsInTheEndPadding() {
        var b = new GraphBuilder("t", 1);
        String x = b.input("x", 1, 1, 5, 5);
        b.output(b.node(new Op.MaxPool(Hw.of(2), Hw.of(2), new Pads(0, 0, 1, 1), Hw.ONE, true), x));
        // ceil((5+1-2)/2)+1 = 3 windows starting at 0, 2, 4: all start inside the input, so 3 remain.
        assertArrayEquals(new int[] {1, 1, 3, 3}, ShapeInference.infer(b.build(), 1).get(b.build().outputs().get(0).name()));
        var c = new GraphBuilder("t", 1);
        String x2 = c.input("x", 1, 1, 4, 4);
        c.output(c.node(new Op.MaxPool(Hw.of(2), Hw.of(2), new Pads(0, 0, 1, 1), Hw.ONE, true), x2));
        // ceil((4+1-2)/2)+1 = 3, but the third window would start at 4 = inside the end padding only: dropped.
        assertArrayEquals(new int[] {1, 1, 2, 2}, ShapeInference.infer(c.build(), 1).get(c.build().outputs().get(0).name()));
    }

    @Test
    void rejectsUseBeforeDefinitionNamingTheNode() {
        var relu = new Node("r1", new Op.Relu(), List.of("nowhere"), List.of("y"));
        var e = assertThrows(ModelException.class, () -> new Graph("g", List.of(new ValueInfo("x", new int[] {1})),
                List.of(new ValueInfo("y", new int[] {1})), List.of(relu), Map.of()));
        assertTrue(e.getMessage().contains("'r1'") && e.getMessage().contains("'nowhere'"), e.getMessage());
    }

    @Test
    void shapeErrorsNameNodeAndExpectation() {
        var b = new GraphBuilder("t", 1);
        String x = b.input("x", 1, 3, 8, 8);
        String w = b.constant("w", Tensor.zeros(4, 2, 3, 3));
        var e = assertThrows(ModelException.class,
                () -> b.node("badconv", new Op.Conv(Hw.ONE, Pads.NONE, Hw.ONE, 1, Activation.NONE), List.of(x, w), List.of("y")));
        assertTrue(e.getMessage().startsWith("node 'badconv' (Conv): X has 3 channels"), e.getMessage());
    }

    @Test
    void tensorsAndGraphsHaveValueEquality() {
        Graph a = tiny(), c = tiny();
        assertEquals(a, c);
        assertEquals(Tensor.of(new int[] {2}, 1f, 2f), Tensor.of(new int[] {2}, 1f, 2f));
    }

    private static Graph tiny() {
        var b = new GraphBuilder("t", 7);
        b.output(b.relu(b.batchNorm(b.conv(b.input("x", Shapes.BATCH, 2, 4, 4), 3, 1, 1, 0))));
        return b.build();
    }

    @Test
    void hugeReshapeIsAModelErrorNotAnArithmeticException() {
        var b = new GraphBuilder("t", 1);
        String x = b.input("x", 1, 4);
        var e = assertThrows(ModelException.class, () -> b.reshape(x, 1L << 40, -1));
        assertTrue(e.getMessage().contains("(Reshape): output shape overflows"), e.getMessage());
        var g = new Graph("g", List.of(new ValueInfo("x", new int[] {Shapes.BATCH, 65536, 65536})),
                List.of(new ValueInfo("y", new int[0])),
                List.of(new Node("f", new Op.Flatten(1), List.of("x"), List.of("y"))), Map.of());
        var e2 = assertThrows(ModelException.class, () -> ShapeInference.infer(g, 4));
        assertTrue(e2.getMessage().startsWith("node 'f' (Flatten): output shape overflows"), e2.getMessage());
    }
}

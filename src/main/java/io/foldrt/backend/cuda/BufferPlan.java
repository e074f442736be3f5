package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.geometry.MemoryPlanner;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every value of a graph lives on the device, for one batch size. Initializers go to a weights
 * buffer; graph inputs, node outputs and per-node scratch go to one activation arena whose regions are
 * reused once a value is dead (liveness over the node order). Flatten, Reshape and Identity produce no data:
 * their output is the input's memory, and the input then stays alive as long as any alias is used. Pure
 * arithmetic, no device calls.
 *
 * <p>Steps: graph inputs are written at step 0, node i runs at step i+1, graph outputs are read after the
 * last node (step nodes+1).
 */
public final class BufferPlan {
    /** Byte alignment of every region (cuDNN and vectorised kernels like 256). */
    public static final long ALIGNMENT = 256;

    /** Which buffer a value is in. */
    public enum Area { WEIGHTS, ARENA }

    public record Location(Area area, long offset, long bytes) {}

    private final Map<String, Location> locations;
    private final Map<String, Location> scratch;
    private final Map<String, String> aliasOf;
    private final long weightBytes, arenaBytes;

    private BufferPlan(Map<String, Location> locations, Map<String, Location> scratch, Map<String, String> aliasOf,
                       long weightBytes, long arenaBytes) {
        this.locations = locations;
        this.scratch = scratch;
        this.aliasOf = aliasOf;
        this.weightBytes = weightBytes;
        this.arenaBytes = arenaBytes;
    }

    /** True for ops whose output is their input's memory, reinterpreted. */
    public static boolean isAlias(Op op) {
        return op instanceof Op.Flatten || op instanceof Op.Reshape || op instanceof Op.Identity;
    }

    /**
     * @param shapes       every value's shape (ShapeInference)
     * @param scratchBytes per node name, temporary device memory the node needs while it runs
     */
    public static BufferPlan of(Graph g, Map<String, int[]> shapes, Map<String, Long> scratchBytes) {
        Map<String, String> alias = aliases(g);
        Map<String, Location> locations = new LinkedHashMap<>();

        // Weights: every initializer a node or a graph output reads, packed once.
        long w = 0;
        for (var e : g.initializers().entrySet()) {
            if (!isRead(g, e.getKey())) continue;
            long bytes = 4L * e.getValue().size();
            locations.put(e.getKey(), new Location(Area.WEIGHTS, w, bytes));
            w += MemoryPlanner.align(bytes, ALIGNMENT);
        }

        // Arena blocks: graph inputs, node outputs that own memory, node scratch.
        List<String> owners = new ArrayList<>();
        Map<String, int[]> life = new HashMap<>(); // value -> {first, last}
        for (ValueInfo v : g.inputs()) {
            if (g.initializers().containsKey(v.name())) continue;
            owners.add(v.name());
            life.put(v.name(), new int[] {0, 0});
        }
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            for (String out : n.outputs()) {
                if (out.isEmpty() || alias.containsKey(out)) continue;
                owners.add(out);
                life.put(out, new int[] {i + 1, i + 1});
            }
        }
        for (int i = 0; i < g.nodes().size(); i++) {
            for (String in : g.nodes().get(i).inputs()) extend(life, root(alias, in), i + 1);
        }
        int end = g.nodes().size() + 1;
        for (ValueInfo v : g.outputs()) extend(life, root(alias, v.name()), end);

        List<MemoryPlanner.Block> blocks = new ArrayList<>();
        List<String> blockNames = new ArrayList<>();
        for (String v : owners) {
            int[] l = life.get(v);
            blocks.add(new MemoryPlanner.Block(4 * Shapes.elementCount(shapes.get(v)), l[0], l[1]));
            blockNames.add(v);
        }
        List<String> scratchNodes = new ArrayList<>();
        for (int i = 0; i < g.nodes().size(); i++) {
            Long s = scratchBytes.get(g.nodes().get(i).name());
            if (s == null || s == 0) continue;
            blocks.add(new MemoryPlanner.Block(s, i + 1, i + 1));
            scratchNodes.add(g.nodes().get(i).name());
        }
        MemoryPlanner.Plan p = MemoryPlanner.plan(blocks, ALIGNMENT);
        for (int b = 0; b < blockNames.size(); b++) {
            locations.put(blockNames.get(b), new Location(Area.ARENA, p.offsets()[b], blocks.get(b).bytes()));
        }
        Map<String, Location> scratch = new HashMap<>();
        for (int s = 0; s < scratchNodes.size(); s++) {
            int b = blockNames.size() + s;
            scratch.put(scratchNodes.get(s), new Location(Area.ARENA, p.offsets()[b], blocks.get(b).bytes()));
        }
        // Aliases resolve to their root's memory.
        for (var e : alias.entrySet()) {
            Location r = locations.get(root(alias, e.getKey()));
            if (r != null) locations.put(e.getKey(), r);
        }
        return new BufferPlan(locations, scratch, alias, w, p.totalBytes());
    }

    /** value -> the value whose memory it is (one level; {@link #root} follows chains). */
    private static Map<String, String> aliases(Graph g) {
        Map<String, String> alias = new HashMap<>();
        for (Node n : g.nodes()) {
            if (isAlias(n.op())) alias.put(n.output(), n.input(0));
            if (n.op() instanceof Op.BatchNorm) {
                // Inference BN may name its running mean/var as extra outputs: they are the inputs unchanged.
                for (int i = 1; i < n.outputs().size() && i < 3; i++) {
                    if (!n.outputs().get(i).isEmpty()) alias.put(n.outputs().get(i), n.input(2 + i));
                }
            }
        }
        return alias;
    }

    private static String root(Map<String, String> alias, String v) {
        String r = v;
        while (alias.containsKey(r)) r = alias.get(r);
        return r;
    }

    private static void extend(Map<String, int[]> life, String v, int step) {
        int[] l = life.get(v);
        if (l != null) l[1] = Math.max(l[1], step);
    }

    private static boolean isRead(Graph g, String value) {
        for (Node n : g.nodes()) if (n.inputs().contains(value)) return true;
        return g.isGraphOutput(value);
    }

    /** The memory of {@code value} (an alias reports its root's memory). */
    public Location location(String value) {
        Location l = locations.get(value);
        if (l == null) throw new IllegalArgumentException("no memory planned for value '" + value + "'");
        return l;
    }

    /** Scratch memory of a node, or null. */
    public Location scratch(String node) {
        return scratch.get(node);
    }

    /** The value whose memory {@code value} shares, or {@code value} itself. */
    public String root(String value) {
        return root(aliasOf, value);
    }

    /** Initializers in the weights buffer, in upload order. */
    public Map<String, Location> weights() {
        Map<String, Location> m = new LinkedHashMap<>();
        locations.forEach((k, v) -> {
            if (v.area() == Area.WEIGHTS && !aliasOf.containsKey(k)) m.put(k, v);
        });
        return m;
    }

    public long weightBytes() {
        return weightBytes;
    }

    public long arenaBytes() {
        return arenaBytes;
    }
}

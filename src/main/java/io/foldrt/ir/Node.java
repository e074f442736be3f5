package io.foldrt.ir;

import java.util.List;

/** One operator application. Inputs and outputs are value names; an omitted optional input is "". */
public record Node(String name, Op op, List<String> inputs, List<String> outputs) {
    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        if (outputs.isEmpty()) throw new ModelException("node '" + name + "' has no outputs");
    }

    /** Input i, or "" when absent. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output() {
        return outputs.get(0);
    }

    @Override
    public String toString() {
        return name + ":" + op.type() + inputs + "->" + outputs;
    }
}

package io.foldrt.cli;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.ValueInfo;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Binds {@code --input} / {@code --output} arguments to model values. An argument is {@code NAME=FILE} when the
 * text before the first {@code '='} is the name of a model value, and otherwise a file for the model's first
 * value; so paths that contain {@code '='} still work.
 */
final class Bindings {
    private Bindings() {}

    /**
     * @param option "--input" or "--output", for messages
     * @return file by value name, in the order given
     */
    static Map<String, Path> bind(List<String> args, List<ValueInfo> values, String option) {
        Map<String, Path> out = new LinkedHashMap<>();
        boolean unnamedSeen = false;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : null;
            boolean named = name != null && values.stream().anyMatch(v -> v.name().equals(name));
            String file = named ? arg.substring(eq + 1) : arg;
            if (!named) {
                if (eq > 0 && !Files.exists(asPath(arg, option))) {
                    throw new ModelException(option + " " + arg + ": the model has no " + option.substring(2) + " '"
                            + name + "' and there is no such file (model " + option.substring(2) + "s: " + list(values) + ")");
                }
                if (unnamedSeen) {
                    throw new ModelException(option + " is given twice without a name; write " + option
                            + " NAME=FILE (model " + option.substring(2) + "s: " + list(values) + ")");
                }
                unnamedSeen = true;
            }
            if (file.isEmpty()) throw new ModelException(option + " " + arg + ": missing file name");
            String target = named ? name : values.get(0).name();
            if (out.put(target, asPath(file, option)) != null) {
                throw new ModelException(option + " for '" + target + "' is given twice");
            }
        }
        return out;
    }

    /** Fails unless every value has a file. */
    static void requireAll(Map<String, Path> bound, List<ValueInfo> values, String option) {
        for (ValueInfo v : values) {
            if (!bound.containsKey(v.name())) {
                throw new ModelException("no " + option + " for model " + option.substring(2) + " '" + v.name() + "' "
                        + Shapes.str(v.shape()) + "; write " + option + " " + v.name() + "=FILE (model "
                        + option.substring(2) + "s: " + list(values) + ")");
            }
        }
    }

    private static Path asPath(String s, String option) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new ModelException(option + " " + s + ": not a valid path (" + e.getReason() + ")");
        }
    }

    private static String list(List<ValueInfo> values) {
        StringJoiner j = new StringJoiner(", ");
        for (ValueInfo v : values) j.add(v.name() + Shapes.str(v.shape()));
        return j.toString();
    }
}

package io.foldrt.runtime;

import io.foldrt.ir.ModelException;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a model runs: {@code auto} (CUDA when it can be used here, else CPU), {@code cpu}, or a CUDA GPU by
 * ordinal. Written on the command line as {@code auto}, {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N}.
 *
 * @param ordinal the GPU index for {@link Kind#CUDA}; always 0 for the other kinds
 */
public record Device(Kind kind, int ordinal) {
    public enum Kind { AUTO, CPU, CUDA }

    public Device {
        Objects.requireNonNull(kind, "kind");
        if (ordinal < 0) throw new ModelException("device ordinal must be >= 0, got " + ordinal);
        if (kind != Kind.CUDA && ordinal != 0) {
            throw new ModelException("only cuda devices have an ordinal; got " + kind.name().toLowerCase(Locale.ROOT)
                    + ":" + ordinal);
        }
    }

    public static Device auto() {
        return new Device(Kind.AUTO, 0);
    }

    public static Device cpu() {
        return new Device(Kind.CPU, 0);
    }

    public static Device cuda(int ordinal) {
        return new Device(Kind.CUDA, ordinal);
    }

    /**
     * Parses {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} (case-insensitive, surrounding spaces
     * ignored).
     *
     * @throws ModelException for anything else, with a one-line message listing the accepted forms
     */
    public static Device parse(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        switch (s) {
            case "auto": return auto();
            case "cpu": return cpu();
            case "cuda": return cuda(0);
            default: break;
        }
        if (s.startsWith("cuda:") && s.length() > 5 && s.length() <= 14 && s.substring(5).chars().allMatch(Character::isDigit)) {
            long n = Long.parseLong(s.substring(5));
            if (n <= Integer.MAX_VALUE) return cuda((int) n);
        }
        throw new ModelException("unknown device '" + text + "' (expected auto, cpu, cuda or cuda:N)");
    }

    /** The kind's name as used by backend providers and on the command line: "auto", "cpu", "cuda". */
    public String kindName() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    /** The parseable form: "auto", "cpu" or "cuda:N". */
    @Override
    public String toString() {
        return kind == Kind.CUDA ? "cuda:" + ordinal : kindName();
    }
}

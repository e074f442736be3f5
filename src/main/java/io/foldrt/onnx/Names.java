package io.foldrt.onnx;

import java.util.HashSet;
import java.util.Set;

/** Quoting of names taken from a file (for one-line messages) and generation of fresh value names. */
final class Names {
    private static final int MAX_QUOTED = 120;

    private final Set<String> taken = new HashSet<>();

    /** Marks {@code name} as used, so {@link #fresh} will not return it. */
    void reserve(String name) {
        taken.add(name);
    }

    /** {@code base} if unused, else {@code base_2}, {@code base_3}, ...; the result is reserved. */
    String fresh(String base) {
        String n = base;
        for (int i = 2; !taken.add(n); i++) n = base + "_" + i;
        return n;
    }

    /** A name in single quotes, safe for a one-line message (see {@link #clean}). */
    static String q(String name) {
        return "'" + clean(name) + "'";
    }

    /**
     * Text from an untrusted file made safe for a one-line message: control and line-separator characters
     * are escaped and very long text is shortened.
     */
    static String clean(String text) {
        StringBuilder sb = new StringBuilder();
        int n = Math.min(text.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (text.length() > n) sb.append("...");
        return sb.toString();
    }
}

package io.foldrt.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the header of a .npy file: a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 *
 * <p>Only the literal forms NumPy writes are accepted: strings in single or double quotes, {@code True},
 * {@code False}, {@code None}, integers (with the {@code L} suffix of Python 2 era files) and tuples or lists of
 * those. NumPy itself evaluates the header with {@code ast.literal_eval}; a hand-written parser for this
 * subset avoids any notion of evaluation. Errors are {@link IllegalArgumentException}s whose message says what
 * was found where; {@link Npy} turns them into one-line messages that name the file.
 */
final class NpyHeader {
    /** The three entries every .npy header has. */
    record Fields(Object descr, Object fortranOrder, Object shape) {}

    private final String text;
    private int pos;

    private NpyHeader(String text) {
        this.text = text;
    }

    /** Parses the dict and returns its three required entries (values as parsed, not yet checked). */
    static Fields parse(String header) {
        NpyHeader p = new NpyHeader(header);
        Object value = p.value();
        p.skipSpace();
        if (p.pos != p.text.length()) throw p.error("unexpected text after the dict");
        if (!(value instanceof Map<?, ?> dict)) throw new IllegalArgumentException("header is not a dict");
        for (Object key : dict.keySet()) {
            if (!"descr".equals(key) && !"fortran_order".equals(key) && !"shape".equals(key)) {
                throw new IllegalArgumentException("unexpected key " + key + " (expected descr, fortran_order, shape)");
            }
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return new Fields(dict.get("descr"), dict.get("fortran_order"), dict.get("shape"));
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) throw error("header ends where a value was expected");
        char c = text.charAt(pos);
        if (c == '{') return dict();
        if (c == '(' || c == '[') return sequence(c == '(' ? ')' : ']');
        if (c == '\'' || c == '"') return string();
        if (c == '-' || Character.isDigit(c)) return integer();
        if (text.startsWith("True", pos)) return word("True", Boolean.TRUE);
        if (text.startsWith("False", pos)) return word("False", Boolean.FALSE);
        if (text.startsWith("None", pos)) return word("None", NONE);
        throw error("unexpected character '" + c + "'");
    }

    /** Stands for Python's None (a null would be ambiguous with "missing"). */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private Map<Object, Object> dict() {
        pos++; // '{'
        Map<Object, Object> m = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek('}')) {
                pos++;
                return m;
            }
            Object key = value();
            skipSpace();
            expect(':');
            Object v = value();
            if (m.put(key, v) != null) throw error("key " + key + " appears twice");
            skipSpace();
            if (peek(',')) {
                pos++;
            } else if (!peek('}')) {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> sequence(char close) {
        pos++; // '(' or '['
        List<Object> items = new ArrayList<>();
        while (true) {
            skipSpace();
            if (peek(close)) {
                pos++;
                return items;
            }
            items.add(value());
            skipSpace();
            if (peek(',')) {
                pos++;
            } else if (!peek(close)) {
                throw error("expected ',' or '" + close + "'");
            }
        }
    }

    private String string() {
        char quote = text.charAt(pos++);
        int start = pos;
        while (pos < text.length() && text.charAt(pos) != quote) {
            // dtype strings never contain escapes; refusing them keeps the parser honest about what it handles
            if (text.charAt(pos) == '\\') throw error("escape sequences in strings are not supported");
            pos++;
        }
        if (pos >= text.length()) throw error("unterminated string");
        return text.substring(start, pos++);
    }

    private Long integer() {
        int start = pos;
        if (peek('-')) pos++;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
        String digits = text.substring(start, pos);
        if (peek('L')) pos++; // Python 2 long literal, as old NumPy wrote shapes
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("bad integer '" + digits + "'");
        }
    }

    private Object word(String w, Object v) {
        pos += w.length();
        return v;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void expect(char c) {
        if (!peek(c)) throw error("expected '" + c + "'");
        pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + pos);
    }
}

package io.foldrt.nativebind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;

/**
 * Compact builder for the signature tables, in the facts file's shorthand: I = int or enum, J = size_t /
 * long long, D = double, A = pointer or handle; the first letter is the return type, V for void.
 */
final class Sig {
    private Sig() {}

    static FunctionDescriptor of(String shorthand) {
        MemoryLayout[] args = new MemoryLayout[shorthand.length() - 1];
        for (int i = 1; i < shorthand.length(); i++) args[i - 1] = layout(shorthand.charAt(i));
        char ret = shorthand.charAt(0);
        return ret == 'V' ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(layout(ret), args);
    }

    private static MemoryLayout layout(char c) {
        return switch (c) {
            case 'I' -> JAVA_INT;
            case 'J' -> JAVA_LONG;
            case 'D' -> JAVA_DOUBLE;
            case 'A' -> ADDRESS;
            default -> throw new IllegalArgumentException("bad signature letter " + c);
        };
    }
}

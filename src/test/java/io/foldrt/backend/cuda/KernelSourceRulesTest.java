package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernel sources follow the rules that let the emulator run the same source on the host, and the Java
 * launch signatures ({@link Kernels.Kernel}) match the .cu prototypes parameter for parameter.
 */
class KernelSourceRulesTest {
    private static final Path DIR = Path.of("src/main/cuda");
    private static final Pattern PROTOTYPE = Pattern.compile("^extern \"C\" __global__ void (\\w+)\\((.*)\\)\\s*$");
    private static final Pattern PARAM = Pattern.compile("^(const )?(float|double|int|long long)(\\*)? \\w+$");
    private static final Set<String> ALLOWED_CALLS = Set.of("sqrt", "rsqrt", "fma", "fmin", "fmax", "exp", "expf");
    private static final Set<String> KEYWORDS = Set.of("if", "for", "while", "return", "switch", "sizeof");
    private static final Set<String> BUILTINS = Set.of("blockIdx", "blockDim", "threadIdx", "gridDim");
    private static final List<String> FORBIDDEN = List.of("__shared__", "__syncthreads", "atomic", "__shfl", "__ballot",
            "__any", "__all", "__activemask", "warpSize", "#include", "__device__", "__restrict__", "template", "asm");

    @Test
    void everyKernelFollowsTheRulesAndMatchesItsJavaSignature() throws IOException {
        Map<String, String> found = new HashMap<>(); // module.function -> signature
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                String module = f.getFileName().toString().replace(".cu", "");
                String src = Files.readString(f);
                String code = stripComments(src);
                for (String bad : FORBIDDEN) assertFalse(code.contains(bad), f + " uses " + bad);
                for (String line : code.split("\n")) {
                    if (!line.contains("__global__")) continue;
                    Matcher m = PROTOTYPE.matcher(line);
                    assertTrue(m.matches(), f + ": prototype must be one line 'extern \"C\" __global__ void f(...)': " + line);
                    StringBuilder sig = new StringBuilder();
                    for (String p : m.group(2).split(",\\s*")) {
                        Matcher pm = PARAM.matcher(p.trim());
                        assertTrue(pm.matches(), f + ": parameter type not allowed: '" + p + "'");
                        sig.append(pm.group(3) != null ? 'P' : switch (pm.group(2)) {
                            case "int" -> 'I';
                            case "long long" -> 'J';
                            case "float" -> 'F';
                            default -> 'D';
                        });
                    }
                    found.put(module + "." + m.group(1), sig.toString());
                }
                String body = code.replaceAll("(?m)^extern \"C\" __global__ .*$", "");
                Matcher member = Pattern.compile("(\\w+)\\s*\\.\\s*([xyz])\\b").matcher(body);
                while (member.find()) {
                    assertTrue(BUILTINS.contains(member.group(1)), f + ": only blockIdx/blockDim/threadIdx/gridDim may be indexed, found "
                            + member.group());
                }
                Matcher call = Pattern.compile("\\b([A-Za-z_]\\w*)\\s*\\(").matcher(body);
                while (call.find()) {
                    String name = call.group(1);
                    if (KEYWORDS.contains(name)) continue;
                    assertTrue(ALLOWED_CALLS.contains(name), f + ": call of " + name + " is outside the allowed device math");
                }
            }
        }
        for (Kernels.Kernel k : Kernels.Kernel.values()) {
            String sig = found.remove(k.module + "." + k.function);
            if (sig == null) fail("no kernel " + k.function + " in " + k.module + ".cu");
            assertEquals(sig, k.signature, k + " signature differs from the .cu prototype");
        }
        assertTrue(found.isEmpty(), "kernels without a Java entry: " + found.keySet());
    }

    @Test
    void aRuleViolationIsDetected() {
        // the checker itself: a shared-memory kernel and a two-line prototype are caught
        assertTrue(stripComments("__shared__ float s[32]; // x").contains("__shared__"));
        assertFalse(PROTOTYPE.matcher("extern \"C\" __global__ void f(float* x,").matches());
        assertFalse(PARAM.matcher("size_t n").matches());
        assertFalse(PARAM.matcher("unsigned int n").matches());
        assertTrue(PARAM.matcher("const long long* off").matches());
    }

    static String stripComments(String s) {
        return s.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", "");
    }
}

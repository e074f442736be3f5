package io.foldrt.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Cross-checks every java.lang.foreign signature the project binds against an independent declaration of the
 * real headers: the JavaCPP-generated classes of org.bytedeco:cuda 13.1-9.19 (cuDNN 9.19, cuBLAS 13, NVRTC 13,
 * CUDA 13.1 driver API). Those classes are read as class files with java.lang.classfile, never loaded, so their
 * static initialisers (which would load native CUDA libraries) never run.
 *
 * <p>Mapping of a JavaCPP method to the facts file's shorthand: int -> I, long (size_t, long long) -> J, float -> F,
 * double -> D, byte (C char) -> B, void -> V, any reference type (Pointer subclasses, arrays, buffers, String) -> A.
 * JavaCPP emits overloads for pointer parameters; they all map to the same shorthand. A driver name with an ABI
 * suffix (_v2) that the CUDA 13 header only declares through a macro is looked up by its base name too.
 */
class NativeSignatureCheckTest {
    static final List<String> HEADER_CLASSES = List.of("cudnn", "cublas", "nvrtc", "cudart");
    static final List<String> BINDING_CLASSES = List.of("Cudnn", "Cublas", "Nvrtc", "LibCuda");

    static final Map<String, Set<String>> DECLARED = new HashMap<>();
    static final Map<String, Object> CONSTANTS = new HashMap<>();

    static {
        for (String c : HEADER_CLASSES) read("org/bytedeco/cuda/global/" + c + ".class");
    }

    private static void read(String resource) {
        byte[] bytes;
        try (InputStream in = NativeSignatureCheckTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException(resource + " not on the test classpath (org.bytedeco:cuda)");
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ClassModel model = ClassFile.of().parse(bytes);
        for (MethodModel m : model.methods()) {
            if (!m.flags().has(java.lang.reflect.AccessFlag.STATIC) || !m.flags().has(java.lang.reflect.AccessFlag.NATIVE)) continue;
            DECLARED.computeIfAbsent(m.methodName().stringValue(), k -> new TreeSet<>()).add(shorthand(m.methodTypeSymbol()));
        }
        for (FieldModel f : model.fields())
            f.findAttribute(Attributes.constantValue())
                    .ifPresent(cv -> CONSTANTS.put(f.fieldName().stringValue(), cv.constant().constantValue()));
    }

    static char letter(ClassDesc d) {
        if (!d.isPrimitive()) return 'A';
        if (d.equals(ConstantDescs.CD_int)) return 'I';
        if (d.equals(ConstantDescs.CD_long)) return 'J';
        if (d.equals(ConstantDescs.CD_float)) return 'F';
        if (d.equals(ConstantDescs.CD_double)) return 'D';
        if (d.equals(ConstantDescs.CD_byte)) return 'B';
        if (d.equals(ConstantDescs.CD_void)) return 'V';
        return '?'; // boolean, short, char: never a C type JavaCPP uses here
    }

    static String shorthand(MethodTypeDesc t) {
        StringBuilder s = new StringBuilder().append(letter(t.returnType()));
        for (ClassDesc p : t.parameterList()) s.append(letter(p));
        return s.toString();
    }

    static char letter(MemoryLayout l) {
        if (l instanceof java.lang.foreign.AddressLayout) return 'A';
        if (l.equals(ValueLayout.JAVA_INT)) return 'I';
        if (l.equals(ValueLayout.JAVA_LONG)) return 'J';
        if (l.equals(ValueLayout.JAVA_FLOAT)) return 'F';
        if (l.equals(ValueLayout.JAVA_DOUBLE)) return 'D';
        if (l.equals(ValueLayout.JAVA_BYTE)) return 'B';
        return '?';
    }

    static String shorthand(FunctionDescriptor fd) {
        StringBuilder s = new StringBuilder().append(fd.returnLayout().map(NativeSignatureCheckTest::letter).orElse('V'));
        for (MemoryLayout p : fd.argumentLayouts()) s.append(letter(p));
        return s.toString();
    }

    /** The header declarations of a bound name (the name itself, else its base name without an _vN suffix). */
    static Set<String> declaredFor(String name) {
        Set<String> d = DECLARED.get(name);
        if (d == null && name.matches(".*_v\\d+")) d = DECLARED.get(name.replaceAll("_v\\d+$", ""));
        return d;
    }

    /** Problems of one binding table; empty when every entry is declared with the same kinds and arity. */
    static List<String> mismatches(String owner, Map<String, FunctionDescriptor> table) {
        List<String> bad = new ArrayList<>();
        table.forEach((name, fd) -> {
            Set<String> declared = declaredFor(name);
            String mine = shorthand(fd);
            if (declared == null) bad.add(owner + "." + name + ": not declared by the cuDNN/cuBLAS/NVRTC/CUDA headers");
            else if (!declared.contains(mine))
                bad.add(owner + "." + name + ": bound as " + mine + ", header declares " + declared);
        });
        return bad;
    }

    @Test
    void theHeaderReaderSeesKnownPrototypesAndConstants() {
        // From the facts file (§3.1, §5.1, §6.1): if the class-file reading or the mapping were wrong these differ.
        assertTrue(DECLARED.get("cudnnConvolutionForward").contains("IAAAAAAAIAJAAA"));
        assertTrue(DECLARED.get("cudnnBatchNormalizationForwardInference").contains("IAIAAAAAAAAAAAD"));
        assertEquals(Set.of("J"), DECLARED.get("cudnnGetVersion"));
        assertTrue(DECLARED.get("cudnnGetLastErrorString").contains("VAJ"));
        assertTrue(DECLARED.get("cublasSgemm_v2").contains("IAIIIIIAAIAIAAI"));
        assertTrue(DECLARED.get("nvrtcCreateProgram").contains("IAAAIAA"));
        assertTrue(declaredFor("cuEventElapsedTime_v2").contains("IAAA"));
        assertEquals(2000, CONSTANTS.get("CUDNN_STATUS_BAD_PARAM"));
        assertEquals(7, CONSTANTS.get("CUBLAS_STATUS_INVALID_VALUE"));
        assertEquals(2, CONSTANTS.get("CU_EVENT_DISABLE_TIMING"));
        // and the checker itself rejects a wrong arity, a wrong kind and an unknown name
        FunctionDescriptor wrongKind = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        FunctionDescriptor wrongArity = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        assertEquals(3, mismatches("Probe", Map.of("cudnnSetConvolutionGroupCount", wrongKind, "cudnnSetStream", wrongArity,
                "cudnnNoSuchFunction", wrongArity)).size());
        assertEquals(List.of(), mismatches("Probe", Map.of("cudnnSetStream",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS))));
    }

    @SuppressWarnings("unchecked")
    @Test
    void everyBoundFunctionAndConstantMatchesTheRealHeaders() throws Exception {
        List<Class<?>> bindings = new ArrayList<>();
        for (String n : BINDING_CLASSES) {
            try {
                bindings.add(Class.forName(getClass().getPackageName() + "." + n, false, getClass().getClassLoader()));
            } catch (ClassNotFoundException notYet) {
                // a binding class that does not exist (yet) has nothing to check
            }
        }
        Assumptions.assumeFalse(bindings.isEmpty(), "no io.foldrt.nativebind binding classes on the classpath");
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (Class<?> c : bindings) {
            Method m = c.getMethod("signatures");
            Map<String, FunctionDescriptor> table = (Map<String, FunctionDescriptor>) m.invoke(null);
            bad.addAll(mismatches(c.getSimpleName(), table));
            checked += table.size();
            for (Field f : c.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) || !Modifier.isFinal(f.getModifiers())) continue;
                if (f.getType() != int.class && f.getType() != long.class) continue;
                Object header = CONSTANTS.get(f.getName());
                if (header == null) continue; // a project constant with no header namesake
                Object mine = f.get(null);
                if (((Number) header).longValue() != ((Number) mine).longValue())
                    bad.add(c.getSimpleName() + "." + f.getName() + " = " + mine + ", header says " + header);
            }
        }
        assertTrue(checked > 0, "binding classes exist but declare no signatures");
        assertEquals(List.of(), bad, "bindings that differ from the headers");
    }
}

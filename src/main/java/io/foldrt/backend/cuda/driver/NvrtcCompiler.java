package io.foldrt.backend.cuda.driver;

import io.foldrt.nativebind.Nvrtc;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** Compiles a kernel source with NVRTC for one GPU: a CUBIN for the exact sm, or PTX when NVRTC gives no CUBIN. */
final class NvrtcCompiler {
    private NvrtcCompiler() {}

    /** @param cubin true for a CUBIN image, false for NUL-less PTX text */
    record Result(byte[] image, boolean cubin, String description) {}

    /** The NVRTC options: the real architecture (no driver JIT needed) and no FMA contraction, as in build-ptx.sh. */
    static List<String> options(int ccMajor, int ccMinor) {
        return List.of("--gpu-architecture=sm_" + ccMajor + ccMinor, "--fmad=false");
    }

    static Result compile(String source, String fileName, int ccMajor, int ccMinor) {
        Nvrtc nvrtc = Nvrtc.load();
        int[] v = nvrtc.version();
        MemorySegment program = nvrtc.createProgram(source, fileName);
        try {
            int rc = nvrtc.compileProgram(program, options(ccMajor, ccMinor));
            if (rc != 0) throw nvrtc.fail("nvrtcCompileProgram(" + fileName + ")", rc, nvrtc.programLog(program));
            byte[] cubin = nvrtc.cubin(program);
            String who = "NVRTC " + v[0] + "." + v[1];
            if (cubin.length > 0) return new Result(cubin, true, who + " CUBIN sm_" + ccMajor + ccMinor);
            return new Result(nvrtc.ptx(program), false, who + " PTX for sm_" + ccMajor + ccMinor);
        } finally {
            nvrtc.destroyProgram(program);
        }
    }
}

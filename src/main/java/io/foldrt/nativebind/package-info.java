/**
 * java.lang.foreign bindings of the NVIDIA libraries JCuda cannot reach on CUDA 13 / cuDNN 9: one class per
 * library ({@link io.foldrt.nativebind.Cudnn}, {@link io.foldrt.nativebind.Cublas},
 * {@link io.foldrt.nativebind.Nvrtc}, plus {@link io.foldrt.nativebind.LibCuda} for the driver symbols JCuda
 * binds by their old-ABI names). Each binds exactly the functions FoldRT calls, lists them with their
 * descriptors in {@code signatures()}, and turns every non-zero status into an exception carrying call,
 * code, enum name and the library's message. {@link io.foldrt.nativebind.NativeLibraries} finds the files
 * (system properties {@code foldrt.cudnn.path}, {@code foldrt.cublas.path}, {@code foldrt.nvrtc.path}
 * override the search). No inference logic lives here.
 */
package io.foldrt.nativebind;

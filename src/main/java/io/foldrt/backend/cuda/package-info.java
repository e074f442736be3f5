/**
 * The CUDA backend: provider kind "cuda" ({@link io.foldrt.backend.cuda.CudaBackendProvider}).
 *
 * <p>Layers, each in its own package:
 * <ul>
 *   <li>{@code driver}: the device layer on JCuda's driver API - primary context made current at every entry
 *       point, streams, events, a caching device-memory pool, pinned staging, kernel modules (shipped PTX,
 *       or NVRTC from the shipped source) and prepared kernel launches;</li>
 *   <li>{@code dnn}: owners of cuDNN/cuBLAS handles and descriptors, and the per-shape algorithm cache;</li>
 *   <li>{@code geometry}: pure arithmetic - cuDNN descriptor parameters, broadcast strides, the row-major to
 *       cuBLAS mapping, the activation-memory planner, the conv-path rule - tested without a GPU;</li>
 *   <li>this package: options, the buffer plan, lowering of IR nodes to steps, the executable, the backend
 *       and the GPU {@link io.foldrt.backend.cuda.CudaFoldEngine}.</li>
 * </ul>
 * cuDNN, cuBLAS and NVRTC are reached through {@link io.foldrt.nativebind}; the driver through JCuda, except
 * cuEventElapsedTime, which is looked up with java.lang.foreign.
 *
 * <p>Ownership: every native resource has one owner that closes it (executables own their stream, handles,
 * descriptors and memory; the backend owns its executables), counted in
 * {@link io.foldrt.backend.cuda.driver.LiveResources} so tests can check that nothing leaks.
 */
package io.foldrt.backend.cuda;

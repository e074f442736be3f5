package io.foldrt.backend.cuda.geometry;

/**
 * Maps a row-major product onto column-major cuBLAS. A row-major matrix X[r, c] is, read column-major
 * with leading dimension c, the matrix Xᵀ. So row-major Y = op(A)·op(B) is computed as the column-major
 * Yᵀ = op(B)ᵀ·op(A)ᵀ: cuBLAS's first operand is our B, its second our A, and Y comes out row-major.
 *
 * @param transa,transb cuBLAS operations (0 N, 1 T) of its first (our B) and second (our A) operand
 * @param m,n,k         cuBLAS sizes: m = N, n = M, k = K of the row-major product [M,K]x[K,N]
 */
public record GemmMapping(int transa, int transb, int m, int n, int k, int lda, int ldb, int ldc) {
    public static final int OP_N = 0, OP_T = 1;

    /**
     * @param rows    M, rows of the row-major result
     * @param cols    N, columns of the result
     * @param inner   K
     * @param transA  A is stored [K, M] (else [M, K])
     * @param transB  B is stored [N, K] (else [K, N])
     */
    public static GemmMapping rowMajor(int rows, int cols, int inner, boolean transA, boolean transB) {
        return new GemmMapping(
                transB ? OP_T : OP_N, transA ? OP_T : OP_N,
                cols, rows, inner,
                transB ? inner : cols,   // leading dim of B as stored: its row length
                transA ? rows : inner,   // leading dim of A as stored
                cols);
    }
}

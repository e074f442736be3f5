package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.foldrt.ir.Activation;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API activation passes against the plain loops, element by element: the same values (a zero's
 * sign aside, which the reference does not distinguish either), NaN exactly where the loops give NaN, for
 * lengths around the vector width and inputs at, around and beyond the bounds.
 */
class VectorActivationTest {
    private static final Activation[] ACTS = {Activation.NONE, Activation.RELU, Activation.clip(0f, 6f),
            Activation.clip(-0.5f, 0.25f), Activation.clip(0.3f, -0.5f)};

    @Test
    void matchesTheLoopsIncludingNaNAndBounds() {
        assumeTrue(MicroKernel.vectorAvailable(), "skipped: the JVM runs without " + MicroKernel.VECTOR_FLAG);
        SplittableRandom rng = new SplittableRandom(5);
        for (Activation a : ACTS) {
            for (int n = 0; n <= 50; n++) {
                float[] x = values(rng, n), bias = values(rng, n);
                float b = (float) rng.nextDouble(-1, 1), s = (float) rng.nextDouble(-2, 2), t = (float) rng.nextDouble(-1, 1);
                String what = a + " n=" + n;

                // a conv row into the output at offset 2: out[2 ..] = a(x + b), the rest untouched
                float[] want = new float[n + 2], got = new float[n + 2], row = x.clone();
                ActivationLoops.biasThenApply(a, row, n, b);
                System.arraycopy(row, 0, want, 2, n);
                VectorActivation.biasThenApply(a, x.clone(), n, b, null, got, 2);
                same(want, got, what + " scalar bias");

                want = x.clone();
                got = x.clone();
                ActivationLoops.biasThenApply(a, want, n, bias);
                VectorActivation.biasThenApply(a, got, n, bias);
                same(want, got, what + " bias row");

                // BatchNorm: out = a(fma(in, s, t)) over [3, n) of the arrays, the rest untouched.
                float[] wantOut = new float[n + 3], gotOut = new float[n + 3];
                float[] in = new float[n + 3];
                System.arraycopy(x, 0, in, 3, n);
                for (int i = 3; i < n + 3; i++) wantOut[i] = a.apply(Math.fma(in[i], s, t));
                VectorActivation.scaleShiftApply(a, in, null, gotOut, 3, n + 3, s, t);
                same(wantOut, gotOut, what + " scale and shift");

                // ... with a residual: out = a(fma(in, s, t) + res)
                float[] res = new float[n + 3];
                System.arraycopy(bias, 0, res, 3, n);
                for (int i = 3; i < n + 3; i++) wantOut[i] = a.apply(Math.fma(in[i], s, t) + res[i]);
                VectorActivation.scaleShiftApply(a, in, res, gotOut, 3, n + 3, s, t);
                same(wantOut, gotOut, what + " scale, shift and residual");

                // a conv row with its residual: out[off ..] = a((x + b) + res[off ..])
                wantOut = new float[n + 3];
                gotOut = new float[n + 3];
                for (int i = 0; i < n; i++) wantOut[3 + i] = a.apply((x[i] + b) + res[3 + i]);
                VectorActivation.biasThenApply(a, x.clone(), n, b, res, gotOut, 3);
                same(wantOut, gotOut, what + " bias and residual");
            }
        }
    }

    /** Random values with NaN, infinities, zeros of both signs and the clip bounds mixed in. */
    private static float[] values(SplittableRandom rng, int n) {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 6f, -0.5f, 0.25f};
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rng.nextInt(6) == 0 ? specials[rng.nextInt(specials.length)] : (float) rng.nextDouble(-8, 8);
        return x;
    }

    private static void same(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            if (Float.isNaN(want[i])) assertTrue(Float.isNaN(got[i]), what + " [" + i + "]: NaN expected, got " + got[i]);
            else assertTrue(want[i] == got[i], what + " [" + i + "]: " + got[i] + ", loops give " + want[i]);
        }
    }
}

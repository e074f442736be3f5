package io.foldrt.cli;

import java.util.Locale;

/** Number formatting shared by the commands (fixed locale, so output does not depend on the machine). */
final class Fmt {
    private Fmt() {}

    /** 11689512 -> "11,689,512". */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Milliseconds with three decimals. */
    static String ms(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** An error magnitude such as "2.5e-07", or "n/a" when it was not measured. */
    static String error(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1e", v);
    }

    /** "1.5 MiB (1,572,864 bytes)". */
    static String bytes(long b) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? count(b) + " bytes" : String.format(Locale.ROOT, "%.1f %s (%s bytes)", v, units[u], count(b));
    }

    static String general(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}

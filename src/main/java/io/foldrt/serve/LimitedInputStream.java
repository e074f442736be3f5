package io.foldrt.serve;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Passes at most {@code limit} bytes through and fails with {@link TooLarge} on the first byte beyond, so a body
 * without a Content-Length (chunked) cannot grow past the limit either.
 */
final class LimitedInputStream extends FilterInputStream {
    /** The body went past the limit; the router answers 413. */
    static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("request body is larger than the limit of " + limit + " bytes", null);
        }
    }

    private final long limit;
    private long count;

    LimitedInputStream(InputStream in, long limit) {
        super(in);
        this.limit = limit;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) count(1);
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) count(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long s = super.skip(n);
        if (s > 0) count(s);
        return s;
    }

    @Override
    public boolean markSupported() {
        return false; // a reset would make the count wrong
    }

    private void count(long n) throws TooLarge {
        count += n;
        if (count > limit) throw new TooLarge(limit);
    }
}

package io.foldrt.serve;

/**
 * A request that is answered with an error status and {@code {"error": message}}. The message is one line meant
 * for the client: it names the offending field or path and never carries a stack trace.
 */
final class HttpError extends RuntimeException {
    private final int status;
    private final String allow;

    HttpError(int status, String message) {
        this(status, message, null);
    }

    /** @param allow the methods for the {@code Allow} header of a 405, else null */
    HttpError(int status, String message, String allow) {
        super(message, null, false, false); // no stack trace: this is an answer, not a failure
        this.status = status;
        this.allow = allow;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError notFound(String message) {
        return new HttpError(404, message);
    }

    static HttpError unavailable(String message) {
        return new HttpError(503, message);
    }

    int status() {
        return status;
    }

    String allow() {
        return allow;
    }
}

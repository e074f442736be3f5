package io.foldrt.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Maps the Open Inference Protocol paths to handlers and turns every outcome into one HTTP response:
 *
 * <pre>
 * GET  /v2                         server metadata
 * GET  /v2/health/live             200 while the server runs
 * GET  /v2/health/ready            200 while the server runs (models are loaded before it starts)
 * GET  /v2/models/{name}           model metadata
 * GET  /v2/models/{name}/ready     200 for a served model
 * POST /v2/models/{name}/infer     inference
 * </pre>
 *
 * Errors are {@code {"error": "..."}} with 400 (bad request), 404 (unknown path or model), 405 (wrong method,
 * with {@code Allow}), 413 (body too large), 503 (queue full; and every request once the server is stopping) or 500. A 500 tells the client the
 * exception's one-line message only; the stack trace goes to the server's log.
 */
final class Router implements HttpHandler {
    private static final System.Logger LOG = System.getLogger("io.foldrt.serve");

    /** A finished answer: status, JSON body (null for none), and an Allow header for 405. */
    private record Response(int status, byte[] body, String allow) {
        static Response ok(byte[] body) {
            return new Response(200, body, null);
        }

        static Response empty(int status) {
            return new Response(status, null, null);
        }
    }

    private final Map<String, ModelEndpoint> models;
    private final long maxBodyBytes;
    private final byte[] serverMetadata;
    private final Consumer<String> notices;
    private final InFlight inFlight;

    Router(Map<String, ModelEndpoint> models, long maxBodyBytes, String version, Consumer<String> notices, InFlight inFlight) {
        this.inFlight = inFlight;
        this.models = Map.copyOf(models);
        this.maxBodyBytes = maxBodyBytes;
        this.serverMetadata = InferJson.serverMetadata(version);
        this.notices = notices;
    }

    @Override
    public void handle(HttpExchange ex) {
        if (!inFlight.enter()) {
            // Stopping: the JDK server still dispatches requests that arrive on kept-alive connections.
            ex.getResponseHeaders().set("Connection", "close");
            answer(ex, new Response(503, InferJson.error("the server is shutting down"), null));
            return;
        }
        try {
            answer(ex, respond(ex));
        } finally {
            inFlight.exit();
        }
    }

    private static void answer(HttpExchange ex, Response r) {
        try (ex) {
            send(ex, r);
        } catch (IOException e) {
            // The client went away mid-exchange; there is nobody left to answer.
        }
    }

    /** The response to one exchange; never throws. */
    private Response respond(HttpExchange ex) {
        try {
            return route(ex);
        } catch (HttpError e) {
            return new Response(e.status(), InferJson.error(e.getMessage()), e.allow());
        } catch (IOException e) {
            // Reading the body failed: the client is gone or its stream broke; the answer may not arrive.
            return new Response(400, InferJson.error("cannot read the request body: " + InferJson.oneLine(e.getMessage())), null);
        } catch (RuntimeException | Error e) {
            String what = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + InferJson.oneLine(e.getMessage()));
            notices.accept("internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + ": " + what);
            LOG.log(System.Logger.Level.DEBUG, "internal error", e);
            return new Response(500, InferJson.error("internal error: " + what), null);
        }
    }

    private Response route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        List<String> seg = segments(ex.getRequestURI().getRawPath());
        if (seg == null || seg.isEmpty() || !seg.get(0).equals("v2")) throw unknownPath(ex);
        int n = seg.size();
        if (n == 1) {
            allow(method, "GET", ex);
            return Response.ok(serverMetadata);
        }
        if (n == 3 && seg.get(1).equals("health") && (seg.get(2).equals("live") || seg.get(2).equals("ready"))) {
            allow(method, "GET", ex);
            // Models are loaded before the server starts, and once it stops every exchange gets 503 (see handle):
            // an admitted exchange is live and ready. The protocol's health answers are the status alone.
            return Response.empty(200);
        }
        if (seg.get(1).equals("models") && (n == 3 || n == 4)) {
            String action = n == 3 ? "" : seg.get(3);
            if (!action.isEmpty() && !action.equals("ready") && !action.equals("infer")) throw unknownPath(ex);
            allow(method, action.equals("infer") ? "POST" : "GET", ex);
            ModelEndpoint m = models.get(seg.get(2));
            if (m == null) {
                throw HttpError.notFound("unknown model '" + seg.get(2) + "' (served: "
                        + String.join(", ", models.keySet().stream().sorted().toList()) + ")");
            }
            return switch (action) {
                case "" -> Response.ok(m.metadata());
                case "ready" -> Response.empty(200);
                default -> Response.ok(infer(ex, m));
            };
        }
        throw unknownPath(ex);
    }

    private byte[] infer(HttpExchange ex, ModelEndpoint m) throws IOException {
        if (ex.getRequestHeaders().containsKey("Inference-Header-Content-Length")) {
            throw HttpError.badRequest("the binary tensor data extension is not supported; send the tensors as JSON");
        }
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null && parseLength(length) > maxBodyBytes) throw tooLarge();
        try (InputStream body = new LimitedInputStream(ex.getRequestBody(), maxBodyBytes)) {
            return m.infer(InferJson.readRequest(body));
        } catch (LimitedInputStream.TooLarge e) {
            throw tooLarge();
        }
    }

    private HttpError tooLarge() {
        return new HttpError(413, "request body is larger than the limit of " + maxBodyBytes + " bytes");
    }

    private static long parseLength(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1; // the HTTP server itself rejects a malformed length; the stream limit still applies
        }
    }

    private static void allow(String method, String allowed, HttpExchange ex) {
        if (!method.equals(allowed)) {
            throw new HttpError(405, "method " + method + " is not allowed on " + ex.getRequestURI().getRawPath()
                    + " (allowed: " + allowed + ")", allowed);
        }
    }

    private static HttpError unknownPath(HttpExchange ex) {
        return HttpError.notFound("no such endpoint: " + ex.getRequestURI().getRawPath()
                + " (endpoints: /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}, /v2/models/{name}/ready,"
                + " /v2/models/{name}/infer)");
    }

    /** The decoded path segments of "/a/b/c", or null for a path with an empty or undecodable segment. */
    static List<String> segments(String rawPath) {
        if (rawPath == null || !rawPath.startsWith("/")) return null;
        String[] parts = rawPath.substring(1).split("/", -1);
        try {
            String[] out = new String[parts.length];
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].isEmpty()) return null;
                // '+' is a literal plus in a path (URLDecoder would read it as a space).
                out[i] = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
            }
            return Arrays.asList(out);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void send(HttpExchange ex, Response r) throws IOException {
        if (r.allow() != null) ex.getResponseHeaders().set("Allow", r.allow());
        if (r.status() == 503) ex.getResponseHeaders().set("Retry-After", "1");
        if (r.body() == null) {
            ex.sendResponseHeaders(r.status(), -1);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(r.status(), r.body().length);
        ex.getResponseBody().write(r.body());
    }
}

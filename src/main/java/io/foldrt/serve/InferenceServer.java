package io.foldrt.serve;

import com.sun.net.httpserver.HttpServer;
import io.foldrt.runtime.Session;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An HTTP server speaking the Open Inference Protocol (KServe v2) REST surface for one or more models.
 *
 * <pre>
 * try (Session s = Model.load("resnet18").plan(PlanRequest.defaults()).model().session(Device.auto());
 *      InferenceServer server = InferenceServer.start(ServeConfig.defaults().withPort(0), "resnet18", s, notices)) {
 *     System.out.println("serving on " + server.uri());
 *     server.awaitClose();
 * }
 * </pre>
 *
 * <p><b>Ownership.</b> The server takes ownership of the sessions it is given: {@link #close()} closes them, and so
 * does a failed {@code start}. Closing the session in a try-with-resources as above is harmless (close is
 * idempotent).
 *
 * <p><b>Threads.</b> Each exchange runs on its own virtual thread; each model has one worker that runs its
 * forward passes (see {@link Batcher}).
 *
 * <p><b>Shutdown.</b> {@link #close()} stops accepting connections and new exchanges, lets in-flight requests
 * finish (up to {@link ServeConfig#drainTimeout()}), then closes the workers and sessions. It is idempotent and
 * safe to call from a shutdown hook while another thread waits in {@link #awaitClose()}.
 */
public final class InferenceServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService executor;
    private final Map<String, ModelEndpoint> models;
    private final ServeConfig config;
    private final InFlight inFlight;
    private final Consumer<String> notices;
    private final CountDownLatch closed = new CountDownLatch(1);
    private boolean closing; // guarded by this

    private InferenceServer(HttpServer http, ExecutorService executor, Map<String, ModelEndpoint> models, ServeConfig config,
                            InFlight inFlight, Consumer<String> notices) {
        this.http = http;
        this.executor = executor;
        this.models = models;
        this.config = config;
        this.inFlight = inFlight;
        this.notices = notices;
    }

    /** Serves one model under {@code name}; see {@link #start(ServeConfig, Map, Consumer)}. */
    public static InferenceServer start(ServeConfig config, String name, Session session, Consumer<String> notices) {
        return start(config, Map.of(name, session), notices);
    }

    /**
     * Binds {@link ServeConfig#host()}:{@link ServeConfig#port()} and starts serving.
     *
     * @param sessions the models by the name clients use in paths; the server owns them from now on
     * @param notices  receives one-line notices (batching turned off for a model, internal errors)
     * @throws UncheckedIOException with a one-line message when the address cannot be bound
     */
    public static InferenceServer start(ServeConfig config, Map<String, Session> sessions, Consumer<String> notices) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(notices, "notices");
        Map<String, ModelEndpoint> models = new LinkedHashMap<>();
        HttpServer http = null;
        ExecutorService executor = null;
        try {
            for (var e : sessions.entrySet()) {
                if (e.getKey() == null || e.getKey().isEmpty() || e.getKey().contains("/")) {
                    throw new IllegalArgumentException("model name must be non-empty and without '/': '" + e.getKey() + "'");
                }
                models.put(e.getKey(), new ModelEndpoint(e.getKey(), e.getValue(), config, notices));
            }
            http = bind(config);
            executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("foldrt-http-", 0).factory());
            http.setExecutor(executor);
            InFlight inFlight = new InFlight();
            http.createContext("/", new Router(models, config.maxBodyBytes(), version(), notices, inFlight));
            http.start();
            return new InferenceServer(http, executor, models, config, inFlight, notices);
        } catch (RuntimeException | Error e) {
            if (http != null) http.stop(0);
            if (executor != null) executor.shutdownNow();
            closeAll(models.values(), e);
            for (var s : sessions.entrySet()) { // sessions not yet wrapped in an endpoint
                if (!models.containsKey(s.getKey())) closeQuietly(s.getValue(), e);
            }
            throw e;
        }
    }

    /** The bound address (the actual port when the configured one was 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** {@code http://host:port} of the bound address, with IPv6 literals in brackets. */
    public URI uri() {
        InetSocketAddress a = address();
        InetAddress ip = a.getAddress();
        String host = ip instanceof Inet6Address ? "[" + ip.getHostAddress() + "]" : ip.getHostAddress();
        return URI.create("http://" + host + ":" + a.getPort());
    }

    public List<String> modelNames() {
        return List.copyOf(models.keySet());
    }

    /** The device of a served model's session, e.g. "cpu (16 threads)". */
    public String deviceName(String model) {
        return endpoint(model).deviceName();
    }

    /** The largest pass the model's worker forms: 1 when dynamic batching is off or the model cannot be batched. */
    public int maxBatch(String model) {
        return endpoint(model).maxBatch();
    }

    /** Requests waiting for the model's worker now; at most {@link ServeConfig#maxQueue()}. */
    public int queued(String model) {
        return endpoint(model).queued();
    }

    public ServeConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished (on any thread). */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /** True from the start of {@link #close()}: new requests are refused with 503. */
    boolean draining() {
        return inFlight.closing();
    }

    public boolean isClosed() {
        return closed.getCount() == 0;
    }

    /**
     * Graceful stop: the listening socket is closed and requests that still arrive on open connections get 503;
     * requests being handled finish (up to the drain timeout); then the workers finish their queues, every
     * connection is closed and the sessions are closed. A second caller waits for the first to finish.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                awaitUninterruptibly();
                return;
            }
            closing = true;
        }
        Throwable failure = null;
        Thread stopper = null;
        try {
            inFlight.beginClose();
            // HttpServer.stop closes the listener at once, then waits for its own count of exchanges before closing
            // every connection. That count can keep it waiting for the whole delay when a client connection is closing
            // at that moment, so the drain is judged by our own count, and the stop is interrupted (which ends its
            // wait) once that reaches zero. Its own delay is only a bound, one second beyond ours.
            int delay = (int) Math.min(Integer.MAX_VALUE - 1, config.drainTimeout().toSeconds()) + 1;
            stopper = Thread.ofPlatform().name("foldrt-http-stop").start(() -> http.stop(delay));
            int left = inFlight.awaitIdle(config.drainTimeout());
            if (left > 0) notices.accept("drain timeout: closing " + left + " unfinished requests");
            stopper.join(100);
            stopper.interrupt();
            stopper.join();
            executor.shutdown();
            if (!executor.awaitTermination(1, TimeUnit.SECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            // Asked to hurry: cut the drain short; connections are closed and the queues still finish below.
            if (stopper != null) stopper.interrupt();
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            failure = closeAll(models.values(), failure);
            closed.countDown();
        }
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error err) throw err;
    }

    private ModelEndpoint endpoint(String model) {
        ModelEndpoint m = models.get(model);
        if (m == null) throw new IllegalArgumentException("no model '" + model + "' is served (served: " + models.keySet() + ")");
        return m;
    }

    private void awaitUninterruptibly() {
        boolean interrupted = false;
        while (closed.getCount() > 0) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private static HttpServer bind(ServeConfig config) {
        String where = config.host() + ":" + config.port();
        try {
            InetAddress ip = InetAddress.getByName(config.host());
            return HttpServer.create(new InetSocketAddress(ip, config.port()), 0);
        } catch (UnknownHostException e) {
            throw new UncheckedIOException("cannot listen on " + where + ": unknown host '" + config.host() + "'", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + where + ": " + InferJson.oneLine(e.getMessage()), e);
        }
    }

    private static Throwable closeAll(Iterable<? extends AutoCloseable> all, Throwable failure) {
        List<AutoCloseable> list = new ArrayList<>();
        all.forEach(list::add);
        for (AutoCloseable c : list) failure = closeQuietly(c, failure);
        return failure;
    }

    private static Throwable closeQuietly(AutoCloseable c, Throwable failure) {
        try {
            c.close();
        } catch (Exception | Error e) {
            if (failure == null) return e;
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static String version() {
        String v = InferenceServer.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }
}

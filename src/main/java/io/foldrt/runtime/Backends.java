package io.foldrt.runtime;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Opens backends by {@link Device}, using the {@link BackendProvider}s registered with
 * {@link ServiceLoader} (or a given list, in tests).
 *
 * <ul>
 *   <li>{@code cpu} and {@code cuda:N} open that provider's device or throw
 *       {@link BackendUnavailableException} with a one-line reason such as
 *       {@code "cuda:0 unavailable (libcuda.so.1 not found)"}.</li>
 *   <li>{@code auto} tries CUDA GPU 0 and, when it is unavailable, opens the CPU and emits exactly one notice:
 *       {@code "cuda unavailable (<reason>): using cpu"}. Nothing is emitted when CUDA opens. Only
 *       unavailability falls back: any other error of the CUDA provider (a bad option value) is thrown.</li>
 * </ul>
 * A provider reports unavailability with the bare reason ("libcuda.so.1 not found"); this class adds the
 * device label.
 *
 * <p>Options: a key prefixed with a kind ({@code cpu.threads}, {@code cuda.conv-path}) goes only to that kind's
 * provider, without the prefix; an unprefixed key goes to whichever provider is opened. This lets one option map
 * serve {@code auto}, which may end up on either kind.
 */
public final class Backends {
    private Backends() {}

    /** Opens {@code device} with the providers installed on the class path. */
    public static Backend open(Device device, Map<String, String> options, Consumer<String> notices) {
        return open(installed(), device, options, notices);
    }

    /** Opens {@code device} with the given providers (the first of each kind wins). */
    public static Backend open(List<BackendProvider> providers, Device device, Map<String, String> options,
                               Consumer<String> notices) {
        Map<String, String> opts = options == null ? Map.of() : options;
        return switch (device.kind()) {
            case CPU -> openKind(providers, "cpu", 0, opts);
            case CUDA -> openKind(providers, "cuda", device.ordinal(), opts);
            case AUTO -> {
                String reason;
                try {
                    yield openKind(providers, "cuda", 0, opts);
                } catch (Unavailable e) {
                    reason = e.reason;
                }
                notices.accept("cuda unavailable (" + reason + "): using cpu");
                yield openKind(providers, "cpu", 0, opts);
            }
        };
    }

    /**
     * The providers registered with {@link ServiceLoader}. A provider that fails to load (a missing native
     * library in its static initialiser, say) is skipped; its error becomes the reason its kind is unavailable.
     */
    public static List<BackendProvider> installed() {
        List<BackendProvider> found = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                found.add(new BrokenProvider(e));
            }
        }
        return found;
    }

    private static Backend openKind(List<BackendProvider> providers, String kind, int ordinal, Map<String, String> options) {
        String label = kind.equals("cuda") ? "cuda:" + ordinal : kind;
        BackendProvider p = find(providers, kind);
        if (p == null) throw new Unavailable(label, missingReason(providers, kind), null);
        try {
            return p.open(ordinal, optionsFor(kind, options));
        } catch (BackendUnavailableException e) {
            throw new Unavailable(label, oneLine(e.getMessage()), e);
        } catch (LinkageError e) {
            // A backend whose native library cannot be linked is unavailable, not broken: auto falls back on it.
            throw new Unavailable(label, oneLine(String.valueOf(e)), e);
        }
    }

    /** "cuda:0 unavailable (reason)", keeping the bare reason for the auto fallback notice. */
    private static final class Unavailable extends BackendUnavailableException {
        final String reason;

        Unavailable(String label, String reason, Throwable cause) {
            super(label + " unavailable (" + reason + ")", cause);
            this.reason = reason;
        }
    }

    private static BackendProvider find(List<BackendProvider> providers, String kind) {
        for (BackendProvider p : providers) {
            if (!(p instanceof BrokenProvider) && kind.equals(p.kind())) return p;
        }
        return null;
    }

    private static String missingReason(List<BackendProvider> providers, String kind) {
        for (BackendProvider p : providers) {
            if (p instanceof BrokenProvider b) return "no " + kind + " backend installed; a backend failed to load: " + b.reason;
        }
        return "no " + kind + " backend installed";
    }

    /** The options meant for {@code kind}: its prefixed keys (prefix removed) and all unprefixed keys. */
    static Map<String, String> optionsFor(String kind, Map<String, String> options) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : options.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            String prefix = dot < 0 ? null : key.substring(0, dot);
            if (prefix == null || !(prefix.equals("cpu") || prefix.equals("cuda"))) {
                out.putIfAbsent(key, e.getValue());
            } else if (prefix.equals(kind)) {
                out.put(key.substring(dot + 1), e.getValue()); // the specific form wins over the unprefixed one
            }
        }
        return out;
    }

    static String oneLine(String s) {
        return s == null || s.isBlank() ? "no reason given" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** Stands in the provider list for one that {@link ServiceLoader} could not load. */
    private record BrokenProvider(String reason) implements BackendProvider {
        BrokenProvider(ServiceConfigurationError e) {
            this(oneLine(e.getCause() != null ? e.getMessage() + ": " + e.getCause() : e.getMessage()));
        }

        @Override
        public String kind() {
            return "";
        }

        @Override
        public Backend open(int ordinal, Map<String, String> options) {
            throw new BackendUnavailableException(reason);
        }
    }
}

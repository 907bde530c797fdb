package io.qcow2j.s3;

import io.qcow2j.s3.testing.S3ProxyServer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;

/** Shared bits of the tests that talk to S3Proxy. */
final class Fixtures {
    private Fixtures() {
    }

    /**
     * An environment that makes a store send its requests through the SDK's HTTP client: ours steps
     * aside for a proxy, and the SDK's client reads only the process's environment, so it still
     * connects straight to the endpoint.
     */
    static final Map<String, String> SDK_TRANSPORT = Map.of("HTTPS_PROXY", "http://proxy.invalid:3128");

    static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** The server's settings through {@code endpoint}, with quick retries so failing cases stay fast. */
    static S3Settings.Builder quick(S3ProxyServer server, URI endpoint) {
        return server.settings().endpoint(endpoint).maxAttempts(4)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(20))
                .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(5));
    }
}

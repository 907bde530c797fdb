package io.qcow2j.core.remote;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently a request to an object store is repeated: up to {@code maxAttempts}
 * attempts, with exponential backoff and full jitter between them (so many readers failing together
 * do not retry together). The same policy for every store module.
 *
 * @param maxAttempts attempts in all, at least 1
 * @param baseBackoff the first retry's ceiling; each further retry doubles it
 * @param maxBackoff  the largest ceiling
 */
public record RetryPolicy(int maxAttempts, Duration baseBackoff, Duration maxBackoff) {
    /** @throws IllegalArgumentException for fewer than one attempt or a negative backoff */
    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (baseBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoff must not be negative");
        }
    }

    /** Full jitter: uniform in [0, min(max, base * 2^(retry-1))], for the {@code retry}-th retry (from 1). */
    public long backoffNanos(int retry) {
        long max = maxBackoff.toNanos();
        long ceiling = retry > 62 ? max : Math.min(max, baseBackoff.toNanos() << (retry - 1));
        if (ceiling < 0 || ceiling > max) {
            ceiling = max;
        }
        return ceiling == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    /** Sleeps {@code nanos}. */
    public static void sleep(long nanos) throws InterruptedException {
        Thread.sleep(Duration.ofNanos(nanos).toMillis(), (int) (nanos % 1_000_000));
    }
}

package io.qcow2j.core.internal;

import io.qcow2j.core.remote.RetryPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The loop the object store modules run around one operation (a metadata request, a ranged GET
 * with its body, a listing page): attempts with backoff until one succeeds, a failure is final,
 * or the policy's attempts are spent. Each store classifies its own failures.
 */
public final class RetryLoop {
    private RetryLoop() {
    }

    /** One attempt at the operation. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run() throws Exception;
    }

    /** A failed attempt, as the store classified it. */
    public interface Failure {
        /** Whether the thread was interrupted: the operation stops, and the interrupt stays set. */
        boolean interrupted();

        /** Whether another attempt may succeed. */
        boolean retryable();

        /** What failed. */
        Throwable cause();
    }

    /**
     * Runs {@code attempt} until it succeeds or {@code fail} gives the final failure's exception.
     *
     * @param what     the object and operation, for an interrupt's message
     * @param retries  counts the retries
     * @param classify the store's reading of a failed attempt
     * @param fail     the exception for the final failure after that many attempts
     * @throws InterruptedIOException when interrupted, the thread's interrupt status set again
     */
    public static <T, F extends Failure> T run(RetryPolicy policy, String what, AtomicLong retries,
                                               Function<Exception, F> classify, BiFunction<F, Integer, IOException> fail,
                                               Attempt<T> attempt) throws IOException {
        for (int n = 1; ; n++) {
            F f;
            try {
                return attempt.run();
            } catch (Exception e) {
                f = classify.apply(e);
            }
            if (f.interrupted()) {
                throw interrupted(what, f.cause());
            }
            if (!f.retryable() || n >= policy.maxAttempts()) {
                throw fail.apply(f, n);
            }
            retries.incrementAndGet();
            try {
                RetryPolicy.sleep(policy.backoffNanos(n));
            } catch (InterruptedException e) {
                throw interrupted(what, e);
            }
        }
    }

    private static InterruptedIOException interrupted(String what, Throwable cause) {
        Thread.currentThread().interrupt();
        InterruptedIOException e = new InterruptedIOException(what + ": interrupted");
        e.initCause(cause);
        return e;
    }
}

package io.qcow2j.restore.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The library's one way to run N I/O tasks at once: results in input order; when any fails, the
 * first failure in input order (so the error does not depend on scheduling), after every result
 * that was produced has been closed; an interrupt of the waiting thread stops the tasks not yet
 * started. Errors ({@code OutOfMemoryError}, …) are rethrown as they are, never wrapped: they are
 * not I/O errors and the caller reports them as what they are.
 */
public final class ParallelIo {
    private ParallelIo() {
    }

    /** One task: the result for one item. */
    @FunctionalInterface
    public interface Task<T, R> {
        R run(T item) throws IOException;
    }

    /** Releases a result nobody will get (another task failed); its failure is dropped. */
    @FunctionalInterface
    public interface Closer<R> {
        void close(R result) throws IOException;
    }

    /** What an interrupt of the waiting thread does to the tasks already running. */
    public enum OnInterrupt {
        /**
         * Let them finish: for tasks that read sources the caller keeps using (interrupting a read
         * of a local file closes its {@code FileChannel} for every thread).
         */
        WAIT,
        /** Interrupt them: for tasks whose results are all closed on failure anyway (opening). */
        INTERRUPT
    }

    /** A pool of {@code threads} threads from {@code factory}; the caller shuts it down. */
    public static ExecutorService pool(int threads, ThreadFactory factory) {
        return Executors.newFixedThreadPool(Math.max(1, threads), factory);
    }

    /** Daemon threads named {@code prefix-N}: the library's threads never keep a JVM alive on their own. */
    public static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Runs {@code task} on every item on {@code pool} and waits for all of them.
     *
     * <p>Every task runs even after one failed, so the failure thrown is the first in input order
     * whatever the timing. An interrupt of the calling thread skips the tasks not started yet,
     * interrupts the running ones or not ({@code onInterrupt}), waits for them, then throws
     * {@link InterruptedIOException} with the interrupt status kept. On any failure the results
     * produced are closed with {@code closer} before the failure is thrown.
     *
     * @param what what the tasks do, for the interrupt's message (e.g. "opening the chain")
     * @return the results, in the order of {@code items}
     * @throws IOException the first failure in input order, as thrown; or the interrupt
     */
    public static <T, R> List<R> all(Executor pool, List<T> items, Task<? super T, ? extends R> task,
            Closer<? super R> closer, OnInterrupt onInterrupt, String what) throws IOException {
        return ParallelIo.<T, R>start(pool, items, task, closer, onInterrupt, what).await();
    }

    /**
     * Starts {@code task} on every item on {@code pool} without waiting: {@link Running#await()}
     * then behaves as {@link #all} from that point (the same failure, interrupt and closing rules).
     * The caller awaits or abandons it on every path, so no task outlives its use of the items.
     */
    public static <T, R> Running<R> start(Executor pool, List<T> items, Task<? super T, ? extends R> task,
            Closer<? super R> closer, OnInterrupt onInterrupt, String what) {
        int n = items.size();
        Object[] results = new Object[n];
        Throwable[] failures = new Throwable[n];
        // the threads running a task now; guarded by itself, so an interrupt lands only inside a task
        Thread[] running = new Thread[n];
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            try {
                pool.execute(() -> {
                    try {
                        synchronized (running) {
                            if (stop.get()) {
                                return;
                            }
                            running[k] = Thread.currentThread();
                        }
                        try {
                            results[k] = task.run(items.get(k));
                        } finally {
                            synchronized (running) {
                                running[k] = null;
                                Thread.interrupted(); // ours, if any: not the pool's next task's
                            }
                        }
                    } catch (Throwable t) {
                        failures[k] = t;
                    } finally {
                        done.countDown(); // happens-before the waiting thread reads the slots
                    }
                });
            } catch (RejectedExecutionException e) {
                failures[k] = e;
                done.countDown();
            }
        }
        return new Running<>(results, failures, running, stop, done, closer, onInterrupt, what);
    }

    /** Tasks started by {@link #start}: await them once. Not thread-safe: the starting thread's. */
    public static final class Running<R> {
        private final Object[] results;
        private final Throwable[] failures;
        private final Thread[] running;
        private final AtomicBoolean stop;
        private final CountDownLatch done;
        private final Closer<? super R> closer;
        private final OnInterrupt onInterrupt;
        private final String what;

        private Running(Object[] results, Throwable[] failures, Thread[] running, AtomicBoolean stop,
                CountDownLatch done, Closer<? super R> closer, OnInterrupt onInterrupt, String what) {
            this.results = results;
            this.failures = failures;
            this.running = running;
            this.stop = stop;
            this.done = done;
            this.closer = closer;
            this.onInterrupt = onInterrupt;
            this.what = what;
        }

        /**
         * Waits for every task and drops the outcome, closing what was produced: for work started
         * ahead and no longer wanted. An interrupt stops the tasks not started and is kept.
         */
        public void abandon() {
            try {
                for (R r : await()) {
                    closeQuietly(r);
                }
            } catch (IOException | RuntimeException ignored) {
                // not wanted: neither the results nor their failure
            }
        }

        private void closeQuietly(R r) {
            if (r != null) {
                try {
                    closer.close(r);
                } catch (IOException | RuntimeException ignored) {
                    // the result is dropped either way
                }
            }
        }

        /**
         * Waits for every task; the results in input order, or the first failure in input order
         * (the results produced closed), or {@link InterruptedIOException} on an interrupt.
         */
        public List<R> await() throws IOException {
            int n = results.length;
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    synchronized (running) {
                        stop.set(true);
                        for (Thread t : running) {
                            if (t != null && onInterrupt == OnInterrupt.INTERRUPT) {
                                t.interrupt();
                            }
                        }
                    }
                }
            }
            Throwable first = Arrays.stream(failures).filter(f -> f != null).findFirst().orElse(null);
            if (interrupted) {
                Thread.currentThread().interrupt();
                first = new InterruptedIOException("interrupted while " + what);
            }
            List<R> out = new ArrayList<>(n);
            for (Object r : results) {
                @SuppressWarnings("unchecked")
                R result = (R) r;
                out.add(result);
            }
            if (first == null) {
                return out;
            }
            out.forEach(this::closeQuietly); // the first failure is what the caller needs to hear about
            throw TaskFailure.rethrown(first);
        }
    }
}

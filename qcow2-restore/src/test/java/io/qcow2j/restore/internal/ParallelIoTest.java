package io.qcow2j.restore.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one helper for running I/O tasks at once: order, first failure, closing, Errors, interrupts, threads. */
class ParallelIoTest {
    private final Set<String> threadNames = ConcurrentHashMap.newKeySet();
    private final ExecutorService pool = ParallelIo.pool(4, r -> {
        Thread t = new Thread(r, "caller-made");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void shutDown() {
        pool.shutdownNow();
    }

    @Test
    void resultsComeInInputOrderOnTheCallersThreads() throws IOException {
        List<Integer> out = ParallelIo.all(pool, List.of(30, 20, 10, 0), ms -> {
            threadNames.add(Thread.currentThread().getName());
            sleep(ms); // the last items finish first
            return ms;
        }, r -> { }, ParallelIo.OnInterrupt.WAIT, "testing");
        assertEquals(List.of(30, 20, 10, 0), out);
        assertEquals(Set.of("caller-made"), threadNames);
    }

    @Test
    void theFirstFailureInInputOrderWinsAndEveryResultIsClosed() {
        Set<Integer> closed = ConcurrentHashMap.newKeySet();
        IOException first = new IOException("item 1");
        IOException e = assertThrows(IOException.class, () -> ParallelIo.all(pool, List.of(0, 1, 2, 3), i -> {
            if (i == 1) {
                sleep(50); // fails last in time, first in order
                throw first;
            }
            if (i == 3) {
                throw new IOException("item 3");
            }
            return i;
        }, closed::add, ParallelIo.OnInterrupt.WAIT, "testing"));
        assertSame(first, e);
        assertEquals(Set.of(0, 2), closed, "the results produced are closed");
    }

    @Test
    void startedTasksRunWhileTheCallerWorksAndAwaitGivesTheirResults() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ParallelIo.Running<Integer> running = ParallelIo.start(pool, List.of(1, 2, 3), i -> {
            await(release);
            return i * 10;
        }, r -> { }, ParallelIo.OnInterrupt.WAIT, "testing");
        release.countDown(); // start returned while every task still waited: it does not block
        assertEquals(List.of(10, 20, 30), running.await());
    }

    @Test
    void abandonWaitsForTheTasksClosesTheirResultsAndDropsTheirFailure() {
        Set<Integer> closed = ConcurrentHashMap.newKeySet();
        AtomicInteger finished = new AtomicInteger();
        ParallelIo.Running<Integer> running = ParallelIo.start(pool, List.of(0, 1, 2), i -> {
            sleep(30);
            finished.incrementAndGet();
            if (i == 1) {
                throw new IOException("not wanted");
            }
            return i;
        }, closed::add, ParallelIo.OnInterrupt.WAIT, "testing");
        running.abandon();
        assertEquals(3, finished.get(), "every task ended before abandon returned");
        assertEquals(Set.of(0, 2), closed, "what was produced is closed");
        assertFalse(Thread.currentThread().isInterrupted(), "abandon keeps no interrupt it did not get");
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IOException("never released");
            }
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        }
    }

    @Test
    void anErrorIsRethrownAsItIsNotWrapped() {
        OutOfMemoryError oom = new OutOfMemoryError("test");
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> ParallelIo.all(pool, List.of(0, 1), i -> {
            if (i == 0) {
                throw oom;
            }
            return i;
        }, r -> { }, ParallelIo.OnInterrupt.WAIT, "testing"));
        assertSame(oom, e);
        IllegalStateException ise = new IllegalStateException("bug");
        assertSame(ise, assertThrows(IllegalStateException.class, () -> ParallelIo.all(pool, List.of(0),
                i -> {
                    throw ise;
                }, r -> { }, ParallelIo.OnInterrupt.WAIT, "testing")));
    }

    @Test
    void anInterruptSkipsTasksNotStartedWaitsForRunningOnesAndClosesTheirResults() throws Exception {
        Interrupted r = interruptWhileOneRuns(ParallelIo.OnInterrupt.WAIT);
        assertEquals(false, r.taskInterrupted, "a running task is left to finish");
        assertEquals(Set.of(0), r.closed, "the running task's result is closed");
    }

    @Test
    void anInterruptCanInterruptTheRunningTasks() throws Exception {
        Interrupted r = interruptWhileOneRuns(ParallelIo.OnInterrupt.INTERRUPT);
        assertEquals(true, r.taskInterrupted, "the running task was interrupted");
        assertEquals(Set.of(), r.closed, "it produced nothing to close");
    }

    /** What {@link #interruptWhileOneRuns} saw. */
    private static final class Interrupted {
        final Set<Integer> closed = ConcurrentHashMap.newKeySet();
        volatile boolean taskInterrupted;
    }

    /**
     * Interrupts the waiting thread while the first of three tasks runs on a one-thread pool, and
     * checks what every mode promises: an {@link InterruptedIOException} naming the work, the
     * interrupt status kept, the tasks not started skipped.
     */
    private static Interrupted interruptWhileOneRuns(ParallelIo.OnInterrupt mode) throws Exception {
        ExecutorService one = ParallelIo.pool(1, ParallelIo.daemonThreads("one"));
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        Interrupted seen = new Interrupted();
        Throwable[] thrown = new Throwable[1];
        boolean[] interruptKept = new boolean[1];
        Thread caller = new Thread(() -> {
            try {
                ParallelIo.all(one, List.of(0, 1, 2), i -> {
                    started.incrementAndGet();
                    running.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        seen.taskInterrupted = true;
                        throw new InterruptedIOException("task interrupted");
                    }
                    return i;
                }, seen.closed::add, mode, "testing");
            } catch (Throwable t) {
                thrown[0] = t;
            }
            interruptKept[0] = Thread.currentThread().isInterrupted();
        });
        caller.start();
        assertTrue(running.await(10, TimeUnit.SECONDS));
        caller.interrupt();
        Thread.sleep(50);
        release.countDown();
        caller.join(10_000);
        one.shutdownNow();
        assertTrue(thrown[0] instanceof InterruptedIOException, String.valueOf(thrown[0]));
        assertTrue(thrown[0].getMessage().contains("testing"), thrown[0].getMessage());
        assertTrue(interruptKept[0], "the interrupt status is kept");
        assertEquals(1, started.get(), "tasks not started are skipped");
        return seen;
    }

    @Test
    void aShutDownPoolIsAFailureOfTheItemsItRefused() {
        ExecutorService dead = ParallelIo.pool(1, ParallelIo.daemonThreads("dead"));
        dead.shutdown();
        assertThrows(java.util.concurrent.RejectedExecutionException.class,
                () -> ParallelIo.all(dead, List.of(1), i -> i, r -> { }, ParallelIo.OnInterrupt.WAIT, "testing"));
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        }
    }
}

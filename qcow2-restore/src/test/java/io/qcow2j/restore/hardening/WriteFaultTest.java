package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ProgressListener;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreCancelledException;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.testing.ChannelSink;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Write-fault injection and interruption at the library level (issue 6, item 4): a target whose
 * channel fails, a lost fsync, {@link Thread#interrupt} and {@link Restore#cancel} must each end
 * in a {@link RestoreIncompleteException} that says where and that the target is incomplete, and
 * never in a {@code RestoreResult}.
 *
 * <p>The disk is {@code testdata/v2-c4096} (16 MiB, four 4 MiB blocks: data in the first, second
 * half and last; zeros between), restored as an existing target so zero ranges are written too.
 */
class WriteFaultTest {
    private static final long MIB = 1 << 20;
    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted(); // never leak an interrupt into the next test
    }

    private static Chain chain() throws IOException {
        return Chain.open(List.of(TestData.image("v2-c4096")), RestoreOptions.defaults().open());
    }

    /** An existing target file of the disk's size, wrapped so writes at or past {@code failAt} fail. */
    private FaultyChannel faultyTarget(Path target, long size, long failAt, boolean failForce) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(target.toFile(), "rw")) {
            raf.setLength(size);
        }
        FileChannel ch = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FaultyChannel(ch, failAt, failForce);
    }

    @ParameterizedTest(name = "fault at {0}")
    // inside the first data block, inside the zero range after it, inside the last block
    @ValueSource(longs = {MIB + 123, 9 * MIB + 123, 15 * MIB + 4096})
    void aFullDiskEndsIncompleteAtTheFailingGuestOffset(long failAt) throws Exception {
        Path target = dir.resolve("disk.raw");
        try (Chain chain = chain()) {
            long size = chain.virtualSize();
            FaultyChannel ch = faultyTarget(target, size, failAt, false);
            Restore restore = Restore.of(chain, new ChannelSink(target, ch), RestoreOptions.builder().workers(1).build());
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class,
                    () -> assertTimeoutPreemptively(BOUND,
                            () -> restore.run()));
            ch.close();
            assertTrue(ch.failures() >= 1, "the fault was never hit");
            assertEquals(failAt, ch.firstFailedPosition(), "the first failing write starts where the disk filled up");
            // one worker: the failure reported is the one that happened, at the byte that did not fit
            assertEquals(failAt, e.guestOffset(), e.getMessage());
            assertTrue(e.getMessage().contains("guest offset " + failAt), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
            assertFalse(e.getMessage().contains("digest"), e.getMessage());
            assertFalse(e.getMessage().contains("Exception"), "internal class names leak: " + e.getMessage());
        }
    }

    @Test
    void withSeveralWorkersTheReportedOffsetIsAWriteThatFailed() throws Exception {
        Path target = dir.resolve("disk.raw");
        long failAt = 5 * MIB;
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), failAt, false);
            Restore restore = Restore.of(chain, new ChannelSink(target, ch), RestoreOptions.builder().workers(3).build());
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class,
                    () -> assertTimeoutPreemptively(BOUND,
                            () -> restore.run()));
            ch.close();
            assertTrue(e.guestOffset() >= failAt && e.guestOffset() < chain.virtualSize(), e.getMessage());
            assertTrue(e.getMessage().contains("guest offset " + e.guestOffset()), e.getMessage());
        }
    }

    @Test
    void aLostFsyncIsNotASuccess() throws Exception {
        Path target = dir.resolve("disk.raw");
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, true);
            Restore restore = Restore.of(chain, new ChannelSink(target, ch), RestoreOptions.builder().workers(2).build());
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class,
                    () -> restore.run());
            ch.close();
            assertTrue(e.getMessage().contains("Input/output error"), e.getMessage());
            assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
            assertFalse(e.getMessage().contains("digest"), e.getMessage());
        }
    }

    @Test
    void anInterruptBeforeTheRunWritesNothingAndSaysIncomplete() throws Exception {
        Path target = dir.resolve("disk.raw");
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, false);
            Restore restore = Restore.of(chain, new ChannelSink(target, ch), RestoreOptions.builder().workers(1).build());
            Thread.currentThread().interrupt();
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class,
                    () -> restore.run());
            assertTrue(Thread.interrupted(), "the interrupt status must survive for the caller");
            ch.close();
            assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
            assertEquals(0, e.guestOffset(), e.getMessage());
        }
    }

    /**
     * The progress listener interrupts the restoring thread after the first block while a worker
     * is held inside its next write until the interrupt has become a cancel: the run must not
     * report success, whichever way the workers race.
     */
    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {1, 2})
    void anInterruptFromTheProgressListenerEndsIncomplete(int workers) throws Exception {
        Path target = dir.resolve("disk.raw");
        Thread runner = Thread.currentThread();
        AtomicBoolean fired = new AtomicBoolean();
        AtomicReference<Restore> holder = new AtomicReference<>();
        ProgressListener interrupter = (done, total) -> {
            if (fired.compareAndSet(false, true)) {
                runner.interrupt();
            }
        };
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, false);
            AtomicInteger writes = new AtomicInteger();
            ChannelSink sink = new ChannelSink(target, ch).beforeWrite(() -> {
                if (writes.incrementAndGet() > 1) {
                    awaitCancel(holder.get()); // the first block's progress has gone out by now, or soon
                }
            });
            Restore restore = Restore.of(chain, sink,
                    RestoreOptions.builder().workers(workers).progress(interrupter).build());
            holder.set(restore);
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, restore::run);
            assertTrue(fired.get());
            assertTrue(Thread.interrupted(), "the interrupt status must survive for the caller");
            ch.close();
            assertIncomplete(e, chain.virtualSize());
        }
    }

    /** Another thread interrupts while a worker is inside a write; the run must not report success. */
    @Test
    void anInterruptFromAnotherThreadEndsIncomplete() throws Exception {
        Path target = dir.resolve("disk.raw");
        Thread runner = Thread.currentThread();
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Restore> holder = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                started.await();
                runner.interrupt();
            } catch (InterruptedException ignored) {
                // the test ends anyway
            }
        });
        other.start();
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, false);
            ChannelSink sink = new ChannelSink(target, ch).beforeWrite(() -> {
                started.countDown();
                awaitCancel(holder.get()); // the runner turns the interrupt into a cancel on its own time
            });
            Restore restore = Restore.of(chain, sink, RestoreOptions.builder().workers(2).build());
            holder.set(restore);
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, restore::run);
            assertTrue(Thread.interrupted(), "the interrupt status must survive for the caller");
            ch.close();
            assertIncomplete(e, chain.virtualSize());
        } finally {
            other.join(10_000);
        }
    }

    @Test
    void cancelFromTheProgressListenerEndsIncomplete() throws Exception {
        Path target = dir.resolve("disk.raw");
        Restore[] holder = new Restore[1];
        ProgressListener canceller = (done, total) -> holder[0].cancel();
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, false);
            AtomicInteger writes = new AtomicInteger();
            ChannelSink sink = new ChannelSink(target, ch).beforeWrite(() -> {
                if (writes.incrementAndGet() > 1) {
                    awaitCancel(holder[0]);
                }
            });
            holder[0] = Restore.of(chain, sink, RestoreOptions.builder().workers(1).progress(canceller).build());
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, holder[0]::run);
            ch.close();
            assertIncomplete(e, chain.virtualSize());
            assertTrue(e instanceof RestoreCancelledException, "a cancel is reported as one: " + e);
        }
    }

    /**
     * A listener that never returns from its first call does not hold up the workers: the whole
     * disk is written and forced while it is stuck; the run returns once it is released.
     */
    @Test
    void aStuckProgressListenerDoesNotSlowTheRestore() throws Exception {
        Path target = dir.resolve("disk.raw");
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        AtomicLong lastDone = new AtomicLong(-1);
        ProgressListener stuck = (done, total) -> {
            lastDone.set(done);
            if (calls.incrementAndGet() == 1) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (Chain chain = chain()) {
            FaultyChannel ch = faultyTarget(target, chain.virtualSize(), Long.MAX_VALUE, false);
            ChannelSink sink = new ChannelSink(target, ch);
            Restore restore = Restore.of(chain, sink, RestoreOptions.builder().workers(2).progress(stuck).build());
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    outcome.set(restore.run());
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            t.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (sink.forcedAt() < 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(chain.virtualSize(), sink.forcedAt(), "every byte written and forced while the listener is stuck");
            assertEquals(1, calls.get(), "the listener is still in its first call");
            release.countDown();
            t.join(30_000);
            assertTrue(outcome.get() instanceof RestoreResult, "the run succeeds once released: " + outcome.get());
            // the delivery thread may start only once every block is done: its first call, the stuck
            // one, then carries the final count already, and nothing is left to deliver after it
            assertEquals(chain.virtualSize(), lastDone.get(), "the final count is delivered (" + calls.get()
                    + " calls)");
            ch.close();
        }
    }

    private static void assertIncomplete(RestoreIncompleteException e, long size) {
        String m = e.getMessage();
        assertTrue(m.contains("incomplete"), m);
        assertFalse(m.contains("digest"), m);
        assertFalse(m.contains("null"), "a reason went missing: " + m);
        if (e.guestOffset() >= 0) { // -1: every block was written, only the final flush did not happen
            assertTrue(e.guestOffset() < size, "guest offset " + e.guestOffset() + ": " + m);
            assertTrue(m.contains("guest offset " + e.guestOffset()), m);
        } else {
            assertTrue(m.contains("flush"), m);
        }
    }

    /** Waits (up to 10 s) until {@code restore} has been cancelled. */
    private static void awaitCancel(Restore restore) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!restore.isCancelled() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }
}

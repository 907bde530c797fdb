package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.internal.compose.Windows;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.testing.ChannelSink;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress reporting, {@link Restore#cancel()} and interruption of the restoring thread. */
class CancellationTest {
    private static final long M = 1 << 20;
    /** Three windows, data in the first blocks of each, so a stop in the first leaves work undone. */
    private static final long SIZE = 3 * Windows.SIZE;

    @TempDir
    Path dir;
    private List<Path> files;
    private ChainModel model;

    @BeforeEach
    void chain() throws IOException {
        Image full = new Image(16, false, SIZE);
        Image inc = new Image(12, false, SIZE);
        for (long w = 0; w < SIZE; w += Windows.SIZE) {
            full.write(w, 6 * M, w);
            inc.write(w + 2 * M, 1 * M, w + 1).zero(w + 5 * M, 1 * M);
        }
        model = new ChainModel(List.of(full, inc));
        files = model.write(dir);
    }

    @Test
    void progressIsMonotonicAndEndsAtTheVirtualSize() throws IOException {
        List<long[]> calls = new ArrayList<>();
        AtomicBoolean concurrent = new AtomicBoolean();
        AtomicBoolean inside = new AtomicBoolean();
        ProgressListener listener = (done, total) -> {
            if (!inside.compareAndSet(false, true)) {
                concurrent.set(true);
            }
            synchronized (calls) {
                calls.add(new long[] {done, total});
            }
            inside.set(false);
        };
        Path target = dir.resolve("disk.raw");
        RestoreResult r = Restore.run(files, target, RestoreOptions.builder().workers(2).progress(listener).build());
        assertFalse(concurrent.get(), "listener calls must not overlap");
        // how many reports arrive depends on scheduling (ProgressDispatcherTest shows they come
        // while the work runs); every one must be in order and the last must be the whole disk
        assertFalse(calls.isEmpty(), "progress was reported");
        long prev = 0;
        for (long[] c : calls) {
            assertEquals(SIZE, c[1], "total");
            assertTrue(c[0] > prev, "done must increase: " + prev + " then " + c[0]);
            assertTrue(c[0] <= SIZE);
            prev = c[0];
        }
        assertEquals(SIZE, prev, "last report is the virtual size");
        assertEquals(DiskDigest.of(target, SIZE), r.digest());
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void cancelFromTheListenerEndsIncomplete() throws IOException {
        Path target = dir.resolve("disk.raw");
        AtomicReference<Restore> restore = new AtomicReference<>();
        AtomicReference<Long> lastDone = new AtomicReference<>(0L);
        CountDownLatch cancelled = new CountDownLatch(1);
        ProgressListener cancelEarly = (done, total) -> {
            lastDone.set(done);
            if (done >= 8 * M && cancelled.getCount() > 0) {
                restore.get().cancel();
                cancelled.countDown();
            }
        };
        try (Chain chain = Chain.open(files, OpenOptions.defaults());
             FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.READ,
                     StandardOpenOption.WRITE)) {
            // The listener runs on a thread of its own and may lag the writers by the whole disk on a
            // loaded machine; past 16 MiB the writers wait for its cancel (30 s at most), so the
            // restore cannot have finished before the cancel it tests.
            AtomicReference<ChannelSink> sink = new AtomicReference<>();
            sink.set(new ChannelSink(target, channel).beforeWrite(() -> {
                if (sink.get().written() >= 16 * M) {
                    try {
                        cancelled.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }));
            restore.set(Restore.of(chain, sink.get(), RestoreOptions.builder().workers(2).progress(cancelEarly).build()));
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, () -> restore.get().run());
            assertTrue(e.getMessage().contains("cancelled") && e.getMessage().contains("incomplete"), e.getMessage());
            assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
            assertEquals(0, cancelled.getCount(), "the listener cancelled");
        }
        assertTrue(lastDone.get() < SIZE, "stopped before the end: " + lastDone.get());
    }

    @Test
    void cancelBeforeRunEndsIncompleteWithoutWritingData() throws IOException {
        Path target = dir.resolve("disk.raw");
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            Restore r = Restore.of(chain, target, RestoreOptions.builder().workers(2).build());
            r.cancel();
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, r::run);
            assertEquals(0, e.guestOffset());
        }
        // a new file is staged beside its path and renamed only when complete: a cancel leaves nothing
        assertFalse(java.nio.file.Files.exists(target), "a cancelled restore left a new file");
        try (var left = java.nio.file.Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains("disk.raw")), "staging file left");
        }
    }

    @Test
    void aThreadInterruptedBeforeRunEndsIncompleteAndStaysInterrupted() throws IOException {
        // the first interruptible call on the caller's thread (resizing the new target) would otherwise
        // close a channel and escape as ClosedByInterruptException
        Path target = dir.resolve("disk.raw");
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            Restore r = Restore.of(chain, target, RestoreOptions.builder().workers(2).build());
            Thread.currentThread().interrupt();
            try {
                RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class, r::run);
                assertEquals(0, e.guestOffset());
                assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept");
            } finally {
                Thread.interrupted();
            }
        }
    }

    /**
     * Interrupted while the chain is still being opened: a typed InterruptedIOException, the
     * interrupt status kept, no target created, and every image file that did open closed again
     * (counted in /proc/self/fd). Eight images on at most a few opening threads, so some never
     * start and must be cancelled rather than waited for.
     */
    @Test
    void aThreadInterruptedWhileOpeningTheChainLeavesNoTargetAndNoOpenFiles() throws IOException {
        List<Path> many = new ArrayList<>(files);
        for (int i = 0; i < 6; i++) {
            Path copy = dir.resolve("copy" + i + ".qcow2");
            java.nio.file.Files.copy(files.get(1), copy);
            many.add(copy);
        }
        Path target = dir.resolve("never.raw");
        long fdsBefore = openFiles();
        for (int round = 0; round < 5; round++) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(java.io.InterruptedIOException.class,
                        () -> Restore.run(many, target, RestoreOptions.defaults()));
                assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept");
            } finally {
                Thread.interrupted();
            }
        }
        assertFalse(java.nio.file.Files.exists(target), "nothing may be created before the chain is valid");
        if (fdsBefore >= 0) {
            assertEquals(fdsBefore, openFiles(), "image files left open after an interrupted open");
        }
    }

    /** Open file descriptors of this JVM, or -1 where /proc is missing. */
    private static long openFiles() throws IOException {
        Path fd = Path.of("/proc/self/fd");
        if (!java.nio.file.Files.isDirectory(fd)) {
            return -1;
        }
        try (var s = java.nio.file.Files.list(fd)) {
            return s.count();
        }
    }

    @Test
    void interruptingTheRestoringThreadEndsIncomplete() throws Exception {
        Path target = dir.resolve("disk.raw");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interruptSent = new CountDownLatch(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<RestoreResult> result = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        try (Chain chain = Chain.open(files, OpenOptions.defaults());
                FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // keep the first write busy until the interrupt is on its way, so the run is mid-way
            ChannelSink sink = new ChannelSink(target, ch).beforeWrite(() -> {
                if (started.getCount() > 0) {
                    started.countDown();
                    try {
                        interruptSent.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            Thread t = new Thread(() -> {
                try {
                    result.set(Restore.of(chain, sink, RestoreOptions.builder().workers(1).build()).run());
                } catch (Throwable e) {
                    thrown.set(e);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }, "restoring");
            t.start();
            assertTrue(started.await(30, TimeUnit.SECONDS), "restore never wrote");
            t.interrupt();
            interruptSent.countDown();
            t.join(60_000);
            assertFalse(t.isAlive(), "restore did not stop after an interrupt");
        }
        assertNull(result.get(), "an interrupted restore must not report success");
        assertNotNull(thrown.get());
        assertTrue(thrown.get() instanceof RestoreCancelledException, "got " + thrown.get());
        assertTrue(stillInterrupted.get(), "the interrupt status is kept for the caller");
    }

    /**
     * Interrupts at random moments while a chain with many small L2 tables is composed on the
     * caller's side: every run must end as a success or a clean cancellation (never a raw
     * ClosedByInterruptException), and the chain must stay usable afterwards.
     */
    @Test
    void interruptAtAnyMomentIsACleanCancellationAndLeavesTheChainUsable() throws Exception {
        long size = 2 * Windows.SIZE;
        Image full = new Image(9, false, size);
        for (long o = 0; o < size; o += 256 * 1024) {
            full.write(o, 512, o);
        }
        ChainModel m = new ChainModel(List.of(full));
        Path sub = java.nio.file.Files.createDirectories(dir.resolve("small-l2"));
        List<Path> chainFiles = m.write(sub);
        java.util.Random rnd = new java.util.Random(42);
        int cancelled = 0;
        // a tiny L2 cache keeps the composer reading tables on the caller's side for the whole run
        try (Chain chain = Chain.open(chainFiles, OpenOptions.defaults().withL2CacheBytes(4096))) {
            for (int i = 0; i < 12; i++) {
                Path target = sub.resolve("t" + i);
                AtomicReference<Object> outcome = new AtomicReference<>();
                CountDownLatch started = new CountDownLatch(1);
                Thread t = new Thread(() -> {
                    try {
                        started.countDown();
                        outcome.set(Restore.of(chain, target, RestoreOptions.builder().workers(2).build()).run());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                t.start();
                started.await();
                Thread.sleep(rnd.nextInt(60));
                t.interrupt();
                t.join(60_000);
                Object o = outcome.get();
                if (o instanceof Throwable th) {
                    if (!(th instanceof RestoreIncompleteException)) {
                        throw new AssertionError("interrupt " + i + " escaped as " + th, th);
                    }
                    cancelled++;
                } else {
                    assertTrue(o instanceof RestoreResult, String.valueOf(o));
                }
                java.nio.file.Files.deleteIfExists(target);
            }
            assertTrue(cancelled > 0, "no interrupt landed mid-run; the test did not test anything");
            Path last = sub.resolve("after.raw");
            RestoreResult r = Restore.of(chain, last, RestoreOptions.builder().workers(2).build()).run();
            ModelChecks.assertDiskEquals(m, last);
            assertEquals(DiskDigest.of(last, size), r.digest());
        }
    }
}

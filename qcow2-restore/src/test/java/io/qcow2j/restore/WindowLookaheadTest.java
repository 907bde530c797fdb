package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.restore.internal.ParallelIo;
import io.qcow2j.restore.internal.compose.Windows;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.model.ChainModel.Image;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With lookup threads a composition looks up the next window's extents while its visitor takes the
 * current one: the windows and their extents must be those of the one-after-the-other path, a
 * visitor that stops must stop the walk, and no lookup may run once the walk returned.
 */
class WindowLookaheadTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;

    @TempDir
    Path dir;

    /** Lookups submitted so far: exact, where ThreadPoolExecutor's task count is approximate. */
    private final AtomicLong submitted = new AtomicLong();
    private final ThreadPoolExecutor lookups = new ThreadPoolExecutor(4, 4, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), ParallelIo.daemonThreads("lookup-test")) {
        @Override
        public void execute(Runnable task) {
            submitted.incrementAndGet();
            super.execute(task);
        }
    };

    @AfterEach
    void shutDown() {
        lookups.shutdownNow();
    }

    /** Five windows, one unmapped stretch of two windows between them, writes across boundaries. */
    private List<Path> chain() throws IOException {
        long w = Windows.SIZE;
        long size = 7 * w + 3 * M; // a short last window
        Image full = new Image(16, false, size)
                .write(w - 128 * K, 256 * K, 1)
                .write(5 * w + 64 * K, 1 * M, 2)
                .write(size - 64 * K, 64 * K, 3);
        Image inc = new Image(14, true, size)
                .zero(w - 16 * K, 32 * K)
                .write(2 * w - 512, 1024, 4)
                .write(6 * w, 512 * K, 5);
        Image last = new Image(16, false, size).write(5 * w, 128 * K, 6).zero(size - 32 * K, 16 * K);
        return new ChainModel(List.of(full, inc, last)).write(dir);
    }

    private record Window(long start, long end, List<ComposedExtent> extents) {
    }

    private static List<Window> walk(Composition c, long offset, long length, int stopAfter) throws IOException {
        List<Window> seen = new ArrayList<>();
        boolean all = c.forEachWindow(offset, length, (s, e, extents) -> {
            seen.add(new Window(s, e, List.copyOf(extents)));
            return seen.size() < stopAfter;
        });
        assertEquals(seen.size() < stopAfter, all, "true exactly when the walk was not stopped");
        return seen;
    }

    @Test
    void theWindowsAndExtentsAreThoseOfTheSequentialPath() throws IOException {
        try (Chain chain = Chain.open(chain(), OpenOptions.defaults())) {
            Composition sequential = new Composition(chain.images());
            Composition ahead = new Composition(chain.images(), lookups);
            long size = sequential.virtualSize();
            List<Window> expected = walk(sequential, 0, size, Integer.MAX_VALUE);
            assertTrue(expected.size() >= 5, expected.size() + " windows");
            assertEquals(expected, walk(ahead, 0, size, Integer.MAX_VALUE));
            // a range that starts and ends inside windows, and one of a single window
            assertEquals(walk(sequential, 3 * M, 5 * Windows.SIZE, Integer.MAX_VALUE),
                    walk(ahead, 3 * M, 5 * Windows.SIZE, Integer.MAX_VALUE));
            assertEquals(walk(sequential, size - M, M, Integer.MAX_VALUE), walk(ahead, size - M, M, Integer.MAX_VALUE));
            assertEquals(sequential.dataBytes(), ahead.dataBytes());
        }
    }

    @Test
    void theNextWindowIsLookedUpWhileTheVisitorTakesThisOne() throws IOException {
        try (Chain chain = Chain.open(chain(), OpenOptions.defaults())) {
            int images = chain.images().size();
            Composition ahead = new Composition(chain.images(), lookups);
            long before = submitted.get();
            List<Long> startedInVisitor = new ArrayList<>();
            ahead.forEachWindow((s, e, extents) -> {
                startedInVisitor.add(submitted.get() - before);
                return true;
            });
            // while window k was visited, the lookups of windows 1..k+1 had been started (the last
            // window has no next one)
            for (int k = 0; k < startedInVisitor.size(); k++) {
                long expected = (long) images * Math.min(k + 2, startedInVisitor.size());
                assertEquals(expected, startedInVisitor.get(k), "lookups started by the visit of window " + k);
            }
        }
    }

    @Test
    void aVisitorThatStopsEndsTheWalkAndTheLookupsStartedAheadAreWaitedFor() throws IOException {
        try (Chain chain = Chain.open(chain(), OpenOptions.defaults())) {
            int images = chain.images().size();
            Composition sequential = new Composition(chain.images());
            Composition ahead = new Composition(chain.images(), lookups);
            for (int stopAfter = 1; stopAfter <= 3; stopAfter++) {
                long before = submitted.get();
                List<Window> seen = walk(ahead, 0, ahead.virtualSize(), stopAfter);
                assertEquals(walk(sequential, 0, ahead.virtualSize(), stopAfter), seen);
                assertEquals(stopAfter, seen.size());
                // one window further was started, and none after it; none is left queued
                assertEquals((long) images * (stopAfter + 1), submitted.get() - before);
                assertTrue(lookups.getQueue().isEmpty(), "no lookup left queued");
            }
        }
    }
}

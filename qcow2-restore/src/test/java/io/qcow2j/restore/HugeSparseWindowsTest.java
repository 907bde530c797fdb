package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Extent;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.Qcow2Writer;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.restore.internal.compose.Windows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Composing a huge, nearly empty disk costs its allocated tables, not its size: the windows that no
 * image's L2 table maps are composed as one. Counted, not timed: a 1 PiB disk is 16,777,216 windows of 64 MiB.
 */
class HugeSparseWindowsTest {
    private static final long K = 1024;
    private static final long G = K * K * K;
    private static final long PIB = G * K * K;
    /** Visiting more windows than this is the old, size-bound behaviour: stop there. */
    private static final int MANY = 1000;

    @TempDir
    Path dir;

    private record Window(long start, long end, List<ComposedExtent> extents) {
    }

    private static List<Window> windows(Composition c) throws IOException {
        List<Window> seen = new ArrayList<>();
        c.forEachWindow((s, e, extents) -> {
            seen.add(new Window(s, e, extents));
            return seen.size() <= MANY;
        });
        return seen;
    }

    /**
     * An older 1 PiB image with data at its start, middle and end, and a newer 1 PiB + 64 MiB one
     * with one cluster in the middle: a handful of windows cover the disk, in order without gaps,
     * with the data where it was written and the older image's end reading as zeros.
     */
    @Test
    void aPebibyteChainComposesInAFewWindows() throws IOException {
        long mid = PIB / 2;
        Path old = dir.resolve("old.qcow2");
        Qcow2Writer.image(16, false, PIB).data(0, new byte[4096]).data(mid, new byte[4096])
                .data(PIB - 64 * K, new byte[4096]).write(old);
        Path inc = dir.resolve("inc.qcow2");
        long size = PIB + Windows.SIZE;
        Qcow2Writer.image(16, false, size).data(mid + 64 * K, new byte[4096]).write(inc);
        try (Chain chain = Chain.open(List.of(old, inc), OpenOptions.defaults())) {
            Composition c = new Composition(chain.images());
            List<Window> ws = windows(c);
            // three L2 tables are mapped (one holds both middle clusters), each covering 512 MiB: 8
            // windows of 64 MiB; one window per stretch without tables around them
            long perTable = (64 * K / 8 * 64 * K) / Windows.SIZE;
            assertTrue(ws.size() <= 3 * perTable + 4, ws.size() + " windows for 3 mapped tables");
            long at = 0;
            long data = 0;
            List<Long> dataAt = new ArrayList<>();
            for (Window w : ws) {
                assertEquals(at, w.start());
                for (ComposedExtent e : w.extents()) {
                    assertEquals(at, e.start());
                    at = e.end();
                    if (e.kind() != Extent.Kind.ZERO) {
                        data += e.length();
                        dataAt.add(e.start());
                    }
                }
                assertEquals(w.end(), at);
            }
            assertEquals(size, at);
            assertEquals(List.of(0L, mid, mid + 64 * K, PIB - 64 * K), dataAt);
            assertEquals(4 * 64 * K, data);
            assertEquals(data, c.dataBytes());
        }
    }

    /** A disk mapped everywhere still gets windows of {@link Windows#SIZE}. */
    @Test
    void aMappedDiskKeepsItsWindows() throws IOException {
        Path img = dir.resolve("dense.qcow2");
        Qcow2Writer w = Qcow2Writer.image(16, false, 4 * Windows.SIZE);
        for (long at = 0; at < 4 * Windows.SIZE; at += Windows.SIZE / 2) {
            w.data(at, new byte[512]);
        }
        w.write(img);
        try (Chain chain = Chain.open(List.of(img), OpenOptions.defaults())) {
            List<Window> ws = windows(new Composition(chain.images()));
            assertEquals(4, ws.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(i * Windows.SIZE, ws.get(i).start());
                assertEquals((i + 1) * Windows.SIZE, ws.get(i).end());
            }
        }
    }
}

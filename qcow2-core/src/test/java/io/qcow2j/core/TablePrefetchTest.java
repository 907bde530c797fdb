package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Qcow2Writer;
import io.qcow2j.core.testing.RemoteLikeSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote image's validation pass fetches its L2 tables all at once (up to its L2 budget ahead)
 * instead of one round trip after another, and ends exactly as the pass one table at a time does:
 * the same extents, the same error at the same table.
 */
class TablePrefetchTest {
    /** 64 KiB clusters: one L2 table maps 512 MiB; a cluster in each of 8 tables. */
    private static final long TABLE_SPAN = 512L << 20;
    private static final int TABLES = 8;

    @TempDir
    Path dir;
    private final ExecutorService reads = Executors.newFixedThreadPool(TABLES);

    @AfterEach
    void stop() {
        reads.shutdownNow();
    }

    private Path image() throws IOException {
        Qcow2Writer w = Qcow2Writer.image(16, false, TABLES * TABLE_SPAN);
        for (int t = 0; t < TABLES; t++) {
            byte[] b = new byte[65536];
            java.util.Arrays.fill(b, (byte) (t + 1));
            w.data(t * TABLE_SPAN + (t + 1) * 65536L, b);
        }
        Path p = dir.resolve("eight-tables.qcow2");
        w.write(p);
        return p;
    }

    @Test
    void theTablesOfAnImageAreFetchedTogether() throws IOException {
        Path p = image();
        for (long budget : new long[] {16L << 20, 4096}) { // all kept in the cache; none kept
            OpenOptions o = OpenOptions.defaults().withL2CacheBytes(budget);
            RemoteLikeSource remote = RemoteLikeSource.open(p).delayReads(Duration.ofMillis(20));
            try (Qcow2Image local = Qcow2Image.open(p);
                    Qcow2Image far = Qcow2Image.open(remote, o)) {
                long before = remote.reads();
                far.validateAllTables(reads);
                assertEquals(TABLES, remote.reads() - before, "one read per table, budget " + budget);
                // with the budget below one table, one table at a time (nothing fetched ahead)
                int expected = budget >= TABLES * 65536L ? TABLES : 1;
                assertEquals(expected, remote.maxReadsInFlight(), "reads in flight, budget " + budget);
                local.validateAllTables();
                assertEquals(local.extents(0, local.virtualSize()), far.extents(0, far.virtualSize()));
            }
        }
    }

    @Test
    void aBadTableFailsAsInAPassOneTableAtATime() throws IOException {
        Path p = image();
        long entryPos;
        try (ImagePoker poker = ImagePoker.open(p)) {
            long l2 = poker.l1Entry(5) & 0x00ff_ffff_ffff_fe00L;
            entryPos = l2 + 6 * 8; // table 5's entry for its cluster 6, which holds data
            poker.orLong(entryPos, 1L << 1); // a reserved bit
        }
        InvalidImageException sequential = assertThrows(InvalidImageException.class, () -> {
            try (Qcow2Image img = Qcow2Image.open(RemoteLikeSource.open(p), OpenOptions.defaults())) {
                img.validateAllTables();
            }
        });
        InvalidImageException prefetched = assertThrows(InvalidImageException.class, () -> {
            try (Qcow2Image img = Qcow2Image.open(RemoteLikeSource.open(p), OpenOptions.defaults())) {
                img.validateAllTables(reads);
            }
        });
        assertEquals(sequential.getMessage(), prefetched.getMessage());
        assertTrue(sequential.getMessage().contains(String.valueOf(entryPos)), sequential.getMessage());
    }
}

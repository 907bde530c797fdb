package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-loss bug that started the project: rebasing every incremental onto the full backup (a
 * flat stack) drops what only the middle incrementals changed and resurrects what they zeroed.
 * The chained restore keeps both; ours must equal the chained one.
 */
class FlatRebaseDataLossTest {
    private static final int K = 1024;

    @TempDir
    Path dir;

    @Test
    void committedChainRestoresToTheChainedResultNotTheFlatOne() throws IOException {
        assertNotEquals(TestData.chainSha256(), TestData.chainFlatSha256(), "the sample chain must tell them apart");
        Path target = dir.resolve("disk.raw");
        RestoreResult r = Restore.run(TestData.chain(), target, RestoreOptions.defaults());
        assertEquals(TestData.chainSize(), Files.size(target));
        assertEquals(TestData.chainSha256(), Sha256.of(target));
        assertEquals(DiskDigest.of(target, r.virtualSize()), r.digest());
    }

    @Test
    @RequiresQemu
    void flatStackLosesTheMiddleIncrementalsChangesTheChainedOneKeepsThem() throws IOException {
        long size = 1 << 20;
        Path full = dir.resolve("full.qcow2");
        Path inc1 = dir.resolve("inc1.qcow2");
        Path inc2 = dir.resolve("inc2.qcow2");
        QemuImg.create(full, size, "cluster_size=65536");
        QemuIo.on(full).write(0, size, 0xa1).run();
        QemuImg.create(inc1, size, "cluster_size=4096");
        QemuIo.on(inc1).write(64 * K, 8 * K, 0xb2).writeZero(256 * K, 64 * K).run(); // changed, then zeroed
        QemuImg.create(inc2, size, "cluster_size=16384,extended_l2=on");
        QemuIo.on(inc2).write(512 * K, 4 * K, 0xc3).run();
        List<Path> chain = List.of(full, inc1, inc2);

        Path chained = dir.resolve("chained.raw");
        Path flat = dir.resolve("flat.raw");
        QemuImg.oracleChained(chained, chain, dir);
        QemuImg.oracleFlat(flat, chain, dir);
        byte[] good = Files.readAllBytes(chained);
        byte[] bad = Files.readAllBytes(flat);
        assertNotEquals(-1, Arrays.mismatch(good, bad), "flat and chained oracles must differ");
        // where they differ is exactly what inc1 alone did
        assertEquals((byte) 0xb2, good[64 * K]);
        assertEquals((byte) 0xa1, bad[64 * K], "flat stack: inc1's write is lost");
        assertEquals(0, good[300 * K]);
        assertEquals((byte) 0xa1, bad[300 * K], "flat stack: inc1's zeroed range is resurrected");

        Path target = dir.resolve("restored.raw");
        RestoreResult r = Restore.run(chain, target, RestoreOptions.defaults());
        byte[] ours = Files.readAllBytes(target);
        assertArrayEquals(good, ours, "our restore equals the chained result");
        assertNotEquals(-1, Arrays.mismatch(bad, ours), "and not the flat one");
        assertEquals(DiskDigest.of(chained, size), r.digest());
        assertNotEquals(DiskDigest.of(flat, size), r.digest());
    }
}

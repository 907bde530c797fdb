package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.Shell;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 TiB virtual chain with a few writes at the start, the middle and the end restores into a
 * sparse 1 TiB file with the digest of that disk. The time is printed, not asserted: cost must
 * grow with the allocated extents, not with the virtual size.
 */
@RequiresQemu
class SparseTebibyteTest {
    private static final long K = 1024;
    private static final long M = K * K;
    private static final long TIB = M * M;
    /** Model blocks: any multiple of the digest chunk works. */
    private static final int BLOCK = 4 << 20;

    @TempDir
    Path dir;

    /** A write of one byte value over a range, as the test's model of the disk. */
    private record Write(long offset, long length, int value) {
    }

    @Test
    void oneTebibyteSparseChainRestoresSparseWithTheRightDigest() throws IOException {
        Path full = dir.resolve("full.qcow2");
        Path inc = dir.resolve("inc.qcow2");
        long mid = TIB / 2;
        QemuImg.create(full, TIB, "cluster_size=65536");
        QemuIo.on(full).write(0, M, 0xa1).write(mid - 64 * K, 192 * K, 0xa2).write(TIB - 128 * K, 128 * K, 0xa3).run();
        QemuImg.create(inc, TIB, "cluster_size=32768,extended_l2=on");
        QemuIo.on(inc).writeZero(256 * K, 256 * K).write(mid, 4 * K, 0xb1).write(TIB - 5 * K, 3 * K, 0xb2).run();
        // the disk, newest last: later entries overwrite earlier ones
        List<Write> disk = List.of(new Write(0, M, 0xa1), new Write(mid - 64 * K, 192 * K, 0xa2),
                new Write(TIB - 128 * K, 128 * K, 0xa3), new Write(256 * K, 256 * K, 0),
                new Write(mid, 4 * K, 0xb1), new Write(TIB - 5 * K, 3 * K, 0xb2));

        Path target = dir.resolve("disk.raw");
        long t0 = System.nanoTime();
        RestoreResult r = Restore.run(List.of(full, inc), target, RestoreOptions.defaults());
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("1 TiB sparse chain restored in %.2f s (%d bytes written, heap in use %d MiB)%n", seconds,
                r.bytesWritten(), (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);

        assertEquals(TIB, Files.size(target));
        assertEquals(TIB, r.virtualSize());
        long allocated = Shell.allocatedBytes(target);
        assertTrue(allocated < 64 * M, "the restored 1 TiB file must be sparse, allocated " + allocated);

        // every 4 MiB block the writes touch, built from the model; all others are zero blocks
        TreeMap<Long, byte[]> blocks = new TreeMap<>();
        for (Write w : disk) {
            for (long b = w.offset / BLOCK; b * BLOCK < w.offset + w.length; b++) {
                byte[] block = blocks.computeIfAbsent(b, x -> new byte[BLOCK]);
                long from = Math.max(w.offset, b * BLOCK);
                long to = Math.min(w.offset + w.length, (b + 1) * BLOCK);
                Arrays.fill(block, (int) (from - b * BLOCK), (int) (to - b * BLOCK), (byte) w.value);
            }
        }
        // all-zero chunks contribute nothing (DiskDigestTest checks that), so the model's blocks suffice
        DiskDigest expected = new DiskDigest(TIB);
        for (var e : blocks.entrySet()) {
            expected.addRange(e.getKey() * BLOCK, ByteBuffer.wrap(e.getValue()), BLOCK);
        }
        assertEquals(expected.value(), r.digest(), "digest of the restored stream");
        // and the target holds those blocks (the rest of the file is one hole)
        try (FileChannel ch = FileChannel.open(target)) {
            for (var e : blocks.entrySet()) {
                ByteBuffer buf = ByteBuffer.allocate(BLOCK);
                ch.read(buf, e.getKey() * BLOCK);
                assertArrayEquals(e.getValue(), buf.array(), "block " + e.getKey());
            }
        }
        assertEquals(M - 256 * K + 192 * K + 128 * K, r.dataBytes(), "data bytes");

        // the same through the CLI in a JVM with a 48 MiB heap: memory does not grow with the disk
        Path target2 = dir.resolve("disk2.raw");
        Shell.Result cli = CliJvm.run(List.of("-Xmx48m"), "restore", "--output", target2.toString(), "--json",
                "--progress=none", full.toString(), inc.toString());
        assertEquals(0, cli.code(), cli.err());
        assertTrue(cli.out().contains("\"" + DiskDigest.NAME + ":" + expected.value() + "\""), cli.out());
        assertEquals(TIB, Files.size(target2));
        System.out.println("1 TiB sparse chain restored by the CLI with -Xmx48m: " + cli.out().lines()
                .filter(l -> l.contains("\"seconds\"")).findFirst().orElse("?").strip());
    }
}

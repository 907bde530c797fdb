package io.qcow2j.restore.internal.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qcow2j.restore.Shell;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hole map an existing file target is zeroed by: which parts of a range held data. */
class KernelZeroerTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;

    @TempDir
    Path dir;

    @Test
    void dataInClipsTheFilesDataRangesToTheAskedRange() throws IOException {
        Path file = dir.resolve("t.raw");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16 * M);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            write(ch, 0, 64 * K);
            write(ch, 4 * M, 128 * K);
            write(ch, 15 * M, 1 * M); // up to the end
        }
        assumeTrue(Shell.allocatedBytes(file) < 4 * M, "the filesystem of " + dir + " keeps no holes");
        try (KernelZeroer z = KernelZeroer.open(file, false, 16 * M)) {
            assertNotNull(z, "JNA and Linux are what this build runs on");
            assertArrayEquals(new long[] {0, 64 * K}, z.dataIn(0, M));
            assertArrayEquals(new long[] {4 * K, 64 * K}, z.dataIn(4 * K, 2 * M), "clipped at the start");
            assertArrayEquals(new long[] {}, z.dataIn(64 * K, 4 * M), "a hole between two data ranges");
            assertArrayEquals(new long[] {4 * M, 4 * M + 64 * K}, z.dataIn(M, 4 * M + 64 * K), "clipped at the end");
            assertArrayEquals(new long[] {32 * K, 64 * K, 4 * M, 4 * M + 128 * K, 15 * M, 16 * M},
                    z.dataIn(32 * K, 16 * M), "every range in between");
            assertArrayEquals(new long[] {}, z.dataIn(5 * M, 10 * M));
            assertArrayEquals(new long[] {15 * M + 4 * K, 15 * M + 8 * K}, z.dataIn(15 * M + 4 * K, 15 * M + 8 * K));
        }
    }

    @Test
    void aFileWithoutHolesIsDataEverywhere() throws IOException {
        Path file = dir.resolve("full.raw");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            write(ch, 0, 2 * M);
        }
        try (KernelZeroer z = KernelZeroer.open(file, false, 2 * M)) {
            assertNotNull(z);
            assertArrayEquals(new long[] {M, M + 512}, z.dataIn(M, M + 512));
        }
    }

    private static void write(FileChannel ch, long at, long len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) len);
        while (b.hasRemaining()) {
            b.put((byte) 0x5a);
        }
        b.flip();
        while (b.hasRemaining()) {
            ch.write(b, at + b.position());
        }
    }
}

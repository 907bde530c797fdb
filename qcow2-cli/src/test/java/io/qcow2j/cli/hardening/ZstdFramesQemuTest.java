package io.qcow2j.cli.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.Zstd;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.internal.format.L2Entry;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.ImagePoker.L2Ref;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zstd-compressed cluster is inflated as qemu inflates it (qcow2_zstd_decompress): frame after
 * frame until the cluster is full, and the last frame must end exactly there. The frames are
 * written here with zstd-jni and an L2 entry's compressed descriptor pointed at them; qemu-img
 * convert is the oracle.
 */
@RequiresQemu
class ZstdFramesQemuTest {
    private static final int CLUSTER = 64 << 10;
    private static final long SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aFrameThatInflatesPastTheClusterFailsTheRestoreWithItsGuestOffset() throws IOException {
        byte[] longer = pattern(CLUSTER + 1000, 7);
        Path img = imageWithCluster(Zstd.compress(longer));
        long guest = compressedEntry(img).guestOffset();

        Qemu.CommandFailedException qemu = assertThrows(Qemu.CommandFailedException.class,
                () -> QemuImg.convertToRaw(img, dir.resolve("qemu.raw")), "qemu-img convert must fail");
        assertTrue(qemu.getMessage().contains("Input/output error"), qemu.getMessage());

        Path target = dir.resolve("ours.raw");
        CliRun r = CliRun.cli("restore", "--output", target.toString(), "--json", "--progress=none", img.toString());
        assertEquals(4, r.exit(), r.err());
        JsonNode error = new ObjectMapper().readTree(r.out()).get("error");
        assertEquals("incomplete", error.get("kind").asText(), r.out());
        assertEquals(guest, error.get("guest-offset").asLong(), r.out());
        assertTrue(error.get("message").asText().contains("more than one cluster"), r.out());
    }

    @Test
    void aClusterStoredAsTwoFramesReadsAsQemuReadsIt() throws IOException {
        byte[] cluster = pattern(CLUSTER, 3);
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        frames.write(Zstd.compress(Arrays.copyOfRange(cluster, 0, CLUSTER / 2)));
        frames.write(Zstd.compress(Arrays.copyOfRange(cluster, CLUSTER / 2, CLUSTER)));
        Path img = imageWithCluster(frames.toByteArray());
        long guest = compressedEntry(img).guestOffset();

        Path qemuRaw = dir.resolve("qemu.raw");
        QemuImg.convertToRaw(img, qemuRaw);
        byte[] expected = Files.readAllBytes(qemuRaw);
        assertArrayEquals(cluster, Arrays.copyOfRange(expected, (int) guest, (int) guest + CLUSTER),
                "qemu reads both frames");

        Path target = dir.resolve("ours.raw");
        CliRun r = CliRun.cli("restore", "--output", target.toString(), "--progress=none", img.toString());
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(expected, Files.readAllBytes(target), "byte-identical to qemu-img convert");
    }

    /**
     * A zstd image of 64 KiB clusters with compressed clusters, the first of which is replaced by
     * {@code stream}: written past the end of the file, sector aligned, and named by the entry's
     * descriptor.
     */
    private Path imageWithCluster(byte[] stream) throws IOException {
        Path img = dir.resolve("zstd.qcow2");
        QemuImg.create(img, SIZE, "compression_type=zstd");
        QemuIo.on(img).writeCompressed(0, CLUSTER, 0x11).writeCompressed(2L * CLUSTER, CLUSTER, 0x22).run();
        try (ImagePoker p = ImagePoker.open(img)) {
            L2Ref r = compressedEntry(p);
            long at = (p.fileSize() + Layout.SECTOR - 1) & ~(Layout.SECTOR - 1L);
            p.putBytes(at, stream);
            p.putLong(r.pos(), L2Entry.encodeCompressed(at, stream.length, p.clusterBits()));
        }
        return img;
    }

    private static L2Ref compressedEntry(Path img) throws IOException {
        try (ImagePoker p = ImagePoker.open(img)) {
            return compressedEntry(p);
        }
    }

    private static L2Ref compressedEntry(ImagePoker p) throws IOException {
        return p.findL2Entry("a compressed cluster", L2Ref::compressed);
    }

    /** Bytes that compress, but not to nothing. */
    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i * seed) ^ (i >>> 9));
        }
        return b;
    }
}

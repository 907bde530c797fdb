package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.testing.Qcow2Writer;
import io.qcow2j.restore.Shell;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long chains and huge sparse images restore in a small heap: metadata memory is budgeted across
 * the whole chain and loaded on demand, and a chain whose metadata cannot fit is refused before
 * anything is written. Each run is the CLI in a JVM of its own with {@link #HEAP}, the heap the
 * launcher gives a pod limited to 256 MiB (half of it); the images are written with
 * {@link Qcow2Writer} (a few clusters each) and the expected digest comes from the same model.
 */
class LongChainMemoryTest {
    private static final String HEAP = "-Xmx128m";
    private static final long K = 1024;
    private static final long M = K * K;
    private static final long G = M * K;
    private static final long PIB = G * M;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A chain written from a model of its disk: guest offset to the bytes there (4 KiB, or zeros). */
    private record Chain(List<Path> images, long size, TreeMap<Long, byte[]> disk) {
        String digest() {
            DiskDigest d = new DiskDigest(size);
            for (Map.Entry<Long, byte[]> e : disk.entrySet()) {
                ByteBuffer chunk = ByteBuffer.allocate(DiskDigest.CHUNK).put(e.getValue()).clear();
                d.addRange(e.getKey(), chunk, DiskDigest.CHUNK);
            }
            return DiskDigest.NAME + ":" + d.value();
        }

        List<String> args() {
            return images.stream().map(Path::toString).toList();
        }
    }

    /**
     * {@code links} images of {@code size} bytes with clusters of {@code 1 << clusterBits}: each
     * writes 4 KiB of its own at the start of {@code dataClusters} random clusters and zeroes one
     * more, so later images hide earlier ones.
     */
    private Chain chain(int links, int clusterBits, long size, int dataClusters) throws IOException {
        Path d = Files.createDirectories(dir.resolve("chain-" + links + "-" + clusterBits));
        long cs = 1L << clusterBits;
        long clusters = size / cs;
        SplittableRandom rnd = new SplittableRandom(links * 31L + clusterBits);
        TreeMap<Long, byte[]> disk = new TreeMap<>();
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < links; i++) {
            Qcow2Writer w = Qcow2Writer.image(clusterBits, false, size);
            for (int k = 0; k < dataClusters; k++) {
                long at = rnd.nextLong(clusters) * cs;
                byte[] b = new byte[4096];
                for (int j = 0; j < b.length; j++) {
                    b[j] = (byte) (i * 7 + k * 13 + j);
                }
                w.data(at, b);
                disk.put(at, b);
            }
            // a zero cluster over an older image's data where there is some
            Long older = disk.ceilingKey(rnd.nextLong(clusters) * cs);
            long zero = older != null ? older : rnd.nextLong(clusters) * cs;
            w.zero(zero, cs);
            disk.remove(zero);
            Path p = d.resolve(String.format("link-%04d.qcow2", i));
            w.write(p);
            images.add(p);
        }
        return new Chain(images, size, disk);
    }

    private static JsonNode restore(List<String> jvm, Chain c, Path target) throws IOException {
        List<String> args = new ArrayList<>(List.of("restore", "--output", target.toString(), "--json",
                "--progress=none"));
        args.addAll(c.args());
        Shell.Result r = CliJvm.run(jvm, args.toArray(String[]::new));
        System.out.println(String.join(" ", jvm) + ", " + c.images().size() + " links: exit " + r.code() + ", "
                + r.out().lines().filter(l -> l.contains("\"seconds\"")).findFirst().orElse("").strip());
        assertEquals(0, r.code(), r.err());
        JsonNode summary = JSON.readTree(r.out());
        assertEquals(c.digest(), summary.get("digest").asText());
        return summary;
    }

    @Test
    void aThousandLinksOf64KiBClustersRestoreIn128MiB() throws IOException {
        Chain c = chain(1000, 16, 4 * G, 3);
        restore(List.of(HEAP), c, dir.resolve("disk.raw"));
    }

    @Test
    void aHundredLinksOf2MiBClustersRestoreIn128MiB() throws IOException {
        Chain c = chain(100, 21, G, 3);
        restore(List.of(HEAP), c, dir.resolve("disk.raw"));
    }

    /** A heap smaller than the chain's L2 caches alone when they are full. */
    @Test
    void aChainWhoseMetadataCannotFitIsRefusedBeforeWriting() throws IOException {
        Chain c = chain(1000, 16, 4 * G, 3);
        Path target = dir.resolve("disk.raw");
        List<String> args = new ArrayList<>(List.of("restore", "--output", target.toString(), "--json",
                "--progress=none"));
        args.addAll(c.args());
        Shell.Result r = CliJvm.run(List.of("-Xmx16m"), args.toArray(String[]::new));
        assertEquals(3, r.code(), r.err());
        JsonNode error = JSON.readTree(r.out()).get("error");
        assertEquals("insufficient-memory", error.get("kind").asText(), r.out());
        assertTrue(error.get("message").asText().contains("MiB"), "the numbers: " + r.out());
        assertFalse(Files.exists(target), "the target is not created");
    }

    /**
     * Five images of 2 PiB, the largest L1 table qemu allows (32 MiB, 4M entries), nearly empty:
     * the L1 tables' memory follows their few allocated entries. The target is a sparse file on
     * tmpfs, the one local file system here that holds a 2 PiB file.
     */
    @Test
    void fiveMaximumL1ImagesMapAndRestoreIn128MiB() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && Files.getFileStore(shm).type().equals("tmpfs"), "needs a writable tmpfs at /dev/shm");
        long size = 2 * PIB;
        TreeMap<Long, byte[]> disk = new TreeMap<>();
        List<Path> images = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Qcow2Writer w = Qcow2Writer.image(16, false, size);
            for (long at : new long[] {i * G, size / 2 + i * 64 * K, size - (i + 1) * 64 * K}) {
                byte[] b = new byte[4096];
                Arrays.fill(b, (byte) (0x30 + i));
                w.data(at, b);
                disk.put(at, b);
            }
            Path p = dir.resolve("huge-" + i + ".qcow2");
            w.write(p);
            images.add(p);
        }
        Chain c = new Chain(images, size, disk);

        List<String> map = new ArrayList<>(List.of("map", "--json"));
        map.addAll(c.args());
        Shell.Result m = CliJvm.run(List.of(HEAP), map.toArray(String[]::new));
        assertEquals(0, m.code(), m.err());
        JsonNode mapped = JSON.readTree(m.out());
        assertEquals(size, mapped.get("virtual-size").asLong());
        for (JsonNode img : mapped.get("images")) {
            assertEquals(3 * 64 * K, img.get("contributed-bytes").asLong(), m.out());
        }

        Path target = Files.createTempFile(shm, "qcow2j-2pib-", ".raw");
        try {
            Files.delete(target);
            restore(List.of(HEAP), c, target);
            assertEquals(size, Files.size(target));
        } finally {
            Files.deleteIfExists(target);
        }
    }
}

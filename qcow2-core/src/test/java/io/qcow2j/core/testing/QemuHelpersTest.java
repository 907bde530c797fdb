package io.qcow2j.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The qemu wrappers and the committed testdata do what the other tests rely on. */
class QemuHelpersTest {

    private static final int K = 1024;

    @TempDir
    Path tmp;

    @Test
    void testDataFindsEveryImageListedInExpected() throws IOException {
        TreeSet<String> expected = new TreeSet<>();
        try (Stream<Path> files = Files.list(TestData.root().resolve("expected"))) {
            files.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(".sha256") && !f.startsWith("chain"))
                    .forEach(f -> expected.add(f.substring(0, f.length() - ".sha256".length())));
        }
        assertFalse(expected.isEmpty(), "expected/ lists no image");
        assertEquals(List.copyOf(expected), TestData.imageNames(), "images on disk vs expected/");

        List<String> all = new ArrayList<>(TestData.imageNames());
        all.addAll(TestData.chainNames());
        for (String name : all) {
            assertTrue(Files.size(TestData.image(name)) > 0, name);
            assertEquals(TestData.image(name), TestData.image(name + ".qcow2"));
            assertTrue(TestData.expectedSha256(name).matches("[0-9a-f]{64}"), name);
            assertTrue(TestData.expectedMapJson(name).startsWith("[{"), name);
            String info = TestData.expectedInfoJson(name);
            assertTrue(info.contains("\"virtual-size\""), name);
            assertFalse(info.contains("\"filename\""), name + ": location-dependent field kept");
        }
        assertTrue(TestData.expectedInfoJson("backing-name")
                .contains("\"backing-filename\": \"/run/kubevirt-private/some/disk.qcow2\""));

        List<Path> chain = TestData.chain();
        assertEquals(3, chain.size());
        assertEquals("full.qcow2", chain.get(0).getFileName().toString());
        assertEquals("inc2.qcow2", chain.get(2).getFileName().toString());
        assertTrue(TestData.chainSha256().matches("[0-9a-f]{64}"));
        assertNotEquals(TestData.chainSha256(), TestData.chainFlatSha256());
        assertEquals(4L << 20, TestData.chainSize());
        assertThrows(IllegalArgumentException.class, () -> TestData.image("no-such-image"));
    }

    @Test
    void sha256MatchesKnownVector() throws IOException {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                Sha256.of("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        Path f = tmp.resolve("abc");
        Files.writeString(f, "abc");
        assertEquals(Sha256.of("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), Sha256.of(f));
    }

    @Test
    @RequiresQemu
    void qemuIoWritesWhatConvertReadsBack() throws IOException {
        Path img = tmp.resolve("img.qcow2");
        Path pattern = tmp.resolve("pattern.bin");
        byte[] random = new byte[6 * K];
        new Random(42).nextBytes(random);
        Files.write(pattern, random);

        QemuImg.create(img, 1 << 20, "cluster_size=4096");
        QemuIo.on(img)
                .write(0, 16 * K, 0xaa)
                .writeZero(4 * K, 4 * K)
                .writeZeroUnmap(8 * K, 4 * K)
                .discard(12 * K, 4 * K)
                .writeFile(100 * K, 6 * K, pattern)
                .writeCompressed(200 * K, 4 * K, 0x11)
                .run();
        QemuImg.check(img);

        byte[] want = new byte[1 << 20];
        Arrays.fill(want, 0, 4 * K, (byte) 0xaa);
        System.arraycopy(random, 0, want, 100 * K, 6 * K);
        Arrays.fill(want, 200 * K, 204 * K, (byte) 0x11);

        Path raw = tmp.resolve("img.raw");
        QemuImg.convertToRaw(img, raw);
        assertArrayEquals(want, Files.readAllBytes(raw));
        assertEquals(Sha256.of(want), Sha256.of(raw));

        String map = QemuImg.mapJson(img);
        assertTrue(map.contains("\"zero\": true"), map);
        assertTrue(QemuImg.infoJson(img).contains("\"cluster-size\": 4096"));

        // v2 and zstd options pass through
        Path v2 = tmp.resolve("v2.qcow2");
        QemuImg.create(v2, 1 << 20, "compat=0.10,cluster_size=512");
        assertTrue(QemuImg.infoJson(v2).contains("\"compat\": \"0.10\""));
        Path zstd = tmp.resolve("zstd.qcow2");
        QemuImg.convertToQcow2(raw, zstd, true, "compression_type=zstd,cluster_size=65536");
        assertTrue(QemuImg.infoJson(zstd).contains("\"compression-type\": \"zstd\""));
        Path back = tmp.resolve("zstd.raw");
        QemuImg.convertToRaw(zstd, back);
        assertEquals(Sha256.of(want), Sha256.of(back));
    }

    @Test
    @RequiresQemu
    void failuresCarryQemuMessages() throws IOException {
        Path img = tmp.resolve("img.qcow2");
        QemuImg.create(img, 1 << 20, null);
        Qemu.CommandFailedException e = assertThrows(Qemu.CommandFailedException.class,
                () -> QemuIo.run(img, "write -c 0 1024")); // compressed writes must be whole clusters
        assertTrue(e.getMessage().contains("write failed"), e.getMessage());
        e = assertThrows(Qemu.CommandFailedException.class,
                () -> QemuImg.convertToRaw(tmp.resolve("missing.qcow2"), tmp.resolve("x.raw")));
        assertTrue(e.getMessage().contains("missing.qcow2"), e.getMessage());
        assertEquals(1, e.result().exitCode());
    }

    /** Full, inc1, inc2, all standalone: the chained oracle keeps inc1's change, the flat one loses it. */
    @Test
    @RequiresQemu
    void chainedOracleDiffersFromFlatAndLeavesInputsAlone() throws IOException {
        Path full = tmp.resolve("full.qcow2");
        Path inc1 = tmp.resolve("inc1.qcow2");
        Path inc2 = tmp.resolve("inc2.qcow2");
        QemuImg.create(full, 1 << 20, null);
        QemuImg.create(inc1, 1 << 20, "cluster_size=4096");
        QemuImg.create(inc2, 1 << 20, "cluster_size=4096");
        QemuIo.on(full).write(0, 64 * K, 0xf0).run();
        QemuIo.on(inc1).write(4 * K, 4 * K, 0xb1).writeZero(16 * K, 4 * K).write(32 * K, 4 * K, 0xb2).run();
        QemuIo.on(inc2).write(32 * K, 4 * K, 0xc2).run();
        List<Path> links = List.of(full, inc1, inc2);
        List<String> before = new ArrayList<>();
        for (Path p : links) {
            before.add(Sha256.of(p));
        }

        byte[] chained = new byte[1 << 20];
        Arrays.fill(chained, 0, 64 * K, (byte) 0xf0);
        byte[] flat = chained.clone();
        Arrays.fill(chained, 4 * K, 8 * K, (byte) 0xb1);
        Arrays.fill(chained, 16 * K, 20 * K, (byte) 0);
        Arrays.fill(chained, 32 * K, 36 * K, (byte) 0xc2);
        Arrays.fill(flat, 32 * K, 36 * K, (byte) 0xc2);

        Path scratch = tmp.resolve("scratch");
        Path chainedRaw = tmp.resolve("chained.raw");
        Path flatRaw = tmp.resolve("flat.raw");
        QemuImg.oracleChained(chainedRaw, links, scratch);
        QemuImg.oracleFlat(flatRaw, links, scratch);
        assertArrayEquals(chained, Files.readAllBytes(chainedRaw));
        assertArrayEquals(flat, Files.readAllBytes(flatRaw));
        assertNotEquals(Sha256.of(chainedRaw), Sha256.of(flatRaw));

        // two links: flat and chained are the same thing
        Path two = tmp.resolve("two.raw");
        QemuImg.oracleFlat(two, List.of(full, inc1), scratch);
        Path twoChained = tmp.resolve("two-chained.raw");
        QemuImg.oracleChained(twoChained, List.of(full, inc1), scratch);
        assertEquals(Sha256.of(twoChained), Sha256.of(two));

        for (int i = 0; i < links.size(); i++) {
            assertEquals(before.get(i), Sha256.of(links.get(i)), links.get(i) + " was modified");
            assertFalse(QemuImg.infoJson(links.get(i)).contains("backing-filename"), links.get(i) + " got a backing file");
        }
        try (Stream<Path> left = Files.list(scratch)) {
            assertEquals(0, left.count(), "oracle copies not cleaned up");
        }
    }

    /** The committed files still say what their expected/ files say, by this machine's qemu. */
    @Test
    @RequiresQemu
    void committedImagesMatchLocalQemu() throws IOException {
        List<String> names = new ArrayList<>(TestData.imageNames());
        names.addAll(TestData.chainNames());
        for (String name : names) {
            Path raw = tmp.resolve("one.raw");
            QemuImg.convertToRaw(TestData.image(name), raw);
            assertEquals(TestData.expectedSha256(name), Sha256.of(raw), name);
            Files.delete(raw);
        }
        Path raw = tmp.resolve("chain.raw");
        QemuImg.oracleChained(raw, TestData.chain(), tmp);
        assertEquals(TestData.chainSha256(), Sha256.of(raw));
        assertEquals(TestData.chainSize(), Files.size(raw));
        QemuImg.oracleFlat(raw, TestData.chain(), tmp);
        assertEquals(TestData.chainFlatSha256(), Sha256.of(raw));
    }

    /** {@code @RequiresQemu} also works on jqwik (meta-annotated with the skip hook). */
    @Example
    @RequiresQemu
    void jqwikSeesQemu() {
        assertTrue(Qemu.available(), "a jqwik example annotated @RequiresQemu ran without qemu");
    }
}

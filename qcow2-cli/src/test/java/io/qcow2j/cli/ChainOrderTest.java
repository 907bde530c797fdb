package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import io.qcow2j.restore.InvalidChainException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chain order evidence (issue 26): libvirt stores the live disk's in-pod path as the backing file
 * name of every incremental and none in the full backup, so a chain given in the wrong order is
 * refused before writing, naming the image that breaks the rule.
 */
@RequiresQemu
class ChainOrderTest {
    private static final long M = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path full;
    private static Path inc1;
    private static Path inc2;
    private static Path full2;

    @BeforeAll
    static void chain() throws IOException {
        full = image("full.qcow2", false, q -> q.write(0, 4 * M, 0x11));
        inc1 = image("inc1.qcow2", true, q -> q.write(M, M, 0x22).writeZero(3 * M, 512 * 1024));
        inc2 = image("inc2.qcow2", true, q -> q.write(512 * 1024, M, 0x33));
        full2 = image("full2.qcow2", false, q -> q.write(2 * M, M, 0x44));
    }

    private interface Writes {
        QemuIo.Builder apply(QemuIo.Builder q);
    }

    private static Path image(String name, boolean incremental, Writes writes) throws IOException {
        Path img = dir.resolve(name);
        QemuImg.create(img, 8 * M, "");
        writes.apply(QemuIo.on(img)).run();
        if (incremental) {
            // what libvirt writes: the live disk's path inside the launcher pod, never a file here
            Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b",
                    "/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img", img.toString());
        }
        return img;
    }

    private static CliRun restore(Path target, Path... images) {
        List<String> args = new ArrayList<>(List.of("restore", "--progress=none", "--output", target.toString()));
        for (Path p : images) {
            args.add(p.toString());
        }
        return CliRun.cli(args.toArray(String[]::new));
    }

    private static String oracle(String name, Path... images) throws IOException {
        Path out = dir.resolve(name + ".raw");
        Files.createDirectories(dir.resolve(name));
        QemuImg.oracleChained(out, List.of(images), dir.resolve(name));
        return Sha256.of(out);
    }

    @Test
    void theRightOrderRestoresAsQemuDoes() throws IOException {
        Path target = dir.resolve("right.raw");
        CliRun r = restore(target, full, inc1, inc2);
        assertEquals(0, r.exit(), r.err());
        assertEquals(oracle("right", full, inc1, inc2), Sha256.of(target));
    }

    @Test
    void anIncrementalFirstIsRefusedNamingIt() {
        Path target = dir.resolve("inc-first.raw");
        CliRun r = restore(target, inc1, full, inc2);
        assertEquals(ExitCode.INVALID, r.exit(), r.err());
        String line = r.lines("error: ").get(0);
        assertTrue(line.startsWith("error: " + inc1 + ": the full backup must come first"), line);
        assertTrue(line.contains("it is an incremental"), line);
        assertFalse(Files.exists(target));
    }

    @Test
    void theReversedChainIsRefused() {
        Path target = dir.resolve("reversed.raw");
        CliRun r = restore(target, inc2, inc1, full);
        assertEquals(ExitCode.INVALID, r.exit(), r.err());
        assertTrue(r.lines("error: ").get(0).startsWith("error: " + inc2 + ": the full backup must come first"),
                r.err());
        assertFalse(Files.exists(target));
    }

    @Test
    void aFullBackupInTheMiddleIsRefusedNamingIt() {
        Path target = dir.resolve("middle.raw");
        CliRun r = restore(target, full, inc1, full2, inc2);
        assertEquals(ExitCode.INVALID, r.exit(), r.err());
        String line = r.lines("error: ").get(0);
        assertTrue(line.startsWith("error: " + full2 + ": stores no backing file"), line);
        assertTrue(line.contains("older data show through"), line);
        assertFalse(Files.exists(target));
    }

    @Test
    void allowBackingBaseRestoresADeliberatePartialChain() throws IOException {
        Path target = dir.resolve("partial.raw");
        CliRun r = CliRun.cli("restore", "--progress=none", "--allow-backing-base",
                "--output", target.toString(), inc1.toString(), inc2.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(oracle("partial", inc1, inc2), Sha256.of(target));
    }

    @Test
    void theLibraryRefusesTheSameWay() {
        InvalidChainException e = assertThrows(InvalidChainException.class,
                () -> Chain.open(List.of(inc1, full, inc2), OpenOptions.defaults()).close());
        assertEquals(inc1.toString(), e.resource());
        assertThrows(InvalidChainException.class,
                () -> Chain.open(List.of(full, inc1, full2), ChainOptions.defaults().withAllowBackingBase(true)).close(),
                "allowing a backing base does not allow a full in the middle");
    }

    @Test
    void infoAndMapSayWhichImagesLookLikeFullsOrIncrementals() throws IOException {
        JsonNode info = JSON.readTree(CliRun.cli("info", "--json", inc1.toString()).out());
        assertEquals("incremental", info.path("qcow2j").path("backup-role").asText());
        info = JSON.readTree(CliRun.cli("info", "--json", full.toString()).out());
        assertEquals("full", info.path("qcow2j").path("backup-role").asText());
        CliRun r = CliRun.cli("map", "--json", full.toString(), inc1.toString(),
                inc2.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode images = JSON.readTree(r.out()).path("images");
        assertEquals("full", images.get(0).path("backup-role").asText());
        assertEquals("incremental", images.get(1).path("backup-role").asText());
        assertEquals("incremental", images.get(2).path("backup-role").asText());
    }
}

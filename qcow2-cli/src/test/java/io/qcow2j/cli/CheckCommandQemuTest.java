package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check} next to {@code qemu-img check} on the same files: the same exit code, the same
 * JSON (ours adds only {@code "qcow2j"}), the same summary text after our finding lines.
 */
@RequiresQemu
class CheckCommandQemuTest {
    @TempDir
    Path dir;

    private Path image() throws IOException {
        Path img = dir.resolve("img.qcow2");
        QemuImg.create(img, 4 << 20, "cluster_size=4096");
        QemuIo.run(img, "write -P 1 0 256k", "write -c -P 2 1M 4k", "write -z 64k 4k");
        return img;
    }

    private static Qemu.Result qemuImgCheck(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "check", "-f", "qcow2"));
        cmd.addAll(List.of(args));
        try {
            return Qemu.run(Qemu.DEFAULT_TIMEOUT, cmd);
        } catch (Qemu.CommandFailedException e) {
            if (e.result() == null) {
                throw e;
            }
            return e.result(); // exit 2 and 3 are results
        }
    }

    private void assertSameAsQemu(Path img) throws IOException {
        Qemu.Result qemuJson = qemuImgCheck("--output=json", img.toString());
        CliRun ours = CheckCommandTest.check("--json", img.toString());
        assertEquals(qemuJson.exitCode(), ours.exit(), qemuJson.stderr() + ours.err());
        ObjectMapper m = new ObjectMapper();
        ObjectNode mine = (ObjectNode) m.readTree(ours.out());
        mine.remove("qcow2j");
        JsonNode theirs = m.readTree(qemuJson.stdout());
        assertEquals(theirs.toString(), mine.toString(), "same keys, order and values");

        Qemu.Result qemuText = qemuImgCheck(img.toString());
        CliRun text = CheckCommandTest.check(img.toString());
        String summary = text.out().lines()
                .filter(l -> !l.matches("^(corruption|leak|check error): .*"))
                .collect(Collectors.joining("\n", "", "\n"));
        assertEquals(qemuText.stdout(), summary);
        assertEquals(qemuText.exitCode(), text.exit());
    }

    @Test
    void cleanImage() throws IOException {
        assertSameAsQemu(image());
    }

    @Test
    void leaksAndCorruptions() throws IOException {
        Path img = image();
        try (ImagePoker p = ImagePoker.open(img)) {
            p.setL2Entry(0, 3, 0); // orphans a data cluster: a leak
        }
        assertSameAsQemu(img);
        try (ImagePoker p = ImagePoker.open(img)) {
            p.setRefcount(p.dataCluster(0, 5), 0); // and a used cluster with refcount 0
        }
        assertSameAsQemu(img);
    }

    /** qemu opens it (the missing table reads as zeros) and reports the refcounts: exit 2, not 1. */
    @Test
    void refcountTablePastTheEndOfTheFile() throws IOException {
        Path img = image();
        try (ImagePoker p = ImagePoker.open(img)) {
            p.putLong(Layout.HDR_REFCOUNT_TABLE_OFFSET, 1L << 30);
        }
        assertSameAsQemu(img);
        assertEquals(2, CheckCommandTest.check(img.toString()).exit());
    }

    @Test
    void checkErrors() throws IOException {
        Path img = image();
        try (ImagePoker p = ImagePoker.open(img)) {
            p.putLong(p.refcountTableOffset(), p.getLong(p.refcountTableOffset()) + 512);
        }
        assertSameAsQemu(img);
    }
}

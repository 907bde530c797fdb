package io.qcow2j.cli.hardening;

import static io.qcow2j.cli.HostileText.assertOneErrorLine;
import static io.qcow2j.cli.HostileText.assertPrintable;
import static io.qcow2j.oadp.ControllerBackup.DiskChain.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.HostileText;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text that did not come from qcow2j reaches a terminal and the controller's DataDownload status
 * escaped (docs/cli-contract.md): a stored backing name, fields of a backup's index, image and
 * target paths, each built to clear the screen and forge an {@code error:} line. Whatever the
 * command prints, stdout and stderr hold no control character but the line ends, and a refused
 * restore prints exactly one {@code error:} line.
 */
@RequiresQemu
class UntrustedTextTest {
    private static final long M = 1 << 20;
    /** Clears the screen, returns to the line's start and forges an error line, then rings. */
    static final String FORGED = "/x\u001b[2J\r\nerror: forged line\u0007";
    static final String ESCAPED = "/x\\e[2J\\r\\nerror: forged line\\x07";

    @TempDir
    Path dir;

    /** A full backup and an incremental storing {@link #FORGED} as its backing file name. */
    private List<Path> chain() throws IOException {
        Path full = dir.resolve("full.qcow2");
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(full, M, null);
        QemuImg.create(inc, M, null);
        Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", FORGED, inc.toString());
        return List.of(full, inc);
    }

    @Test
    void infoPrintsAStoredBackingNameEscaped() throws IOException {
        CliRun r = CliRun.cli("info", chain().get(1).toString());
        assertEquals(0, r.exit(), r.err());
        assertPrintable(r);
        assertTrue(r.out().contains("backing file: " + ESCAPED + " "), r.out());
    }

    @Test
    void aRestoreNotesTheStoredNameOnOneEscapedLine() throws IOException {
        List<Path> c = chain();
        CliRun r = CliRun.cli("restore", "--output", dir.resolve("disk.raw").toString(), c.get(0).toString(),
                c.get(1).toString());
        assertEquals(0, r.exit(), r.err());
        assertPrintable(r);
        assertEquals(List.of("note: " + c.get(1) + ": stores backing file name '" + ESCAPED + "' (not opened)"),
                r.lines("note: "));
        assertEquals(List.of(), r.lines("error"));
    }

    @Test
    void aRefusedRestorePrintsOneErrorLine() throws IOException {
        List<Path> c = chain();
        for (String json : List.of("--progress=none", "--json")) {
            CliRun r = CliRun.cli("restore", json, "--output", dir.resolve("disk.raw").toString(),
                    c.get(1).toString(), c.get(0).toString());
            assertEquals(3, r.exit(), r.err());
            assertPrintable(r);
            assertOneErrorLine(r, ESCAPED);
            assertFalse(Files.exists(dir.resolve("disk.raw")));
            if (json.equals("--json")) {
                assertTrue(new ObjectMapper().readTree(r.out()).path("error").path("message").asText()
                        .contains(ESCAPED), r.out());
            }
        }
    }

    @Test
    void aLongStoredNameIsCut() throws IOException {
        Path full = dir.resolve("full.qcow2");
        Path inc = dir.resolve("inc.qcow2");
        QemuImg.create(full, M, null);
        QemuImg.create(inc, M, null);
        String name = "/" + "\u001b".repeat(1000); // 1001 bytes: qemu takes up to 1023
        Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", name, inc.toString());
        CliRun r = CliRun.cli("restore", "--output", dir.resolve("disk.raw").toString(), full.toString(),
                inc.toString());
        assertEquals(0, r.exit(), r.err());
        assertPrintable(r);
        String note = r.lines("note: ").get(0);
        assertTrue(note.contains("'/" + "\\e".repeat(127) + "…'"), note); // 256 characters, then "…"
    }

    @Test
    void imageAndTargetPathsAreEscaped() throws IOException {
        List<Path> c = chain();
        Path image = Files.copy(c.get(0), dir.resolve("full\nerror: forged\u001b[2J.qcow2"));
        Path missing = dir.resolve("missing\r\nerror: forged\u0007.qcow2");
        CliRun r = CliRun.cli("restore", "--output", dir.resolve("disk.raw").toString(), image.toString(),
                missing.toString());
        assertEquals(3, r.exit(), r.err());
        assertPrintable(r);
        assertOneErrorLine(r, "missing\\r\\nerror: forged\\x07.qcow2");

        Path target = dir.resolve("disk\nerror: forged\u001b[2J.raw");
        r = CliRun.cli("restore", "--output", target.toString(), image.toString(), c.get(1).toString());
        assertEquals(0, r.exit(), r.err());
        assertPrintable(r);
        assertTrue(r.out().contains("disk\\nerror: forged\\e[2J.raw"), r.out());
        assertTrue(Files.exists(target), "the file is made with its real name");

        r = CliRun.cli("restore", "--output", dir.resolve("no\ndir\u001b/disk.raw").toString(), image.toString());
        assertTrue(r.exit() != 0, r.err());
        assertPrintable(r);
        assertOneErrorLine(r, "no\\ndir\\e");

        r = CliRun.cli("map", image.toString(), c.get(1).toString());
        assertEquals(0, r.exit(), r.err());
        assertPrintable(r);
        assertTrue(r.out().contains("full\\nerror: forged\\e[2J.qcow2"), r.out());
    }

    @Test
    void indexFieldsOfADirectoryBackupAreEscaped() throws IOException {
        for (Consumer<ControllerBackup> broken : HostileText.indexBreaks()) {
            ControllerBackup b = backup();
            broken.accept(b);
            Path root = Files.createTempDirectory(dir, "bsl");
            b.writeTo(root);
            Path target = dir.resolve("restored.raw");
            CliRun r = CliRun.cli("restore-vm", "--root", root.toString(), "--backup", "b2", "--namespace",
                    ControllerBackup.NS, "--vm", ControllerBackup.VM, "--target", "rootdisk-pvc=" + target);
            assertEquals(3, r.exit(), r.err());
            assertPrintable(r);
            assertOneErrorLine(r, HostileText.FIELD_ESCAPED);
            assertFalse(Files.exists(target));
        }
    }

    private ControllerBackup backup() throws IOException {
        ControllerBackup.DiskChain disk = new ControllerBackup.DiskChain(Files.createTempDirectory(dir, "img"),
                "rootdisk", 4 * M, 65536);
        disk.full(data(0, M));
        disk.incremental(data(M, M));
        ControllerBackup b = new ControllerBackup();
        b.checkpoint("cp1", "full", null, Map.of("rootdisk", disk.images().get(0)));
        b.checkpoint("cp2", "incremental", "cp1", Map.of("rootdisk", disk.images().get(1)));
        b.backup("b2", "cp1", "cp2");
        return b;
    }
}

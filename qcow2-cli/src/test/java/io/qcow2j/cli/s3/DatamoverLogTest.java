package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.HostileText;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.oadp.ControllerBackup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator reads in a {@code datamover-restore} pod's log (the controller logs every line as
 * one record): one summary line by default, one JSON line with {@code KUBEVIRT_DM_SUMMARY=json}, one
 * short note for the stored backing names; and the bucket's index fields, however hostile, escaped
 * in the one {@code error:} line.
 */
@RequiresQemu
class DatamoverLogTest {
    @TempDir
    Path dir;
    DatamoverRun dm;
    ControllerBackup layout;

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(S3Backups.shared(), dir);
        layout = dm.layout;
    }

    private Map<String, String> env(String summary) throws IOException {
        Map<String, String> env = dm.env(dm.backups.upload(layout), "b3");
        env.remove("KUBEVIRT_DM_SUMMARY");
        if (summary != null) {
            env.put("KUBEVIRT_DM_SUMMARY", summary);
        }
        return env;
    }

    @Test
    void oneSummaryLineAndOneShortNoteByDefault() throws IOException {
        CliRun r = DatamoverRun.run(env(null));
        assertEquals(0, r.exit(), r.err());
        assertEquals(-1, Files.mismatch(dm.backups.oracle("b3", "rootdisk"), dm.target));
        List<String> out = r.out().lines().toList();
        assertEquals(1, out.size(), r.out());
        assertTrue(out.get(0).startsWith("restored volume rootdisk of VM vm-ns/vm1 from backup b3 (3 checkpoints) onto "
                + dm.target + " (new-file): 16,777,216 bytes virtual, "), out.get(0));
        assertTrue(out.get(0).contains(", xxh64-64k:"), out.get(0));
        // the two incrementals store libvirt's in-pod path: one note, one short line
        List<String> err = r.err().lines().toList();
        assertEquals(List.of("note: 2 images store backing file name"
                + " '/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img' (not opened)"), err);
    }

    @Test
    void theJsonSummaryOnOneLineWhenAsked() throws IOException {
        CliRun r = DatamoverRun.run(env("json"));
        assertEquals(0, r.exit(), r.err());
        List<String> out = r.out().lines().toList();
        assertEquals(1, out.size(), r.out());
        JsonNode s = new ObjectMapper().readTree(out.get(0));
        assertEquals("ok", s.path("status").asText());
        assertEquals(3, s.path("checkpoints").size());
    }

    @Test
    void aFailureIsOneErrorLineAndNothingOnStdoutByDefault() throws IOException {
        Map<String, String> env = env(null);
        env.put("KUBEVIRT_DM_VELERO_BACKUP_NAME", "b9");
        CliRun r = DatamoverRun.run(env);
        assertEquals(3, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error: ")).count(), r.err());
        env.put("KUBEVIRT_DM_SUMMARY", "yaml");
        r = DatamoverRun.run(env);
        assertEquals(2, r.exit(), r.err());
        assertEquals(List.of("error: KUBEVIRT_DM_SUMMARY=yaml: expected json or text"), r.lines("error: "));
    }

    @Test
    void indexFieldsOfABucketAreEscaped() throws IOException {
        for (Consumer<ControllerBackup> broken : HostileText.indexBreaks()) {
            layout = dm.backups.layout();
            broken.accept(layout);
            CliRun r = DatamoverRun.run(env(null));
            assertEquals(3, r.exit(), r.err());
            HostileText.assertPrintable(r);
            HostileText.assertOneErrorLine(r, HostileText.FIELD_ESCAPED);
            assertFalse(Files.exists(dm.target));
        }
    }

    @Test
    void environmentValuesAreEscapedInTheErrorAndTheTerminationMessage() throws IOException {
        Path log = Files.writeString(dir.resolve("termination-log"), "");
        for (String variable : List.of("KUBEVIRT_DM_VM_NAME", "KUBEVIRT_DM_TARGET_IS_BLOCK_DEVICE",
                "KUBEVIRT_DM_BSL_S3_URL")) {
            Map<String, String> env = env(null);
            env.put(variable, HostileText.FIELD);
            env.put("QCOW2J_TERMINATION_LOG", log.toString());
            CliRun r = DatamoverRun.run(env);
            assertTrue(r.exit() == 2 || r.exit() == 3, variable + ": " + r.err());
            HostileText.assertPrintable(r);
            HostileText.assertOneErrorLine(r, HostileText.FIELD_ESCAPED);
            String message = Files.readString(log);
            assertTrue(message.endsWith("\n") && message.lines().count() == 1
                    && message.contains(HostileText.FIELD_ESCAPED), message);
        }
    }
}

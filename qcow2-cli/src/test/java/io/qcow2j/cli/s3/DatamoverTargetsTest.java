package io.qcow2j.cli.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.qcow2j.cli.CliRun;
import io.qcow2j.cli.QemuLockHolder;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code datamover-restore}'s file target as the controller's pods meet it again after a failure
 * (issue 31, point 3; issue 35, point 2): the staging file a killed pod left beside
 * {@code KUBEVIRT_DM_TARGET_PATH} is removed before staging and the summary says so; a target
 * another process holds locked is refused before anything is written.
 */
@RequiresQemu
class DatamoverTargetsTest {
    static S3Backups backups;

    @TempDir
    Path dir;
    DatamoverRun dm;

    @BeforeAll
    static void build() throws IOException {
        backups = S3Backups.shared();
    }

    @BeforeEach
    void setUp() throws IOException {
        dm = new DatamoverRun(backups, dir);
    }

    @Test
    void theStagingFileOfAKilledRunIsRemovedAndReported() throws IOException {
        String bucket = backups.upload(dm.layout);
        Path leftover = dm.targetDir.resolve(".disk.img.tmp-1x2y3z");
        try (RandomAccessFile f = new RandomAccessFile(leftover.toFile(), "rw")) {
            f.setLength(16 << 20);
        }
        JsonNode s = dm.assertRestored(DatamoverRun.run(dm.env(bucket, "b3")), "b3", "rootdisk");
        assertFalse(Files.exists(leftover), "the killed run's staging file stayed");
        assertTrue(s.path("notes").toString().contains("removed " + leftover + " (16.0 MiB), the staging file of an"
                + " earlier restore to " + dm.target), s.path("notes").toString());
    }

    @Test
    void aTargetQemuHoldsIsRefusedUntouched() throws Exception {
        String bucket = backups.upload(dm.layout);
        Files.writeString(dm.target, "in use");
        try (QemuLockHolder qemu = QemuLockHolder.hold(dm.target)) {
            CliRun r = DatamoverRun.run(dm.env(bucket, "b3"));
            assertEquals(5, r.exit(), r.err());
            String line = r.lines("error: ").get(0);
            assertTrue(line.startsWith("error: " + dm.target + ": ") && line.contains("locked by another process"),
                    line);
            assertEquals("in use", Files.readString(dm.target));
            dm.assertNoStagingFile();
        }
    }
}

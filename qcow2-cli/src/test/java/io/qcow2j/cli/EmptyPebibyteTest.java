package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.Shell;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An empty 1 PiB disk with 64 KiB clusters (a 17 MB file, nearly all of it a 16 MiB L1 table of
 * zeros), as {@code qemu-img create} makes it: {@code map} agrees with qemu, and the restore into a
 * new sparse file composes no window it does not need. The restore's own time (the summary's
 * {@code seconds}, without the JVM's start and the validation) has a bound far above what it takes
 * (a few ms) and far below composing 16,777,216 windows of 64 MiB one by one, which took 5.7 s on
 * the 2-core build machine and 73 s where it was reported. {@code HugeSparseWindowsTest} counts the
 * windows.
 */
@RequiresQemu
class EmptyPebibyteTest {
    private static final long PIB = 1L << 50;
    private static final double BOUND_SECONDS = 2.0;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void anEmptyPebibyteDiskMapsAndRestoresWithoutVisitingItsSize() throws IOException {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && Files.getFileStore(shm).type().equals("tmpfs"), "needs a writable tmpfs at /dev/shm");
        Path img = dir.resolve("empty.qcow2");
        QemuImg.create(img, PIB, "cluster_size=65536");

        Shell.Result m = CliJvm.run(List.of(), "map", "--json", img.toString());
        assertEquals(0, m.code(), m.err());
        assertEquals(JSON.readTree(QemuImg.mapJson(img)), JSON.readTree(m.out()));

        Path target = Files.createTempFile(shm, "qcow2j-1pib-", ".raw");
        try {
            Files.delete(target);
            Shell.Result r = CliJvm.run(List.of(), "restore", "--output", target.toString(), "--json",
                    "--progress=none", img.toString());
            assertEquals(0, r.code(), r.err());
            JsonNode summary = JSON.readTree(r.out());
            System.out.println("empty 1 PiB: restore " + summary.get("seconds") + " s, validation "
                    + summary.get("validation-seconds") + " s");
            assertEquals(PIB, Files.size(target));
            assertEquals(PIB, summary.get("zero-bytes-skipped").asLong());
            assertEquals(DiskDigest.NAME + ":" + new DiskDigest(PIB).value(), summary.get("digest").asText());
            double seconds = summary.get("seconds").asDouble();
            assertTrue(seconds < BOUND_SECONDS, "restore took " + seconds + " s");
        } finally {
            Files.deleteIfExists(target);
        }
    }
}

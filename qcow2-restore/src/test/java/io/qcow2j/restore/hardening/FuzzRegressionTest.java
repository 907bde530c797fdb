package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.internal.format.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs the fuzz property once failed on, replayed through the same harness so they stay fixed.
 */
class FuzzRegressionTest {
    @TempDir
    Path dir;

    private static FuzzSubject subject(String name) {
        return FuzzSubject.all().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /**
     * v2-c65536 ends 49 bytes into a sector (393295 bytes). A compressed descriptor at host offset
     * 393344 (past EOF) whose one-sector range still ends at the rounded end of the file passed
     * validation, and inflating it set a negative buffer limit: IllegalArgumentException. Found at
     * try ~18,900 of the first campaign (L2 entry 0/16 set to 0x4000000000060080). Rebuilt here
     * from the image's layout so a regenerated testdata/ keeps the case meaningful.
     */
    @Test
    void compressedRangeStartingPastTheEndOfTheFile() throws IOException {
        FuzzSubject s = subject("v2-c65536");
        long fileSize = s.base().length;
        assertTrue(fileSize % 512 != 0, "the case needs a file that ends inside a sector");
        ImageLayout.Field entry = s.layout().fields.stream()
                .filter(f -> f.name().startsWith("L2 entry")
                        && (FuzzArbitraries.read(s.base(), f) & Layout.L2_COMPRESSED) != 0)
                .findFirst().orElseThrow(() -> new AssertionError("v2-c65536 has no compressed cluster"));
        long pastEof = fileSize + 1; // one sector from here still ends inside the rounded last sector
        FuzzCase c = new FuzzCase(s, List.of(new Mutation.Overwrite(entry.name(), entry.offset(), 8,
                Layout.L2_COMPRESSED | pastEof, "compressed, one sector, past EOF")), 1);
        assertEquals(FuzzHarness.Outcome.REFUSED_METADATA, new FuzzHarness(dir).run(c));
        Path img = dir.resolve("replay.qcow2");
        Files.write(img, c.mutatedBytes());
        try (Qcow2Image image = Qcow2Image.open(img)) {
            InvalidImageException e = assertThrows(InvalidImageException.class, image::validateAllTables);
            assertEquals("L2 table", e.structure());
            assertEquals(entry.offset(), e.offset());
            assertTrue(e.reason().contains("starts past the end of the file"), e.getMessage());
        }
    }
}

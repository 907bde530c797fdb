package io.qcow2j.restore.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.Qcow2Image;
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
     * try ~18,900 of the first campaign.
     */
    @Test
    void compressedRangeStartingPastTheEndOfTheFile() throws IOException {
        FuzzCase c = new FuzzCase(subject("v2-c65536"), List.of(new Mutation.Overwrite("L2 entry 0/16", 262272, 8,
                0x4000000000060080L, "original with bit 7 flipped")), 1);
        assertEquals(FuzzHarness.Outcome.REFUSED_METADATA, new FuzzHarness(dir).run(c));
        Path img = dir.resolve("replay.qcow2");
        Files.write(img, c.mutatedBytes());
        try (Qcow2Image image = Qcow2Image.open(img)) {
            InvalidImageException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidImageException.class,
                    image::validateAllTables);
            assertEquals("L2 table", e.structure());
            assertEquals(262272, e.offset());
        }
    }
}

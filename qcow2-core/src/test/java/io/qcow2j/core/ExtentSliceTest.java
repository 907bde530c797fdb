package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link Extent#slice} takes two guest offsets; a call shaped like {@code ByteBuffer.slice(index, length)} is refused. */
class ExtentSliceTest {
    private final Extent data = Extent.data(4096, 8192, 65536);

    @Test
    void anIndexAndLengthCallIsRefusedInsteadOfANegativeLength() {
        Extent s = data.slice(6144, 10240); // two guest offsets: fine
        assertEquals(4096, s.length());
        assertEquals(65536 + 2048, s.hostOffset());
        assertSame(data, data.slice(0, 1 << 20), "a range covering the extent is the extent");
        // ByteBuffer-style (index 6144, length 1024): "to" before "from"
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> data.slice(6144, 1024));
        assertEquals(true, e.getMessage().contains("[6144, 1024)"), e.getMessage());
    }

    @Test
    void emptyAndDisjointRangesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> data.slice(6144, 6144));
        assertThrows(IllegalArgumentException.class, () -> data.slice(0, 4096), "ends where the extent starts");
        assertThrows(IllegalArgumentException.class, () -> data.slice(12288, 20000), "starts at the extent's end");
    }
}

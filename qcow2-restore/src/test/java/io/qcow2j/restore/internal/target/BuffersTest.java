package io.qcow2j.restore.internal.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

/** The shared zeros cannot be changed by a caller: each gets a read-only view of its own. */
class BuffersTest {
    @Test
    void aCallerMovingItsViewLeavesTheNextViewWhole() {
        ByteBuffer mine = Buffers.zeros(Buffers.ZEROS_SIZE);
        mine.limit(16).position(8);
        ByteBuffer next = Buffers.zeros(Buffers.ZEROS_SIZE);
        assertEquals(0, next.position());
        assertEquals(Buffers.ZEROS_SIZE, next.limit());
        assertTrue(next.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> next.put(0, (byte) 1));
    }

    @Test
    void fillZerosClearsExactlyTheRange() {
        ByteBuffer buf = ByteBuffer.allocate(Buffers.ZEROS_SIZE + 100);
        for (int i = 0; i < buf.capacity(); i++) {
            buf.put(i, (byte) 7);
        }
        Buffers.zeros(16).limit(1); // whatever a caller does to its view
        Buffers.fillZeros(buf, 10, Buffers.ZEROS_SIZE + 50);
        assertEquals(7, buf.get(9));
        assertEquals(0, buf.get(10));
        assertEquals(0, buf.get(Buffers.ZEROS_SIZE + 59));
        assertEquals(7, buf.get(Buffers.ZEROS_SIZE + 60));
    }
}

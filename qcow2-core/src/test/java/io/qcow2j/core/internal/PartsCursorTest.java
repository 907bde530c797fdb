package io.qcow2j.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.qcow2j.core.ReadPart;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One body spread over parts: every part gets exactly its bytes and the gaps' bytes are dropped,
 * whether the body comes as arrays or as the HTTP client's buffers (read-only, direct or heap), in
 * chunks that cut anywhere, across attempts.
 */
class PartsCursorTest {
    private static byte[] object(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >> 8));
        }
        return b;
    }

    @Test
    void partsGetTheirBytesWhateverTheChunksAndTheirKind() {
        byte[] object = object(1 << 16);
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<ReadPart> parts = new ArrayList<>();
            long at = random.nextInt(100);
            int count = 1 + random.nextInt(6);
            for (int i = 0; i < count && at < object.length - 600; i++) {
                int len = 1 + random.nextInt(500);
                parts.add(new ReadPart(at, ByteBuffer.allocateDirect(len)));
                at += len + (random.nextBoolean() ? 0 : random.nextInt(300)); // adjacent or a gap
            }
            PartsCursor cursor = new PartsCursor(parts);
            int pos = (int) cursor.start();
            int end = pos + cursor.length();
            while (pos < end) {
                int n = Math.min(end - pos, 1 + random.nextInt(200));
                switch (random.nextInt(3)) {
                    case 0 -> cursor.put(object, pos, n);
                    case 1 -> {
                        ByteBuffer heap = ByteBuffer.wrap(object, pos, n).slice().asReadOnlyBuffer();
                        cursor.put(heap);
                        assertEquals(0, heap.remaining(), "the buffer is consumed");
                    }
                    default -> {
                        ByteBuffer direct = ByteBuffer.allocateDirect(n + 8);
                        direct.position(4).put(object, pos, n).flip().position(4);
                        cursor.put(direct);
                        assertEquals(direct.limit(), direct.position(), "the buffer is consumed up to its limit");
                        assertEquals(n + 4, direct.limit(), "its limit is left as it was");
                    }
                }
                pos += n;
                assertEquals(pos - cursor.start(), cursor.consumed());
                assertEquals(pos, cursor.resumeAt(), "where a retry resumes");
                assertEquals(end - pos, cursor.remaining(), "what a retry asks for");
            }
            for (ReadPart p : parts) {
                ByteBuffer dst = p.dst().flip();
                byte[] got = new byte[dst.remaining()];
                dst.get(got);
                byte[] want = new byte[got.length];
                System.arraycopy(object, (int) p.position(), want, 0, want.length);
                assertArrayEquals(want, got, "part at " + p.position());
            }
        }
    }

    @Test
    void moreThanTheSpanIsRefusedAndNothingIsTaken() {
        PartsCursor cursor = new PartsCursor(List.of(new ReadPart(10, ByteBuffer.allocate(4))));
        assertThrows(IllegalArgumentException.class, () -> cursor.put(ByteBuffer.allocate(5)));
        assertThrows(IllegalArgumentException.class, () -> cursor.put(new byte[5], 0, 5));
        assertEquals(0, cursor.consumed());
    }
}

package io.qcow2j.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.ReadPart;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
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

    /** One to six parts of 1 to 500 bytes inside an object of {@code size}, adjacent or with gaps. */
    private static List<ReadPart> randomParts(Random random, int size, IntFunction<ByteBuffer> buffer) {
        List<ReadPart> parts = new ArrayList<>();
        long at = random.nextInt(100);
        int count = 1 + random.nextInt(6);
        for (int i = 0; i < count && at < size - 600; i++) {
            int len = 1 + random.nextInt(500);
            parts.add(new ReadPart(at, buffer.apply(len)));
            at += len + (random.nextBoolean() ? 0 : random.nextInt(300)); // adjacent or a gap
        }
        return parts;
    }

    /** Each part's buffer, flipped, holds the object's bytes at the part's position. */
    private static void assertPartsHold(List<ReadPart> parts, byte[] object) {
        for (ReadPart p : parts) {
            ByteBuffer dst = p.dst().flip();
            byte[] got = new byte[dst.remaining()];
            dst.get(got);
            byte[] want = new byte[got.length];
            System.arraycopy(object, (int) p.position(), want, 0, want.length);
            assertArrayEquals(want, got, "part at " + p.position());
        }
    }

    @Test
    void partsGetTheirBytesWhateverTheChunksAndTheirKind() {
        byte[] object = object(1 << 16);
        Random random = new Random(7);
        for (int round = 0; round < 300; round++) {
            List<ReadPart> parts = randomParts(random, object.length, len -> ByteBuffer.allocateDirect(len));
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
            assertPartsHold(parts, object);
        }
    }

    @Test
    void readFromFillsEachPartStraightFromTheSourceAndDropsTheGaps() throws Exception {
        byte[] object = object(1 << 16);
        Random random = new Random(11);
        ByteBuffer scratch = ByteBuffer.allocateDirect(64);
        for (int round = 0; round < 300; round++) {
            // direct buffers with room past their limit, which must stay unused, or heap ones
            List<ReadPart> parts = randomParts(random, object.length, len -> random.nextBoolean()
                    ? ByteBuffer.allocateDirect(len + 3).limit(len) : ByteBuffer.allocate(len));
            PartsCursor cursor = new PartsCursor(parts);
            // a source that hands out at most a few bytes at a time, as a socket does
            int[] pos = {(int) cursor.start()};
            List<ByteBuffer> targets = new ArrayList<>();
            PartsCursor.BodySource source = (dst, max) -> {
                int n = Math.min(Math.min(max, dst.remaining()), 1 + random.nextInt(150));
                dst.put(object, pos[0], n);
                pos[0] += n;
                targets.add(dst);
                return n;
            };
            while (cursor.remaining() > 0) {
                int before = pos[0];
                int n = cursor.readFrom(source, scratch);
                assertEquals(pos[0] - before, n);
                assertEquals(pos[0], cursor.resumeAt(), "never past a part's end or a gap's end");
            }
            assertEquals(cursor.start() + cursor.length(), pos[0]);
            for (ReadPart p : parts) {
                assertEquals(0, p.dst().remaining(), "part at " + p.position() + " filled to its limit, no further");
            }
            assertPartsHold(parts, object);
            assertTrue(targets.stream().allMatch(t -> t == scratch
                    || parts.stream().anyMatch(p -> p.dst() == t)), "no buffer in between");
        }
        assertEquals(-1, new PartsCursor(List.of(new ReadPart(0, ByteBuffer.allocate(4))))
                .readFrom((dst, max) -> -1, scratch), "the body's end");
    }

    @Test
    void moreThanTheSpanIsRefusedAndNothingIsTaken() {
        PartsCursor cursor = new PartsCursor(List.of(new ReadPart(10, ByteBuffer.allocate(4))));
        assertThrows(IllegalArgumentException.class, () -> cursor.put(ByteBuffer.allocate(5)));
        assertThrows(IllegalArgumentException.class, () -> cursor.put(new byte[5], 0, 5));
        assertEquals(0, cursor.consumed());
    }
}

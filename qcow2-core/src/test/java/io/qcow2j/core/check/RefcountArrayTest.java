package io.qcow2j.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The packed rebuilt refcounts and the decoding of stored refcount blocks, at every width. */
class RefcountArrayTest {

    @Test
    void packedCountsBehaveLikeAPlainArrayAtEveryWidth() {
        Random rnd = new Random(42);
        for (int order = 0; order <= 6; order++) {
            int n = 1000;
            RefcountArray a = new RefcountArray(order, n, n + 1);
            long[] model = new long[n];
            long max = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
            for (int k = 0; k < 20_000; k++) {
                int i = rnd.nextInt(n);
                long v = order == 6 ? rnd.nextLong() : (rnd.nextLong() & max);
                a.set(i, v);
                model[i] = v;
                int j = rnd.nextInt(n);
                assertEquals(model[j], a.get(j), "order " + order + " index " + j);
            }
            for (int i = 0; i < n; i++) {
                assertEquals(model[i], a.get(i), "order " + order + " index " + i);
            }
        }
    }

    @Test
    void maxIsTheRefcountWidthsLargestValue() {
        assertEquals(1, new RefcountArray(0, 1, 1).max());
        assertEquals(3, new RefcountArray(1, 1, 1).max());
        assertEquals(0xffff, new RefcountArray(4, 1, 1).max());
        assertEquals(0xffff_ffffL, new RefcountArray(5, 1, 1).max());
        assertEquals(-1L, new RefcountArray(6, 1, 1).max()); // 2^64-1, unsigned
    }

    @Test
    void growsOnlyWithinItsCapacity() {
        RefcountArray a = new RefcountArray(4, 10, 11);
        assertEquals(0, a.get(10));
        a.ensureSize(11);
        a.set(10, 7);
        assertEquals(7, a.get(10));
        assertEquals(11, a.size());
        assertThrows(IllegalStateException.class, () -> a.ensureSize(12));
    }

    @Test
    void allZeroSeesEverySetEntry() {
        for (int order = 0; order <= 6; order++) {
            RefcountArray a = new RefcountArray(order, 500, 500);
            assertTrue(a.allZero(0, 500));
            a.set(321, 1);
            assertFalse(a.allZero(0, 500), "order " + order);
            assertFalse(a.allZero(321, 322), "order " + order);
            assertTrue(a.allZero(0, 321), "order " + order);
            assertTrue(a.allZero(322, 500), "order " + order);
        }
    }

    @Test
    void storedBlocksDecodeLikeQemuAtEveryWidth() {
        ByteBuffer b = ByteBuffer.wrap(new byte[] {(byte) 0b1011_0010, (byte) 0xe4, (byte) 0xa5, 0, 0, 0, 0, 0});
        int[] bits = {0, 1, 0, 0, 1, 1, 0, 1}; // least significant bit first
        for (int i = 0; i < 8; i++) {
            assertEquals(bits[i], StoredRefcounts.decode(b, i, 0), "1-bit " + i);
        }
        // byte 1 = 0b11_10_01_00: 2-bit entries 4..7 are 0, 1, 2, 3
        for (int i = 0; i < 4; i++) {
            assertEquals(i, StoredRefcounts.decode(b, 4 + i, 1), "2-bit " + i);
        }
        assertEquals(0x5, StoredRefcounts.decode(b, 4, 2));
        assertEquals(0xa, StoredRefcounts.decode(b, 5, 2));
        assertEquals(0xe4, StoredRefcounts.decode(b, 1, 3));
        assertEquals(0xb2e4, StoredRefcounts.decode(b, 0, 4));
        assertEquals(0xb2e4a500L, StoredRefcounts.decode(b, 0, 5));
        assertEquals(0xb2e4a50000000000L, StoredRefcounts.decode(b, 0, 6));
    }
}

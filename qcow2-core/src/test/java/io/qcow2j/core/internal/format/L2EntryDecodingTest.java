package io.qcow2j.core.internal.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.CompressedDescriptor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * L2/L1 entry and compressed-descriptor decoding checked against an encoder written here, straight
 * from the bit tables of the specification ({@code docs/interop/qcow2.txt}, "Cluster mapping"), not
 * from the main code: a shared misreading of the spec would otherwise pass unnoticed.
 */
class L2EntryDecodingTest {

    // --- reference model, one bit at a time as the spec's tables list them --------------------

    /** A mask of bits {@code from..to} inclusive, built bit by bit. */
    static long bits(int from, int to) {
        long m = 0;
        for (int b = from; b <= to; b++) {
            m |= 1L << b;
        }
        return m;
    }

    /** Spec: "x = 62 - (cluster_bits - 8)". */
    static int refX(int clusterBits) {
        return 62 - (clusterBits - 8);
    }

    /** A compressed L2 entry: bit 62 set, host offset in bits 0..x-1, additional sectors in x..61. */
    static long refCompressed(long hostOffset, long additionalSectors, int clusterBits) {
        int x = refX(clusterBits);
        if (hostOffset < 0 || hostOffset > bits(0, x - 1)) {
            throw new IllegalArgumentException("offset does not fit");
        }
        if (additionalSectors < 0 || additionalSectors > bits(0, 61 - x)) {
            throw new IllegalArgumentException("sector count does not fit");
        }
        return (1L << 62) | (additionalSectors << x) | hostOffset;
    }

    /**
     * Bytes from the offset to the end of the last sector: the sector containing the offset plus the
     * additional ones, minus the part of the first sector before the offset.
     */
    static long refLength(long hostOffset, long additionalSectors) {
        return (1 + additionalSectors) * 512 - hostOffset % 512;
    }

    /** A standard L2 entry: zero flag bit 0, host cluster offset bits 9..55, copied bit 63. */
    static long refStandard(long hostClusterOffset, boolean zero, boolean copied) {
        if ((hostClusterOffset & ~bits(9, 55)) != 0) {
            throw new IllegalArgumentException("offset not encodable");
        }
        return hostClusterOffset | (zero ? 1L : 0) | (copied ? 1L << 63 : 0);
    }

    // --- compressed descriptors -------------------------------------------------------------------

    @Provide
    Arbitrary<long[]> compressedFields() {
        // {cluster_bits, host offset, additional sectors}, every field drawn over its full legal range
        return Arbitraries.integers().between(9, 21).flatMap(cb -> {
            int x = refX(cb);
            long maxOffset = bits(0, Math.min(x, 56) - 1); // bits above 55 are invalid (own property below)
            long maxSectors = bits(0, 61 - x);
            return Combinators.combine(Arbitraries.longs().between(0, maxOffset),
                    Arbitraries.longs().between(0, maxSectors)).as((o, s) -> new long[] {cb, o, s});
        });
    }

    @Property(tries = 2000)
    void compressedDescriptorDecodesTheSpecLayout(@ForAll("compressedFields") long[] f) {
        int cb = (int) f[0];
        long offset = f[1];
        long sectors = f[2];
        long entry = refCompressed(offset, sectors, cb);
        assertTrue(L2Entry.isCompressed(entry));
        assertFalse(L2Entry.compressedOffsetTooLarge(entry, cb));
        CompressedDescriptor d = L2Entry.compressedDescriptor(entry, cb);
        assertEquals(offset, d.hostOffset(), "host offset");
        assertEquals(refLength(offset, sectors), d.length(), "length");
        // the copied bit is never part of the descriptor
        assertEquals(d, L2Entry.compressedDescriptor(entry | 1L << 63, cb));
    }

    @Provide
    Arbitrary<long[]> encodable() {
        // {cluster_bits, host offset, compressed bytes}: any length the sector field can describe
        return Arbitraries.integers().between(9, 21).flatMap(cb -> {
            int x = refX(cb);
            long maxOffset = bits(0, Math.min(x, 56) - 1);
            return offsets56().filter(o -> o <= maxOffset).flatMap(o -> {
                long maxBytes = (bits(0, 61 - x) + 1) * 512 - o % 512;
                return Arbitraries.longs().between(1, maxBytes).map(n -> new long[] {cb, o, n});
            });
        });
    }

    @Property(tries = 2000)
    void encodeThenDecodeCoversExactlyTheSectorsOfTheData(@ForAll("encodable") long[] f) {
        int cb = (int) f[0];
        long offset = f[1];
        int bytes = (int) f[2];
        long entry = L2Entry.encodeCompressed(offset, bytes, cb);
        // the encoder agrees with the spec layout...
        long firstSector = offset / 512;
        long lastSector = (offset + bytes - 1) / 512;
        assertEquals(refCompressed(offset, lastSector - firstSector, cb), entry);
        // ...and the decoded range starts at the data and ends on the sector boundary after it
        CompressedDescriptor d = L2Entry.compressedDescriptor(entry, cb);
        assertEquals(offset, d.hostOffset());
        long end = d.hostOffset() + d.length();
        assertEquals(0, end % 512, "range ends on a sector boundary");
        assertTrue(end >= offset + bytes && end - (offset + bytes) < 512, "no more than the last sector's padding");
    }

    @Provide
    Arbitrary<Long> offsets56() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, bits(0, 55)),
                Arbitraries.longs().between(0, 1L << 20), // small offsets: many distinct sector remainders
                Arbitraries.of(0L, 511L, 512L, 513L, bits(0, 55), bits(0, 55) - 511));
    }

    @Property(tries = 3000)
    void anyCompressedWordDecodesByTheSpecFormula(@IntRange(min = 9, max = 21) @ForAll int cb, @ForAll long word) {
        long entry = word | 1L << 62;
        int x = refX(cb);
        long offset = entry & bits(0, x - 1);
        long sectors = (entry & bits(x, 61)) >>> x;
        CompressedDescriptor d = L2Entry.compressedDescriptor(entry, cb);
        assertEquals(offset, d.hostOffset());
        assertEquals(refLength(offset, sectors), d.length());
        assertEquals((offset & ~bits(0, 55)) != 0, L2Entry.compressedOffsetTooLarge(entry, cb),
                "offset bits above 55");
    }

    @Property(tries = 500)
    void offsetBitsAbove55AreDetectedOnlyWhereTheFieldHasThem(@IntRange(min = 9, max = 13) @ForAll int cb,
            @ForAll("offsets56") long low, @ForAll @IntRange(min = 56, max = 60) int highBit) {
        int x = refX(cb); // 61..57: the offset field reaches past bit 55 only for clusters below 16 KiB
        net.jqwik.api.Assume.that(highBit < x);
        long entry = refCompressed(low | 1L << highBit, 0, cb);
        assertTrue(L2Entry.compressedOffsetTooLarge(entry, cb));
    }

    // --- standard entries -------------------------------------------------------------------------

    @Property(tries = 2000)
    void standardEntryRoundTrips(@ForAll("clusterOffsets") long host, @ForAll boolean zero, @ForAll boolean copied) {
        long entry = refStandard(host, zero, copied);
        assertEquals(entry, L2Entry.standard(host, zero, copied), "encoder");
        assertFalse(L2Entry.isCompressed(entry));
        assertEquals(host, L2Entry.hostOffset(entry));
        assertEquals(zero, (entry & Layout.L2_ZERO) != 0);
        assertEquals(0, entry & Layout.L2_STANDARD_RESERVED, "a valid entry has no reserved bit");
    }

    @Provide
    Arbitrary<Long> clusterOffsets() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, bits(0, 46)).map(s -> s << 9),
                Arbitraries.of(0L, 512L, bits(9, 55)));
    }

    @Property(tries = 2000)
    void reservedMasksAreExactlyTheSpecsReservedBits(@ForAll long word) {
        // L2 standard descriptor: 1..8 and 56..61 reserved; L1 entry: 0..8 and 56..62 reserved
        assertEquals((word & (bits(1, 8) | bits(56, 61))) != 0, (word & Layout.L2_STANDARD_RESERVED) != 0);
        assertEquals((word & (bits(0, 8) | bits(56, 62))) != 0, (word & Layout.L1_RESERVED) != 0);
        assertEquals(word & bits(9, 55), L2Entry.hostOffset(word));
        assertEquals((word & 1L << 62) != 0, L2Entry.isCompressed(word));
    }

    @Property(tries = 200)
    void everySingleReservedBitIsCaught(@ForAll @IntRange(min = 0, max = 63) int bit) {
        boolean l2Reserved = (bit >= 1 && bit <= 8) || (bit >= 56 && bit <= 61);
        boolean l1Reserved = bit <= 8 || (bit >= 56 && bit <= 62);
        assertEquals(l2Reserved, (Layout.L2_STANDARD_RESERVED >>> bit & 1) != 0, "L2 bit " + bit);
        assertEquals(l1Reserved, (Layout.L1_RESERVED >>> bit & 1) != 0, "L1 bit " + bit);
    }

    // --- extended L2 subcluster bitmaps -----------------------------------------------------------

    @Property(tries = 2000)
    void subclusterBitmapHalvesAreAllocationAndZero(@ForAll int alloc, @ForAll int zero) {
        // spec: bits 0..31 "subcluster x is allocated", bits 32..63 "subcluster x - 32 reads as zeros"
        long bitmap = 0;
        for (int s = 0; s < 32; s++) {
            if ((alloc >>> s & 1) != 0) {
                bitmap |= 1L << s;
            }
            if ((zero >>> s & 1) != 0) {
                bitmap |= 1L << (32 + s);
            }
        }
        assertEquals(alloc, L2Entry.allocBits(bitmap));
        assertEquals(zero, L2Entry.zeroBits(bitmap));
        for (int s = 0; s < Layout.SUBCLUSTERS; s++) {
            assertEquals((bitmap >>> s & 1) != 0, (L2Entry.allocBits(bitmap) >>> s & 1) != 0, "alloc " + s);
            assertEquals((bitmap >>> (32 + s) & 1) != 0, (L2Entry.zeroBits(bitmap) >>> s & 1) != 0, "zero " + s);
        }
    }

    @Property(tries = 50)
    void offsetBitsSplitAsSpecified(@ForAll @IntRange(min = 9, max = 21) int cb) {
        assertEquals(refX(cb), Layout.compressedOffsetBits(cb));
    }
}

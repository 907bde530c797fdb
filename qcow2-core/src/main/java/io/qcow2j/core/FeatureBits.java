package io.qcow2j.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The three 64-bit feature masks of a v3 header, with the bit names the specification defines.
 * Unknown bits are named from the image's feature name table when it has one.
 */
public record FeatureBits(long incompatible, long compatible, long autoclear) {

    /** Incompatible bit 0: the refcounts may be stale (lazy refcounts); readable. */
    public static final int INCOMPAT_DIRTY = 0;
    /** Incompatible bit 1: qemu found the metadata corrupt. */
    public static final int INCOMPAT_CORRUPT = 1;
    /** Incompatible bit 2: guest data lives in an external data file. */
    public static final int INCOMPAT_EXTERNAL_DATA_FILE = 2;
    /** Incompatible bit 3: the header's compression_type field is in use. */
    public static final int INCOMPAT_COMPRESSION_TYPE = 3;
    /** Incompatible bit 4: L2 entries are extended, with subcluster bitmaps. */
    public static final int INCOMPAT_EXTENDED_L2 = 4;
    /** Every incompatible bit qcow2j knows how to interpret (others make an image unreadable). */
    public static final long KNOWN_INCOMPATIBLE = 0b11111L;

    /** Compatible bit 0: lazy refcounts. */
    public static final int COMPAT_LAZY_REFCOUNTS = 0;
    /** Autoclear bit 0: the bitmaps extension is consistent with the image. */
    public static final int AUTOCLEAR_BITMAPS = 0;
    /** Autoclear bit 1: the external data file is valid raw data. */
    public static final int AUTOCLEAR_DATA_FILE_RAW = 1;

    /** Feature-name-table type codes (specification: feature name table, byte 0). */
    public enum Kind {
        /** Type 0: incompatible features. */
        INCOMPATIBLE,
        /** Type 1: compatible features. */
        COMPATIBLE,
        /** Type 2: autoclear features. */
        AUTOCLEAR
    }

    /** See {@link #INCOMPAT_DIRTY}. */
    public boolean dirty() {
        return bit(incompatible, INCOMPAT_DIRTY);
    }

    /** See {@link #INCOMPAT_CORRUPT}. */
    public boolean corrupt() {
        return bit(incompatible, INCOMPAT_CORRUPT);
    }

    /** See {@link #INCOMPAT_EXTERNAL_DATA_FILE}. */
    public boolean externalDataFile() {
        return bit(incompatible, INCOMPAT_EXTERNAL_DATA_FILE);
    }

    /** See {@link #INCOMPAT_COMPRESSION_TYPE}. */
    public boolean compressionType() {
        return bit(incompatible, INCOMPAT_COMPRESSION_TYPE);
    }

    /** See {@link #INCOMPAT_EXTENDED_L2}. */
    public boolean extendedL2() {
        return bit(incompatible, INCOMPAT_EXTENDED_L2);
    }

    /** See {@link #COMPAT_LAZY_REFCOUNTS}. */
    public boolean lazyRefcounts() {
        return bit(compatible, COMPAT_LAZY_REFCOUNTS);
    }

    /** See {@link #AUTOCLEAR_BITMAPS}. */
    public boolean bitmaps() {
        return bit(autoclear, AUTOCLEAR_BITMAPS);
    }

    /** See {@link #AUTOCLEAR_DATA_FILE_RAW}. */
    public boolean dataFileRaw() {
        return bit(autoclear, AUTOCLEAR_DATA_FILE_RAW);
    }

    /** Incompatible bits outside {@link #KNOWN_INCOMPATIBLE}. */
    public long unknownIncompatible() {
        return incompatible & ~KNOWN_INCOMPATIBLE;
    }

    /** The spec's name for a bit, or the name from the image's feature table, or "bit N". */
    public static String name(Kind kind, int bit, Map<String, String> featureTable) {
        String fromTable = featureTable.get(kind + ":" + bit);
        String builtin = switch (kind) {
            case INCOMPATIBLE -> switch (bit) {
                case INCOMPAT_DIRTY -> "dirty";
                case INCOMPAT_CORRUPT -> "corrupt";
                case INCOMPAT_EXTERNAL_DATA_FILE -> "external data file";
                case INCOMPAT_COMPRESSION_TYPE -> "compression type";
                case INCOMPAT_EXTENDED_L2 -> "extended L2 entries";
                default -> null;
            };
            case COMPATIBLE -> bit == COMPAT_LAZY_REFCOUNTS ? "lazy refcounts" : null;
            case AUTOCLEAR -> switch (bit) {
                case AUTOCLEAR_BITMAPS -> "bitmaps";
                case AUTOCLEAR_DATA_FILE_RAW -> "raw external data";
                default -> null;
            };
        };
        if (fromTable != null && !fromTable.isEmpty()) {
            return fromTable;
        }
        return builtin != null ? builtin : "bit " + bit;
    }

    /** Names of every bit set in {@code mask}. */
    public static List<String> names(Kind kind, long mask, Map<String, String> featureTable) {
        List<String> out = new ArrayList<>();
        for (int b = 0; b < 64; b++) {
            if (bit(mask, b)) {
                out.add(name(kind, b, featureTable));
            }
        }
        return out;
    }

    private static boolean bit(long mask, int bit) {
        return (mask >>> bit & 1) != 0;
    }
}

package io.qcow2j.core;

/**
 * One header extension as stored after the header: its type code, where its data starts in the
 * file, and its data length. Known types are decoded by {@link Header}; unknown ones are kept
 * here only so {@code info} can list them.
 */
public record HeaderExtension(int type, long dataOffset, int length) {
    public static final int END = 0;
    public static final int BACKING_FORMAT = 0xe2792aca;
    public static final int FEATURE_NAME_TABLE = 0x6803f857;
    public static final int BITMAPS = 0x23852875;
    public static final int FULL_DISK_ENCRYPTION = 0x0537be77;
    public static final int EXTERNAL_DATA_FILE = 0x44415441;

    /** A short name for the type, as the spec's section titles call it. */
    public String typeName() {
        return switch (type) {
            case BACKING_FORMAT -> "backing file format name";
            case FEATURE_NAME_TABLE -> "feature name table";
            case BITMAPS -> "bitmaps";
            case FULL_DISK_ENCRYPTION -> "full disk encryption header pointer";
            case EXTERNAL_DATA_FILE -> "external data file name";
            default -> String.format("unknown (0x%08x)", type);
        };
    }
}

package io.qcow2j.core;

import static io.qcow2j.core.internal.format.Layout.EXT_BACKING_FORMAT;
import static io.qcow2j.core.internal.format.Layout.EXT_BITMAPS;
import static io.qcow2j.core.internal.format.Layout.EXT_EXTERNAL_DATA_FILE;
import static io.qcow2j.core.internal.format.Layout.EXT_FEATURE_NAME_TABLE;
import static io.qcow2j.core.internal.format.Layout.EXT_FULL_DISK_ENCRYPTION;

/**
 * One header extension as stored after the header: its type code, where its data starts in the
 * file, and its data length. Known types are decoded by {@link Header}; unknown ones are kept
 * here only so {@code info} can list them.
 */
public record HeaderExtension(int type, long dataOffset, int length) {
    /** A short name for the type, as the spec's section titles call it. */
    public String typeName() {
        return switch (type) {
            case EXT_BACKING_FORMAT -> "backing file format name";
            case EXT_FEATURE_NAME_TABLE -> "feature name table";
            case EXT_BITMAPS -> "bitmaps";
            case EXT_FULL_DISK_ENCRYPTION -> "full disk encryption header pointer";
            case EXT_EXTERNAL_DATA_FILE -> "external data file name";
            default -> String.format("unknown (0x%08x)", type);
        };
    }
}

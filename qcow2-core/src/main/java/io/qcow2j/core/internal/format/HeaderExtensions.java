package io.qcow2j.core.internal.format;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.Header.BitmapsExtension;
import io.qcow2j.core.HeaderExtension;
import io.qcow2j.core.InvalidImageException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The header extension area (spec "Header extensions"): every extension listed, and the ones that
 * matter for reading decoded.
 *
 * @param all           every extension in file order, unknown ones included
 * @param backingFormat the backing file format name
 * @param dataFile      the external data file name
 * @param featureNames  the feature name table, keyed {@code "KIND:bit"}
 * @param bitmaps       the bitmaps extension, when the autoclear bit says it is current
 */
record HeaderExtensions(List<HeaderExtension> all, Optional<String> backingFormat, Optional<String> dataFile,
        Map<String, String> featureNames, Optional<BitmapsExtension> bitmaps) {

    /**
     * Decodes the extensions of {@code first} (the image's first cluster, or as much of it as the
     * file has) from {@code start} up to {@code end}.
     */
    static HeaderExtensions read(String name, ByteBuffer first, long start, long end, long autoclear,
            long clusterSize, long fileSize) throws InvalidImageException {
        List<HeaderExtension> extensions = new ArrayList<>();
        Map<String, String> featureNames = new LinkedHashMap<>();
        Optional<String> backingFormat = Optional.empty();
        Optional<String> dataFile = Optional.empty();
        Optional<BitmapsExtension> bitmaps = Optional.empty();
        long pos = start;
        while (true) {
            if (pos >= end) {
                break; // like qemu: an area filled up to its end needs no end marker
            }
            if (pos + EXT_HEADER_LENGTH > end) {
                throw new InvalidImageException(name, "header extension", pos,
                        "header extension area runs past " + end + " without an end marker");
            }
            if (pos + EXT_HEADER_LENGTH > first.limit()) {
                throw new InvalidImageException(name, "header extension", pos,
                        "file ends inside the header extensions (truncated image?)");
            }
            int type = first.getInt((int) pos + EXT_TYPE);
            long len = u32(first.getInt((int) pos + EXT_DATA_LENGTH));
            if (type == EXT_END) {
                break;
            }
            long dataStart = pos + EXT_HEADER_LENGTH;
            long padded = (len + EXT_ALIGNMENT - 1) / EXT_ALIGNMENT * EXT_ALIGNMENT;
            if (dataStart + len > end || dataStart + padded > end) {
                throw new InvalidImageException(name, "header extension", pos, String.format(
                        "extension 0x%08x of %d bytes runs past the extension area (ends at %d)", type, len, end));
            }
            if (dataStart + len > first.limit()) {
                throw new InvalidImageException(name, "header extension", pos,
                        "file ends inside a header extension (truncated image?)");
            }
            extensions.add(new HeaderExtension(type, dataStart, (int) len));
            switch (type) {
                case EXT_BACKING_FORMAT -> {
                    if (len > MAX_BACKING_FORMAT_NAME) {
                        throw new InvalidImageException(name, "backing format extension", pos, "backing file format"
                                + " name of " + len + " bytes is too long (limit " + MAX_BACKING_FORMAT_NAME + ")");
                    }
                    backingFormat = Optional.of(string(first, dataStart, (int) len));
                }
                case EXT_FEATURE_NAME_TABLE -> readFeatureNames(first, dataStart, (int) len, featureNames);
                case EXT_EXTERNAL_DATA_FILE -> dataFile = Optional.of(string(first, dataStart, (int) len));
                case EXT_BITMAPS -> {
                    // without the autoclear bit the extension is stale and qemu ignores it
                    if ((autoclear & 1L << FeatureBits.AUTOCLEAR_BITMAPS) != 0) {
                        bitmaps = Optional.of(readBitmaps(name, first, pos, dataStart, len, clusterSize, fileSize));
                    }
                }
                default -> {
                    // FDE pointer and unknown extensions: nothing to decode for reading guest data
                }
            }
            pos = dataStart + padded;
        }
        return new HeaderExtensions(List.copyOf(extensions), backingFormat, dataFile, Map.copyOf(featureNames),
                bitmaps);
    }

    private static void readFeatureNames(ByteBuffer b, long start, int len, Map<String, String> out) {
        for (int p = 0; p + FEATURE_NAME_ENTRY_LENGTH <= len; p += FEATURE_NAME_ENTRY_LENGTH) {
            int base = (int) start + p;
            int type = b.get(base + FEATURE_NAME_TYPE) & 0xff;
            int bit = b.get(base + FEATURE_NAME_BIT) & 0xff;
            if (type > 2 || bit > 63) {
                continue;
            }
            FeatureBits.Kind kind = FeatureBits.Kind.values()[type];
            out.put(kind + ":" + bit, string(b, base + FEATURE_NAME, FEATURE_NAME_LENGTH));
        }
    }

    private static BitmapsExtension readBitmaps(String name, ByteBuffer b, long extPos, long start, long len,
            long clusterSize, long fileSize) throws InvalidImageException {
        if (len < BITMAPS_EXT_LENGTH) {
            throw new InvalidImageException(name, "bitmaps extension", extPos,
                    "bitmaps extension is " + len + " bytes, expected at least " + BITMAPS_EXT_LENGTH);
        }
        int nb = b.getInt((int) start + BITMAPS_EXT_NB_BITMAPS);
        int reserved = b.getInt((int) start + BITMAPS_EXT_RESERVED);
        long dirSize = b.getLong((int) start + BITMAPS_EXT_DIRECTORY_SIZE);
        long dirOffset = b.getLong((int) start + BITMAPS_EXT_DIRECTORY_OFFSET);
        if (reserved != 0) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "reserved field is not zero");
        }
        if (nb == 0 || u32(nb) > MAX_BITMAPS) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "nb_bitmaps " + u32(nb)
                    + " out of range 1.." + MAX_BITMAPS);
        }
        if (dirSize <= 0 || dirSize > MAX_BITMAP_DIRECTORY_SIZE) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "bitmap_directory_size "
                    + Long.toUnsignedString(dirSize) + " out of range");
        }
        if ((dirOffset & (clusterSize - 1)) != 0 || dirOffset <= 0 || dirOffset > fileSize - dirSize) {
            throw new InvalidImageException(name, "bitmaps extension", extPos, "bitmap_directory_offset "
                    + Long.toUnsignedString(dirOffset) + " is unaligned or lies past the end of the file");
        }
        return new BitmapsExtension(nb, dirSize, dirOffset);
    }

    /** A string field of {@code len} bytes, cut at its first NUL. */
    static String string(ByteBuffer b, long start, int len) {
        byte[] bytes = new byte[len];
        b.get((int) start, bytes);
        int n = 0;
        while (n < len && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }
}

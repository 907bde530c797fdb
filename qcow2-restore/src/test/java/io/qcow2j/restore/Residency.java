package io.qcow2j.restore;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How much of a file or block device sits in the page cache: {@code mincore} through a mapping
 * ({@link MappedByteBuffer#isLoaded}, asked page by page). Mapping faults nothing in, so the
 * answer is what the restore left behind. Works on block devices, where util-linux
 * {@code fincore} sees a size of 0 and reports nothing.
 */
final class Residency {
    private static final int PAGE = 4096;

    private Residency() {
    }

    /** Bytes of the first {@code length} bytes of {@code path} in the page cache, in whole pages. */
    static long residentBytes(Path path, long length) throws IOException {
        long resident = 0;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            int chunk = 64 << 20;
            for (long off = 0; off < length; off += chunk) {
                int len = (int) Math.min(chunk, length - off);
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, off, len);
                for (int p = 0; p < len; p += PAGE) {
                    if (map.slice(p, Math.min(PAGE, len - p)).isLoaded()) {
                        resident += PAGE;
                    }
                }
            }
        }
        return resident;
    }
}

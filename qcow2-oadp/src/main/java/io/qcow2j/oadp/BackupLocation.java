package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import io.qcow2j.restore.internal.FreeHeap;
import io.qcow2j.restore.InsufficientMemoryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where the objects of a backup location are: a directory ({@link DirectoryBackupLocation}) or a
 * bucket and prefix ({@link ObjectStoreBackupLocation}). Objects are named by keys relative to
 * the location, {@code /}-separated, the same in both ({@code checkpoints/ns/vm/index.json}); the
 * layout's rules ({@link OadpLayout}) build the keys and never see which kind of location it is.
 * Implementations are thread-safe.
 */
public interface BackupLocation {

    /** The location for messages: the directory, or {@code s3://bucket/prefix}. */
    String name();

    /** The object {@code key} names, for messages: a path, or {@code s3://bucket/prefix/key}. */
    String nameOf(String key);

    /**
     * The whole content of a small object (a JSON manifest or index).
     *
     * @param maxBytes the largest size accepted: a bigger object is refused without being read
     * @return empty when no object has that key
     * @throws InvalidBackupLayoutException when the object is larger than {@code maxBytes}, or is not
     *                                      a file (a directory)
     * @throws io.qcow2j.restore.InsufficientMemoryException when reading it would not fit in the free
     *                                      heap ({@link #requireHeapToRead}), checked before reading
     * @throws IOException                  when it cannot be read (a
     *                                      {@link io.qcow2j.core.SourceAccessException} naming it)
     */
    Optional<byte[]> read(String key, long maxBytes) throws IOException;

    /**
     * Refuses to read an object of {@code size} bytes whole when that would not fit in the free
     * heap: the content, and a copy while it is read. What {@link #read} implementations call once
     * they know the size and before they allocate.
     *
     * @param name the object, for the message
     */
    static void requireHeapToRead(String name, long size) throws InsufficientMemoryException {
        long need = 2 * size + FreeHeap.RESERVE;
        long free = FreeHeap.free(need);
        if (need > free) {
            throw new InsufficientMemoryException(name, "not enough heap to read this metadata: it is " + size
                    + " bytes, reading it takes up to " + FreeHeap.mib(need) + ", " + FreeHeap.mib(free)
                    + " of the heap is free (maximum " + FreeHeap.mib(FreeHeap.max()) + "); nothing written;"
                    + " raise -Xmx or the container's memory limit");
        }
    }

    /**
     * Opens the image at {@code key} for positional reads; the caller closes it.
     *
     * @return empty when no object has that key
     * @throws IOException when it exists but cannot be opened (a
     *                     {@link io.qcow2j.core.SourceAccessException} naming it)
     */
    Optional<ByteSource> open(String key) throws IOException;

    /**
     * The size in bytes of the object at {@code key}.
     *
     * @return empty when no object has that key
     */
    OptionalLong size(String key) throws IOException;

    /**
     * The names directly under the key prefix {@code dirKey + "/"} (objects and "directories", one
     * segment each, sorted), for {@link BackupVerifier} to find every backup and checkpoint; empty
     * when there is nothing there. Restores never list: they are told what to read.
     *
     * @throws UnsupportedOperationException when this kind of location cannot list
     */
    default List<String> list(String dirKey) throws IOException {
        throw new UnsupportedOperationException(name() + ": this location cannot list its objects");
    }

    /**
     * The local directory the keys resolve in, when the location is one: restore targets are then
     * checked not to lie inside it. Empty for object storage, which no local path can alias.
     */
    default Optional<Path> directory() {
        return Optional.empty();
    }
}

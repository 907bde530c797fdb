package io.qcow2j.oadp;

import java.util.Objects;

/**
 * One image of a checkpoint, as the index lists it. The design document lists plain file names
 * ({@code "files": ["vmb-1-disk0.qcow2"]}); the controller lists objects
 * ({@code {"filename","diskName","size","objectPath"}}). A plain name has no disk name, size or path.
 *
 * @param filename   the image's file name inside the checkpoint's directory
 * @param diskName   the VM volume the image belongs to (the controller's {@code diskName}), or null
 * @param size       the object's length in bytes as recorded at upload, or -1 when not recorded
 * @param objectPath the key relative to the location ({@code checkpoints/<ns>/<vm>/<id>/<filename>}),
 *                   or null when not recorded
 */
public record CheckpointFile(String filename, String diskName, long size, String objectPath) {
    /** Size of a file whose size is not recorded. */
    public static final long UNKNOWN_SIZE = -1;

    /** @throws NullPointerException if {@code filename} is null */
    public CheckpointFile {
        Objects.requireNonNull(filename, "filename");
    }

    /** A design-document entry: the file name alone. */
    public static CheckpointFile named(String filename) {
        return new CheckpointFile(filename, null, UNKNOWN_SIZE, null);
    }

    /** Whether the controller wrote this entry (an object), not the design document (a plain name). */
    public boolean isObject() {
        return objectPath != null || diskName != null || size != UNKNOWN_SIZE;
    }
}

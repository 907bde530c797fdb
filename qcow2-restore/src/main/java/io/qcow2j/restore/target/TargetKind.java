package io.qcow2j.restore.target;

/** What a restore target is, as found before anything is written. */
public enum TargetKind {
    /** A regular file that does not exist yet: created sparse, so zero ranges need no writes. */
    NEW_FILE,
    /** An existing regular file: resized to the disk, zero ranges zeroed where it holds data. */
    EXISTING_FILE,
    /** A block device at least as large as the disk: zero ranges zeroed. */
    BLOCK_DEVICE;

    /** The name used in messages and JSON output: {@code new-file}, {@code existing-file}, {@code block-device}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}

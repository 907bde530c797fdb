package io.qcow2j.restore;

/**
 * What a restore that did not finish left at its target path: what a caller may do with the path
 * afterwards depends on it.
 */
public enum TargetState {
    /** Written in place (an existing file, a block device): part old, part new; do not use it. */
    PARTIALLY_WRITTEN("the target is incomplete"),
    /**
     * A new file that was staged beside its path and never renamed into place, or a restore
     * cancelled before writing: no file was made.
     */
    NOT_CREATED("the restore is incomplete: the target was not created"),
    /**
     * A file that was to be replaced whole (staged, not renamed), or a target of a restore cancelled
     * before writing: its old content is intact.
     */
    UNCHANGED("the restore is incomplete: the target was left untouched, its old content intact");

    private final String description;

    TargetState(String description) {
        this.description = description;
    }

    /** The clause a message ends with, e.g. "the target is incomplete". */
    public String description() {
        return description;
    }
}

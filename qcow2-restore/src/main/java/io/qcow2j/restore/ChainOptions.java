package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;
import java.util.Objects;

/**
 * How {@link Chain#open} opens and checks a chain.
 *
 * @param open             how each image is opened
 * @param allowBackingBase accept a first image that stores a backing file name (a deliberate
 *                         partial chain, starting at an incremental); by default such a chain is
 *                         refused, since a full backup stores none
 */
public record ChainOptions(OpenOptions open, boolean allowBackingBase) {
    public ChainOptions {
        Objects.requireNonNull(open, "open");
    }

    /** Default image options; the chain's order is checked strictly. */
    public static ChainOptions defaults() {
        return new ChainOptions(OpenOptions.defaults(), false);
    }
}

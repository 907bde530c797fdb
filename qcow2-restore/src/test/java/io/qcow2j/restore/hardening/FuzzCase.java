package io.qcow2j.restore.hardening;

import java.util.List;

/**
 * One fuzz try: which image to mutate, how, and with how many restore workers.
 *
 * @param subject   the committed image (or chain link) mutated
 * @param mutations applied in order to its bytes
 * @param workers   restore worker threads (1 makes the failing guest offset deterministic)
 */
record FuzzCase(FuzzSubject subject, List<Mutation> mutations, int workers) {

    /** The mutated image's bytes. */
    byte[] mutatedBytes() {
        byte[] b = subject.base().clone();
        for (Mutation m : mutations) {
            b = m.apply(b);
        }
        return b;
    }

    /** How much the reader depends on the bytes the mutations touch (the most dependent wins). */
    ImageLayout.Use use() {
        ImageLayout.Use u = ImageLayout.Use.UNUSED;
        for (Mutation m : mutations) {
            ImageLayout.Use x = m.use(subject.layout());
            if (x.ordinal() > u.ordinal()) {
                u = x;
            }
        }
        return u;
    }

    @Override
    public String toString() {
        return subject.name() + " " + mutations + " workers=" + workers + " (" + use() + ")";
    }
}

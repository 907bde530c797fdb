package io.qcow2j.restore.hardening;

import java.util.Arrays;

/**
 * One change to an image's bytes. {@link #use} says how much the reader depends on the bytes the
 * change touches, judged on the unmutated image's {@link ImageLayout}.
 */
sealed interface Mutation {

    byte[] apply(byte[] image);

    ImageLayout.Use use(ImageLayout layout);

    /** Flips bit {@code bit} of the byte at {@code offset} (no-op past the end). */
    record BitFlip(long offset, int bit, String region) implements Mutation {
        @Override
        public byte[] apply(byte[] image) {
            if (offset < image.length) {
                image[(int) offset] ^= (byte) (1 << bit);
            }
            return image;
        }

        @Override
        public ImageLayout.Use use(ImageLayout layout) {
            return layout.use(offset);
        }

        @Override
        public String toString() {
            return "flip bit " + bit + " at " + offset + " (" + region + ")";
        }
    }

    /** Writes {@code value} big-endian over a {@code width}-byte field (no-op past the end). */
    record Overwrite(String field, long offset, int width, long value, String label) implements Mutation {
        @Override
        public byte[] apply(byte[] image) {
            for (int i = 0; i < width; i++) {
                long at = offset + i;
                if (at < image.length) {
                    image[(int) at] = (byte) (value >>> (8 * (width - 1 - i)));
                }
            }
            return image;
        }

        @Override
        public ImageLayout.Use use(ImageLayout layout) {
            return layout.use(offset, offset + width);
        }

        @Override
        public String toString() {
            return String.format("set %s (%d bytes at %d) to 0x%x (%s)", field, width, offset, value, label);
        }
    }

    /** Cuts the file to {@code length} bytes (no-op when it is already shorter). */
    record Truncate(long length) implements Mutation {
        @Override
        public byte[] apply(byte[] image) {
            return length < image.length ? Arrays.copyOf(image, (int) length) : image;
        }

        @Override
        public ImageLayout.Use use(ImageLayout layout) {
            return length >= layout.structuralEnd ? ImageLayout.Use.UNUSED : ImageLayout.Use.USED;
        }

        @Override
        public String toString() {
            return "truncate to " + length;
        }
    }

    /** Appends {@code count} bytes of {@code fill}: nothing may read past the structures. */
    record Append(int count, byte fill) implements Mutation {
        @Override
        public byte[] apply(byte[] image) {
            byte[] out = Arrays.copyOf(image, image.length + count);
            Arrays.fill(out, image.length, out.length, fill);
            return out;
        }

        @Override
        public ImageLayout.Use use(ImageLayout layout) {
            return ImageLayout.Use.UNUSED;
        }

        @Override
        public String toString() {
            return "append " + count + " bytes of " + fill;
        }
    }
}

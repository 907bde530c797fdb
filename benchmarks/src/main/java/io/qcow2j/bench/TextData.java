package io.qcow2j.bench;

import java.util.SplittableRandom;

/**
 * Text-like compressible bytes: words from a skewed vocabulary with spaces, commas and line breaks.
 * qemu's deflate (4 KiB window) shrinks it about 2.6 times, like documents, not like runs of one byte.
 */
final class TextData {
    private TextData() {
    }

    static byte[] generate(int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[][] vocab = new byte[512][];
        for (int i = 0; i < vocab.length; i++) {
            vocab[i] = new byte[2 + r.nextInt(9)];
            for (int j = 0; j < vocab[i].length; j++) {
                vocab[i][j] = (byte) ('a' + r.nextInt(26));
            }
        }
        byte[] out = new byte[length];
        int pos = 0;
        int line = 0;
        while (pos < length) {
            // cubing skews towards the first words, as word frequencies are skewed in text
            double u = r.nextDouble();
            byte[] w = vocab[(int) (vocab.length * u * u * u)];
            for (int j = 0; j < w.length && pos < length; j++) {
                out[pos++] = w[j];
            }
            line += w.length + 1;
            if (pos < length) {
                int p = r.nextInt(20);
                out[pos++] = line > 72 ? (byte) '\n' : p == 0 ? (byte) ',' : (byte) ' ';
                if (line > 72) {
                    line = 0;
                }
            }
        }
        return out;
    }
}

package io.qcow2j.restore.model;

import io.qcow2j.core.testing.Qcow2Writer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * An in-memory backup chain: per image its geometry, a state per granule and the bytes of its data
 * granules. It states the composition rule (docs/architecture.md, invariant 2) in the plainest
 * form — sector by sector, newest first — so tests can compare the library against it without
 * qemu.
 */
public final class ChainModel {
    /** Every granule (512-byte cluster or 512-byte subcluster of a 16 KiB cluster) is a multiple of this. */
    public static final int SECTOR = 512;

    /** What one granule of one image says. */
    public enum State {
        UNALLOCATED, ZERO, DATA
    }

    /** One image: geometry, per-granule states and the bytes of the data granules. */
    public static final class Image {
        private final int clusterBits;
        private final boolean extendedL2;
        private final long virtualSize;
        private final State[] states;
        /** Bytes of each DATA granule (the last one may be shorter than a granule). */
        private final Map<Integer, byte[]> data = new HashMap<>();

        /**
         * @param clusterBits 9..21
         * @param extendedL2  32 subclusters per cluster (needs clusterBits >= 14)
         * @param virtualSize a positive multiple of {@link #SECTOR}
         */
        public Image(int clusterBits, boolean extendedL2, long virtualSize) {
            if (clusterBits < 9 || clusterBits > 21 || (extendedL2 && clusterBits < 14)) {
                throw new IllegalArgumentException("cluster bits " + clusterBits + " extended " + extendedL2);
            }
            if (virtualSize <= 0 || virtualSize % SECTOR != 0 || virtualSize / granuleOf(clusterBits, extendedL2)
                    >= Integer.MAX_VALUE) {
                throw new IllegalArgumentException("virtual size " + virtualSize);
            }
            this.clusterBits = clusterBits;
            this.extendedL2 = extendedL2;
            this.virtualSize = virtualSize;
            long granules = (virtualSize + granule() - 1) / granule();
            this.states = new State[(int) granules];
            Arrays.fill(states, State.UNALLOCATED);
        }

        private static long granuleOf(int clusterBits, boolean extendedL2) {
            return extendedL2 ? 1L << (clusterBits - 5) : 1L << clusterBits;
        }

        public int clusterBits() {
            return clusterBits;
        }

        public long clusterSize() {
            return 1L << clusterBits;
        }

        public boolean extendedL2() {
            return extendedL2;
        }

        public long virtualSize() {
            return virtualSize;
        }

        /** Bytes per state: the subcluster with extended L2, else the cluster. */
        public long granule() {
            return granuleOf(clusterBits, extendedL2);
        }

        public int granuleCount() {
            return states.length;
        }

        public State state(int granule) {
            return states[granule];
        }

        /** State of the granule holding guest byte {@code offset} (must be inside the image). */
        public State stateAt(long offset) {
            return states[(int) (offset / granule())];
        }

        /** The bytes of DATA granule {@code g} (shorter than a granule only at the end of the disk). */
        public byte[] granuleData(int g) {
            byte[] b = data.get(g);
            if (b == null) {
                throw new IllegalStateException("granule " + g + " is " + states[g]);
            }
            return b;
        }

        /** Bytes of granule {@code g} inside the disk. */
        public int granuleLength(int g) {
            return (int) Math.min(granule(), virtualSize - g * granule());
        }

        /** Fills the granules touching [offset, offset+length) with random bytes (a guest write). */
        public Image write(long offset, long length, long seed) {
            Random r = new Random(seed);
            forGranules(offset, length, g -> {
                states[g] = State.DATA;
                byte[] b = new byte[granuleLength(g)];
                r.nextBytes(b);
                data.put(g, b);
            });
            return this;
        }

        /** Makes the granules touching the range read as zeros (hiding older images). */
        public Image zero(long offset, long length) {
            forGranules(offset, length, g -> {
                states[g] = State.ZERO;
                clearData(g);
            });
            return this;
        }

        /** Makes the granules touching the range unallocated (falling through to older images). */
        public Image discard(long offset, long length) {
            forGranules(offset, length, g -> {
                states[g] = State.UNALLOCATED;
                clearData(g);
            });
            return this;
        }

        private void clearData(int g) {
            data.remove(g);
        }

        private void forGranules(long offset, long length, java.util.function.IntConsumer action) {
            if (length <= 0 || offset >= virtualSize) {
                return;
            }
            long end = Math.min(virtualSize, offset + length);
            for (long g = offset / granule(); g * granule() < end; g++) {
                action.accept((int) g);
            }
        }

        /** A writer for this image's granules (its granule is the writer's). */
        public Qcow2Writer writer() {
            Qcow2Writer w = Qcow2Writer.image(clusterBits, extendedL2, virtualSize);
            for (int g = 0; g < states.length; g++) {
                if (states[g] == State.DATA) {
                    w.data(g * granule(), data.get(g));
                } else if (states[g] == State.ZERO) {
                    w.zero(g * granule(), granuleLength(g));
                }
            }
            return w;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Image[cb=" + clusterBits + (extendedL2 ? ",ext" : "") + ",size="
                    + virtualSize + ",");
            if (states.length > 4096) {
                return sb.append(data.size()).append(" data granules]").toString();
            }
            for (State s : states) {
                sb.append(s == State.DATA ? 'D' : s == State.ZERO ? 'z' : '.');
            }
            return sb.append(']').toString();
        }
    }

    private final List<Image> images;

    /** @param images oldest first */
    public ChainModel(List<Image> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("empty chain");
        }
        this.images = List.copyOf(images);
    }

    public List<Image> images() {
        return images;
    }

    /** Writes every image as {@code dir/img-<i>.qcow2} ({@link Qcow2Writer}); the paths, oldest first. */
    public List<Path> write(Path dir) throws IOException {
        return write(dir, false);
    }

    /** As {@link #write(Path)}, optionally with data clusters in reverse guest order. */
    public List<Path> write(Path dir, boolean reverseData) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Path p = dir.resolve("img-" + i + ".qcow2");
            images.get(i).writer().reverseData(reverseData).write(p);
            paths.add(p);
        }
        return paths;
    }

    /** The restored disk's size: the newest image's. */
    public long virtualSize() {
        return images.get(images.size() - 1).virtualSize();
    }

    /** The image deciding guest byte {@code off} of the restored disk, or -1 (see {@link #owners()}). */
    public int owner(long off) {
        for (int i = images.size() - 1; i >= 0; i--) {
            Image img = images.get(i);
            if (off >= img.virtualSize() || img.stateAt(off) != State.UNALLOCATED) {
                return i;
            }
        }
        return -1;
    }

    /**
     * For every sector of the restored disk, the index of the image that decides it, or -1 when no
     * image does (it reads as zeros). A sector past an image's end is decided by that image (zeros).
     */
    public int[] owners() {
        int[] owner = new int[Math.toIntExact(virtualSize() / SECTOR)];
        for (int s = 0; s < owner.length; s++) {
            owner[s] = owner((long) s * SECTOR);
        }
        return owner;
    }

    /** The restored disk: newest wins, zero hides, unallocated falls through, past an image's end is zero. */
    public byte[] expectedDisk() {
        return read(0, Math.toIntExact(virtualSize()));
    }

    /** {@code length} bytes of the restored disk from sector-aligned {@code offset}. */
    public byte[] read(long offset, int length) {
        if (offset % SECTOR != 0 || length % SECTOR != 0 || offset + length > virtualSize()) {
            throw new IllegalArgumentException(offset + "+" + length);
        }
        byte[] out = new byte[length];
        for (long off = offset; off < offset + length; off += SECTOR) {
            int o = owner(off);
            if (o < 0) {
                continue;
            }
            Image img = images.get(o);
            if (off < img.virtualSize() && img.stateAt(off) == State.DATA) {
                int g = (int) (off / img.granule());
                System.arraycopy(img.granuleData(g), (int) (off - g * img.granule()), out, (int) (off - offset), SECTOR);
            }
        }
        return out;
    }

    /** Bytes decided by each image (index as in the chain); zeros past an image's end count for it. */
    public long[] contributed() {
        long[] bytes = new long[images.size()];
        for (int o : owners()) {
            if (o >= 0) {
                bytes[o] += SECTOR;
            }
        }
        return bytes;
    }

    /** Sectors that no image describes. */
    public BitSet undescribed() {
        BitSet b = new BitSet();
        int[] owner = owners();
        for (int s = 0; s < owner.length; s++) {
            if (owner[s] < 0) {
                b.set(s);
            }
        }
        return b;
    }

    @Override
    public String toString() {
        return "ChainModel" + images;
    }
}

package io.qcow2j.restore.model;

import io.qcow2j.restore.model.ChainModel.State;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link ChainModel.Image} as a minimal, valid qcow2 version 3 file: header, L1 table, one
 * L2 table per L1 entry that maps anything, the data clusters and an exact refcount table, so both
 * our reader and {@code qemu-img check} accept it. A cluster's state is encoded as qemu does:
 * data = host offset (refcount 1, COPIED), zero = the zero flag (or the subcluster zero bits with
 * extended L2), unallocated = an empty entry. No compression, no backing file name.
 *
 * <p>A test-side tool: it lets property tests build thousands of chains with mixed cluster sizes
 * without qemu. Data granules are written at their host position; everything else is a hole.
 */
public final class MiniQcow2Writer {
    private static final int MAGIC = 0x514649fb;
    private static final int HEADER_LENGTH = 112;
    private static final long COPIED = 1L << 63;
    private static final long ZERO_FLAG = 1L;
    private static final int EXTENDED_L2_BIT = 4;

    private MiniQcow2Writer() {
    }

    /** Writes {@code img} to {@code file} (created or replaced), data clusters in guest order. */
    public static void write(ChainModel.Image img, Path file) throws IOException {
        write(img, file, false);
    }

    /**
     * Writes {@code img} to {@code file}.
     *
     * @param reverseData place data clusters in reverse guest order, so no two guest neighbours are
     *                    host neighbours (reads cannot be coalesced)
     */
    public static void write(ChainModel.Image img, Path file, boolean reverseData) throws IOException {
        int cb = img.clusterBits();
        long cs = 1L << cb;
        boolean ext = img.extendedL2();
        int entryBytes = ext ? 16 : 8;
        long l2Entries = cs / entryBytes;
        long clusters = (img.virtualSize() + cs - 1) / cs;
        int l1Size = (int) ((clusters + l2Entries - 1) / l2Entries);
        long l1Clusters = (8L * l1Size + cs - 1) / cs;
        int perCluster = (int) (cs / img.granule()); // 1, or 32 with extended L2

        // which clusters need an L2 table / a host cluster
        boolean[] l2Needed = new boolean[l1Size];
        List<Long> dataClusters = new ArrayList<>();
        for (long c = 0; c < clusters; c++) {
            boolean any = false;
            boolean data = false;
            for (int s = 0; s < perCluster; s++) {
                long g = c * perCluster + s;
                if (g < img.granuleCount() && img.state((int) g) != State.UNALLOCATED) {
                    any = true;
                    data |= img.state((int) g) == State.DATA;
                }
            }
            if (any) {
                l2Needed[(int) (c / l2Entries)] = true;
            }
            if (data) {
                dataClusters.add(c);
            }
        }
        long next = 1 + l1Clusters; // header, then L1
        long l1Offset = cs;
        long[] l2Offset = new long[l1Size];
        for (int i = 0; i < l1Size; i++) {
            if (l2Needed[i]) {
                l2Offset[i] = next++ * cs;
            }
        }
        java.util.Map<Long, Long> host = new java.util.HashMap<>();
        List<Long> order = new ArrayList<>(dataClusters);
        if (reverseData) {
            java.util.Collections.reverse(order);
        }
        for (long c : order) {
            host.put(c, next++ * cs);
        }
        // refcount structures at the end; they count themselves
        long refsPerBlock = cs / 2; // refcount_order 4: 16-bit entries
        long rtClusters = 1;
        long rbCount = 1;
        while (true) {
            long total = next + rtClusters + rbCount;
            long needBlocks = (total + refsPerBlock - 1) / refsPerBlock;
            long needTable = (8 * needBlocks + cs - 1) / cs;
            if (needBlocks <= rbCount && needTable <= rtClusters) {
                break;
            }
            rbCount = Math.max(rbCount, needBlocks);
            rtClusters = Math.max(rtClusters, needTable);
        }
        long rtOffset = next * cs;
        long rbFirst = next + rtClusters; // cluster index of the first refcount block
        long totalClusters = rbFirst + rbCount;

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = buffer(HEADER_LENGTH + 8);
            h.putInt(0, MAGIC).putInt(4, 3).putInt(20, cb).putLong(24, img.virtualSize())
                    .putInt(36, l1Size).putLong(40, l1Offset).putLong(48, rtOffset).putInt(56, (int) rtClusters)
                    .putLong(72, ext ? 1L << EXTENDED_L2_BIT : 0).putInt(96, 4).putInt(100, HEADER_LENGTH);
            writeAt(ch, h, 0);

            ByteBuffer l1 = buffer(8 * l1Size);
            for (int i = 0; i < l1Size; i++) {
                l1.putLong(8 * i, l2Offset[i] == 0 ? 0 : l2Offset[i] | COPIED);
            }
            writeAt(ch, l1, l1Offset);

            for (int i = 0; i < l1Size; i++) {
                if (l2Offset[i] == 0) {
                    continue;
                }
                ByteBuffer l2 = buffer((int) cs);
                for (long e = 0; e < l2Entries; e++) {
                    long c = i * l2Entries + e;
                    if (c >= clusters) {
                        break;
                    }
                    Long hc = host.get(c);
                    long word = hc == null ? 0 : hc | COPIED;
                    if (ext) {
                        long alloc = 0;
                        long zero = 0;
                        for (int s = 0; s < perCluster; s++) {
                            long g = c * perCluster + s;
                            State st = g < img.granuleCount() ? img.state((int) g) : State.UNALLOCATED;
                            if (st == State.DATA) {
                                alloc |= 1L << s;
                            } else if (st == State.ZERO) {
                                zero |= 1L << s;
                            }
                        }
                        l2.putLong((int) (16 * e), word);
                        l2.putLong((int) (16 * e + 8), alloc | zero << 32);
                    } else {
                        State st = img.state((int) c);
                        l2.putLong((int) (8 * e), st == State.ZERO ? ZERO_FLAG : word);
                    }
                }
                writeAt(ch, l2, l2Offset[i]);
            }

            for (var en : host.entrySet()) {
                long c = en.getKey();
                for (int s = 0; s < perCluster; s++) {
                    long g = c * perCluster + s;
                    if (g < img.granuleCount() && img.state((int) g) == State.DATA) {
                        writeAt(ch, ByteBuffer.wrap(img.granuleData((int) g)), en.getValue() + s * img.granule());
                    }
                }
            }

            ByteBuffer rt = buffer((int) (rtClusters * cs));
            for (long b = 0; b < rbCount; b++) {
                rt.putLong((int) (8 * b), (rbFirst + b) * cs);
            }
            writeAt(ch, rt, rtOffset);
            ByteBuffer rb = buffer((int) (rbCount * cs));
            for (long c = 0; c < totalClusters; c++) {
                rb.putShort((int) (2 * c), (short) 1);
            }
            writeAt(ch, rb, rbFirst * cs);
        }
        // the data clusters' unwritten tails and any trailing holes stay sparse
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(totalClusters * cs);
        }
    }

    /** Writes every image of {@code chain} as {@code dir/img-<i>.qcow2}; returns the paths, oldest first. */
    public static List<Path> writeChain(ChainModel chain, Path dir) throws IOException {
        return writeChain(chain, dir, false);
    }

    /** As {@link #writeChain(ChainModel, Path)}, optionally with data clusters in reverse order. */
    public static List<Path> writeChain(ChainModel chain, Path dir, boolean reverseData) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < chain.images().size(); i++) {
            Path p = dir.resolve("img-" + i + ".qcow2");
            write(chain.images().get(i), p, reverseData);
            paths.add(p);
        }
        return paths;
    }

    private static ByteBuffer buffer(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.BIG_ENDIAN);
    }

    private static void writeAt(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        b.clear();
        long p = pos;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }
}

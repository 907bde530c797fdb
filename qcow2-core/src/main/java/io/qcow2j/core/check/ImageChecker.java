package io.qcow2j.core.check;

import static io.qcow2j.core.internal.format.Layout.*;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.CompressedDescriptor;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.Header;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.check.SnapshotTable.Snapshot;
import io.qcow2j.core.internal.format.HeaderParser;
import io.qcow2j.core.internal.format.L2Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Consistency check of one qcow2 file, doing what {@code qemu-img check} (qemu's
 * {@code qcow2_check_refcounts}) does, read-only: rebuild every cluster's reference count from the
 * header, the active and the internal snapshots' L1/L2 tables, the snapshot table, the refcount
 * table and blocks and the bitmap directory and tables, compare with the stored refcounts, and
 * check OFLAG_COPIED against the stored refcounts in the active tables.
 *
 * <p>Works on the raw file, not through {@code Qcow2Image}, so it reports on images that opening
 * refuses (bad L2 entries, overlapping metadata, truncation). The header must still pass the
 * checks {@code Qcow2Image.open} makes of it (the corrupt bit and a refcount table past the end
 * of the file accepted, as qemu's open accepts them); otherwise, and wherever qemu's check fails as
 * a whole (a snapshot table or bitmap directory it cannot parse), {@link #check} throws a
 * {@link Qcow2Exception}: qemu-img's "could not check", exit 1.
 *
 * <p>Memory: the rebuilt refcounts take {@code refcount_bits} per cluster of the <em>file</em>
 * (plus one), never sized from header claims; a refcount block cache of 4 MiB, one L2 table at a
 * time, the refcount table (at most 8 MiB, bounded by the header's checks) and the L1 tables in
 * chunks.
 */
public final class ImageChecker {
    /** Findings listed in a {@link CheckResult} by default; all of them are counted regardless. */
    public static final int DEFAULT_MAX_PROBLEMS = 1000;
    /** qemu's limit on any L1 table (QCOW_MAX_L1_SIZE), in entries. */
    static final long MAX_L1_ENTRIES = MAX_L1_BYTES / ENTRY_BYTES;
    /** L1 entries read at a time. */
    private static final int L1_CHUNK = 8192;

    private final ByteSource src;
    private final String name;
    private final Header h;
    private final long fileSize;
    private final int clusterBits;
    private final long cs;
    private final boolean extendedL2;
    private final int l2EntryBytes;
    private final RefcountArray refs;
    private final StoredRefcounts stored;
    private final long[] reftable;
    private final Findings findings;
    private long allocated;
    private long fragmented;
    private long compressed;

    private ImageChecker(ByteSource src, Header h, long fileSize, long[] reftable, RefcountArray refs,
            int maxProblems) {
        this.src = src;
        this.name = src.name();
        this.h = h;
        this.fileSize = fileSize;
        this.clusterBits = h.clusterBits();
        this.cs = h.clusterSize();
        this.extendedL2 = h.features().extendedL2();
        this.l2EntryBytes = h.l2EntryBytes();
        this.reftable = reftable;
        this.refs = refs;
        this.stored = new StoredRefcounts(src, fileSize, reftable, clusterBits, h.refcountOrder());
        this.findings = new Findings(maxProblems);
    }

    /** Checks a local file. */
    public static CheckResult check(Path path) throws IOException {
        try (FileByteSource src = FileByteSource.open(path)) {
            return check(src, DEFAULT_MAX_PROBLEMS);
        }
    }

    /**
     * Checks the image in {@code source} (not closed here).
     *
     * @param maxProblems how many findings to list in the result (all are counted)
     * @throws Qcow2Exception when the image cannot be checked: a header that opening the image
     *                        refuses, a snapshot table or bitmap directory qemu's check cannot
     *                        parse either, or a file too large for the rebuilt refcounts to fit
     *                        in memory
     */
    public static CheckResult check(ByteSource source, int maxProblems) throws IOException {
        Header h = HeaderParser.readForCheck(source, OpenOptions.defaults().withAllowCorrupt(true));
        long fileSize = source.size();
        RefcountArray refs = RefcountArray.forFile(source.name(), h, fileSize);
        long[] reftable = StoredRefcounts.readTable(source, fileSize, h);
        return new ImageChecker(source, h, fileSize, reftable, refs, Math.max(0, maxProblems)).run();
    }

    private CheckResult run() throws IOException {
        SnapshotTable snapshots = SnapshotTable.read(src, fileSize, h);
        if (h.version() >= 3) {
            for (Snapshot sn : snapshots.snapshots()) {
                if (sn.extraDataSize() < V3_MIN_SNAPSHOT_EXTRA_DATA) {
                    findings.corruption("snapshot table", sn.entryOffset(), sn.label() + " is incomplete: "
                            + sn.extraDataSize() + " bytes of extra data, a version 3 image needs at least "
                            + V3_MIN_SNAPSHOT_EXTRA_DATA);
                }
            }
        }

        reference(0, cs, "header", () -> "the header cluster");
        checkL1(h.l1TableOffset(), Integer.toUnsignedLong(h.l1Size()), true, "active L1 table");
        for (Snapshot sn : snapshots.snapshots()) {
            checkSnapshotL1(sn);
        }
        reference(h.snapshotsOffset(), snapshots.size(), "snapshot table", () -> "the snapshot table");
        reference(h.refcountTableOffset(), (long) ENTRY_BYTES * reftable.length, "refcount table",
                () -> "the refcount table");
        if (h.bitmapsExtension().isPresent()) {
            checkBitmaps(h.bitmapsExtension().get());
        }
        checkRefcountBlocks();
        long highest = compare();

        long totalClusters = (h.size() / SECTOR * SECTOR + cs - 1) / cs;
        return new CheckResult(name, findings.checkErrors, findings.corruptions, findings.leaks, allocated,
                totalClusters, fragmented, compressed, (highest + 1) * cs, findings.listed(), findings.omitted());
    }

    private void checkSnapshotL1(Snapshot sn) throws IOException {
        long off = sn.l1TableOffset();
        if ((off & (cs - 1)) != 0) {
            findings.corruption("snapshot table", sn.entryOffset(), sn.label() + ": L1 table offset "
                    + Long.toUnsignedString(off) + " is not cluster aligned");
            return;
        }
        if (sn.l1Size() > MAX_L1_ENTRIES) {
            findings.corruption("snapshot table", sn.entryOffset(), sn.label() + ": L1 table of " + sn.l1Size()
                    + " entries exceeds qemu's limit of " + MAX_L1_ENTRIES);
            return;
        }
        if (off < 0) {
            // qemu fails the whole check here (it cannot address the table)
            throw new Qcow2Exception(name, "snapshot table", sn.entryOffset(), sn.label() + ": L1 table offset "
                    + Long.toUnsignedString(off) + " is not addressable");
        }
        checkL1(off, sn.l1Size(), false, "L1 table of " + sn.label());
    }

    /**
     * Counts the references of one L1 table and of everything it maps. With {@code active}, also
     * collects the allocation statistics and checks OFLAG_COPIED against the stored refcounts
     * (qemu does these in separate passes over the same tables).
     */
    private void checkL1(long offset, long entries, boolean active, String what) throws IOException {
        if (entries == 0) {
            return;
        }
        reference(offset, entries * ENTRY_BYTES, "L1 table", () -> "the " + what);
        // entries past the end of the file read as zeros: nothing to visit there
        long inFile = offset >= fileSize ? 0 : Math.min(entries, (fileSize - offset + ENTRY_BYTES - 1) / ENTRY_BYTES);
        for (long first = 0; first < inFile; first += L1_CHUNK) {
            int n = (int) Math.min(L1_CHUNK, inFile - first);
            ByteBuffer chunk = Reads.read(src, fileSize, offset + first * ENTRY_BYTES, n * ENTRY_BYTES, "L1 table");
            for (int j = 0; j < n; j++) {
                long e = chunk.getLong(j * ENTRY_BYTES);
                if (e != 0) {
                    l1Entry(e, first + j, offset + (first + j) * ENTRY_BYTES, active, what);
                }
            }
        }
    }

    private void l1Entry(long e, long index, long pos, boolean active, String what) throws IOException {
        if ((e & L1_RESERVED) != 0) {
            findings.corruption(what, pos, String.format("L1 entry %d has reserved bits set (0x%016x)", index, e));
        }
        long l2 = e & L1_OFFSET_MASK;
        reference(l2, cs, "L2 table", () -> "L2 table of L1 entry " + index + " of the " + what);
        if ((l2 & (cs - 1)) != 0) {
            findings.corruption(what, pos, "L2 table offset " + l2 + " (L1 entry " + index
                    + ") is not cluster aligned");
        }
        // qemu's OFLAG_COPIED pass skips L1 entries without an offset; its refcount pass does not
        boolean copied = active && l2 != 0;
        if (copied) {
            copiedFlag(e, l2, what, pos, () -> "L2 table at " + l2 + " (L1 entry " + index + ")");
        }
        checkL2(l2, index, active, copied, what);
    }

    /**
     * The entries of one L2 table. {@code stats}: count allocation statistics (active table);
     * {@code copied}: check OFLAG_COPIED of data clusters against the stored refcounts.
     */
    private void checkL2(long l2Offset, long l1Index, boolean stats, boolean copied, String via)
            throws IOException {
        ByteBuffer t = Reads.read(src, fileSize, l2Offset, (int) cs, "L2 table");
        int n = (int) (cs / l2EntryBytes);
        long nextContiguous = 0;
        for (int i = 0; i < n; i++) {
            long e = t.getLong(i * l2EntryBytes);
            long bitmap = extendedL2 ? t.getLong(i * l2EntryBytes + EXT_L2_BITMAP) : 0;
            long pos = l2Offset + (long) i * l2EntryBytes;
            int index = i;
            Supplier<String> where = () -> entryLabel(l1Index, index, via);
            boolean isCompressed = L2Entry.isCompressed(e);
            if (!isCompressed && (e & L2_STANDARD_RESERVED) != 0) {
                findings.corruption("L2 table", pos,
                        String.format("%s has reserved bits set (0x%016x)", where.get(), e));
            }
            long host = e & L2_OFFSET_MASK;
            if (isCompressed) {
                if ((e & COPIED) != 0) {
                    findings.corruption("L2 table", pos,
                            where.get() + ": OFLAG_COPIED set on a compressed cluster");
                }
                if (bitmap != 0) {
                    findings.corruption("L2 table", pos, String.format("%s: compressed cluster with a non-zero"
                            + " subcluster bitmap (0x%016x)", where.get(), bitmap));
                    continue;
                }
                CompressedDescriptor d = L2Entry.compressedDescriptor(e & ~COPIED, clusterBits);
                reference(d.hostOffset(), d.length(), "compressed cluster",
                        () -> "compressed cluster of L2 " + where.get());
                if (stats) {
                    allocated++;
                    compressed++;
                    fragmented++; // qemu: compressed clusters are fragmented by nature
                }
            } else if (!extendedL2 && (e & L2_ZERO) != 0 && host == 0) {
                continue; // plain zero cluster: nothing allocated
            } else if (host == 0) {
                if ((bitmap & SUBCLUSTER_ALLOC_MASK) != 0) {
                    findings.corruption("L2 table", pos, String.format("%s: unallocated cluster with subclusters"
                            + " marked allocated (0x%016x)", where.get(), bitmap));
                }
            } else {
                if (((bitmap >>> SUBCLUSTER_ZERO_SHIFT) & bitmap) != 0) {
                    findings.corruption("L2 table", pos, String.format(
                            "%s: subclusters marked both allocated and zero (0x%016x)", where.get(), bitmap));
                }
                if ((host & (cs - 1)) != 0) {
                    boolean data = extendedL2 ? (bitmap & SUBCLUSTER_ALLOC_MASK) != 0 : (e & L2_ZERO) == 0;
                    findings.corruption("L2 table", pos, where.get() + ": " + (data ? "data" : "preallocated zero")
                            + " cluster offset " + host + " is not cluster aligned");
                }
                if (stats) {
                    allocated++;
                    if (nextContiguous != 0 && host != nextContiguous) {
                        fragmented++;
                    }
                    nextContiguous = host + cs;
                }
                reference(host, cs, "data cluster", () -> "data cluster of L2 " + where.get());
                if (copied) {
                    copiedFlag(e, host, "L2 table", pos, () -> "data cluster at " + host + " (" + where.get() + ")");
                }
            }
        }
    }

    /** OFLAG_COPIED must be set exactly when the stored refcount is 1 (unreadable: not judged). */
    private void copiedFlag(long entry, long target, String structure, long pos, Supplier<String> what)
            throws IOException {
        long rc = stored.get(target >>> clusterBits);
        if (rc == StoredRefcounts.UNREADABLE) {
            return;
        }
        boolean copied = (entry & COPIED) != 0;
        if ((rc == 1) != copied) {
            findings.corruption(structure, pos, what.get() + ": OFLAG_COPIED is " + (copied ? "set" : "not set")
                    + " but the stored refcount is " + Long.toUnsignedString(rc));
        }
    }

    private void checkBitmaps(Header.BitmapsExtension ext) throws IOException {
        reference(ext.directoryOffset(), ext.directorySize(), "bitmap directory", () -> "the bitmap directory");
        for (BitmapDirectory.Bitmap bm : BitmapDirectory.read(src, fileSize, h, ext)) {
            reference(bm.tableOffset(), bm.tableSize() * ENTRY_BYTES, "bitmap table",
                    () -> "table of bitmap '" + bm.name() + "'");
            for (long off : BitmapDirectory.table(src, fileSize, h, bm)) {
                if (off != 0) {
                    reference(off, cs, "bitmap data", () -> "data cluster of bitmap '" + bm.name() + "'");
                }
            }
        }
    }

    /** Counts each refcount block and checks it is referenced by nothing else (qemu's check_refblocks). */
    private void checkRefcountBlocks() {
        for (int i = 0; i < reftable.length; i++) {
            long e = reftable[i];
            long pos = h.refcountTableOffset() + (long) ENTRY_BYTES * i;
            if ((e & REFTABLE_RESERVED) != 0) {
                findings.corruption("refcount table", pos, String.format(
                        "entry %d has reserved bits set (0x%016x)", i, e));
                continue;
            }
            long off = e & REFTABLE_OFFSET_MASK;
            if ((off & (cs - 1)) != 0) {
                findings.corruption("refcount table", pos, "refcount block " + i + " offset "
                        + Long.toUnsignedString(off) + " is not cluster aligned");
                continue;
            }
            long cluster = off >>> clusterBits;
            if (cluster >= refs.size()) {
                findings.corruption("refcount table", pos, "refcount block " + i + " at "
                        + Long.toUnsignedString(off) + " lies outside the image (" + fileSize + " bytes)");
                continue;
            }
            if (off != 0) {
                int index = i;
                reference(off, cs, "refcount block", () -> "refcount block " + index);
                long n = refs.get(cluster);
                if (n != 1) {
                    findings.corruption("refcount block", off, "refcount block " + i + " is referenced "
                            + Long.toUnsignedString(n) + " times (it overlaps other metadata or data)");
                }
            }
        }
    }

    /** Stored vs rebuilt refcount of every cluster of the file; returns the highest cluster in use. */
    private long compare() throws IOException {
        long highest = 0;
        long n = refs.size();
        long perBlock = 1L << stored.blockBits();
        for (long i = 0; i < n; i++) {
            if ((i & (perBlock - 1)) == 0 && !stored.hasBlock(i)) {
                // no refcount block: stored counts are 0; skip the range quickly when nothing is referenced
                long end = Math.min(n, i + perBlock);
                if (refs.allZero(i, end)) {
                    i = end - 1;
                    continue;
                }
            }
            long storedRc = stored.get(i);
            if (storedRc == StoredRefcounts.UNREADABLE) {
                findings.checkError("refcount block", -1, "cannot read the refcount of cluster " + i
                        + ": its refcount block offset is not cluster aligned");
                continue;
            }
            long computed = refs.get(i);
            if (storedRc != 0 || computed != 0) {
                highest = i;
            }
            if (storedRc != computed) {
                String msg = "cluster " + i + " has refcount " + Long.toUnsignedString(storedRc) + " but "
                        + Long.toUnsignedString(computed) + " references";
                if (Long.compareUnsigned(storedRc, computed) < 0) {
                    findings.corruption("cluster", i << clusterBits, msg);
                } else {
                    findings.leak("cluster", i << clusterBits, msg);
                }
            }
        }
        return highest;
    }

    /**
     * One reference to the clusters of {@code [offset, offset+size)} (qemu's
     * {@code qcow2_inc_refcounts_imrt}): a range reaching a cluster or more past the end of the
     * file is a corruption and counts nothing; a count already at the refcount width's maximum is a
     * corruption (overflow) and stays there.
     */
    private void reference(long offset, long size, String structure, Supplier<String> what) {
        if (size <= 0) {
            return;
        }
        if (offset + size - fileSize >= cs) {
            findings.corruption(structure, offset, what.get() + " (" + size + " bytes at " + offset
                    + ") reaches a cluster or more past the end of the file (" + fileSize + " bytes)");
            return;
        }
        long first = offset >>> clusterBits;
        long last = (offset + size - 1) >>> clusterBits;
        refs.ensureSize(last + 1);
        for (long k = first; k <= last; k++) {
            long n = refs.get(k);
            if (n == refs.max()) {
                findings.corruption(structure, k << clusterBits, what.get() + ": cluster " + k
                        + " is referenced more than its " + h.refcountBits() + "-bit refcount can count (overflow)");
                continue;
            }
            refs.set(k, n + 1);
        }
    }

    /** Names an L2 entry; the same table may be reached from several L1 tables (snapshots). */
    private String entryLabel(long l1Index, int index, String via) {
        long guest = ((l1Index << h.l2Bits()) + index) << clusterBits;
        return "entry " + index + " (guest offset " + guest + ", via the " + via + ")";
    }
}

package io.qcow2j.core.corpus;

import static io.qcow2j.core.corpus.MalformedCase.Expected.atOpen;
import static io.qcow2j.core.corpus.MalformedCase.Expected.byValidation;
import static io.qcow2j.core.corpus.MalformedCase.Expected.whenRead;
import static io.qcow2j.core.corpus.MalformedCase.Mutation.breakingData;
import static io.qcow2j.core.internal.format.Layout.EXT_DATA_LENGTH;
import static io.qcow2j.core.internal.format.Layout.EXT_HEADER_LENGTH;
import static io.qcow2j.core.internal.format.Layout.HDR_AUTOCLEAR_FEATURES;
import static io.qcow2j.core.internal.format.Layout.HDR_BACKING_FILE_OFFSET;
import static io.qcow2j.core.internal.format.Layout.HDR_BACKING_FILE_SIZE;
import static io.qcow2j.core.internal.format.Layout.HDR_CLUSTER_BITS;
import static io.qcow2j.core.internal.format.Layout.HDR_COMPATIBLE_FEATURES;
import static io.qcow2j.core.internal.format.Layout.HDR_COMPRESSION_TYPE;
import static io.qcow2j.core.internal.format.Layout.HDR_CRYPT_METHOD;
import static io.qcow2j.core.internal.format.Layout.HDR_HEADER_LENGTH;
import static io.qcow2j.core.internal.format.Layout.HDR_INCOMPATIBLE_FEATURES;
import static io.qcow2j.core.internal.format.Layout.HDR_L1_SIZE;
import static io.qcow2j.core.internal.format.Layout.HDR_L1_TABLE_OFFSET;
import static io.qcow2j.core.internal.format.Layout.HDR_MAGIC;
import static io.qcow2j.core.internal.format.Layout.HDR_NB_SNAPSHOTS;
import static io.qcow2j.core.internal.format.Layout.HDR_REFCOUNT_ORDER;
import static io.qcow2j.core.internal.format.Layout.HDR_REFCOUNT_TABLE_CLUSTERS;
import static io.qcow2j.core.internal.format.Layout.HDR_REFCOUNT_TABLE_OFFSET;
import static io.qcow2j.core.internal.format.Layout.HDR_SIZE;
import static io.qcow2j.core.internal.format.Layout.HDR_SNAPSHOTS_OFFSET;
import static io.qcow2j.core.internal.format.Layout.HDR_VERSION;

import com.github.luben.zstd.Zstd;
import io.qcow2j.core.CompressedDescriptor;
import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.corpus.MalformedCase.Base;
import io.qcow2j.core.corpus.MalformedCase.Expected;
import io.qcow2j.core.corpus.MalformedCase.Mutation;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.ImagePoker.L2Ref;
import io.qcow2j.core.internal.format.L2Entry;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.Deflater;

/**
 * The malformed-image corpus: every validation rule of the reader (docs/architecture.md, invariant
 * 3; issue 2 item 3, issue 6 item 2) as named byte-level mutations of real, qemu-written images,
 * with the typed error each must produce, plus the near misses that must still be accepted. Most
 * cases mutate the committed {@code testdata/} images and run anywhere; {@link #qemuBuilt()} adds
 * cases on images qemu makes at test time (2 MiB clusters, persistent bitmaps, huge virtual sizes,
 * ...).
 *
 * <p>Shared through the qcow2-core test-jar: restore tests run the same cases through a whole
 * restore and assert that the target stays untouched.
 *
 * <pre>{@code
 * for (MalformedCase c : MalformedCorpus.cases()) {
 *     assumeTrue(c.runnable(), Qemu.unavailableReason());        // qemu-built bases
 *     MalformedCase.Prepared p = c.prepare(tmp.resolve(c.fileStem()));
 *     // p.image() is the mutated file, p.base() the valid original; c.options() how to open it
 *     if (c.expected() instanceof Expected.Rejected r) {
 *         // r.stage() OPEN or VALIDATE: refused before anything is written (exit 3);
 *         // READ: a data error while streaming (CorruptDataException, exit 4, p.guestOffset())
 *     }
 * }
 * }</pre>
 */
public final class MalformedCorpus {

    private static final long DIRTY = 1L << FeatureBits.INCOMPAT_DIRTY;
    private static final long CORRUPT = 1L << FeatureBits.INCOMPAT_CORRUPT;
    private static final int MAX_L1_ENTRIES = (int) (Layout.MAX_L1_BYTES / Layout.ENTRY_BYTES);

    private MalformedCorpus() {
    }

    /** Every case, committed-image ones first. */
    public static List<MalformedCase> cases() {
        List<MalformedCase> all = new ArrayList<>(committed());
        all.addAll(qemuBuilt());
        Set<String> names = new HashSet<>();
        for (MalformedCase c : all) {
            if (!names.add(c.name())) {
                throw new IllegalStateException("duplicate corpus case " + c.name());
            }
        }
        return List.copyOf(all);
    }

    /** Cases the reader must refuse. */
    public static List<MalformedCase> rejectedCases() {
        return cases().stream().filter(MalformedCase::rejected).toList();
    }

    // --- bases ---------------------------------------------------------------------------------

    private static final Base V3_4K = new Base.Committed("v3-c4096"); // zlib, compressed + zero clusters
    private static final Base V3_512 = new Base.Committed("v3-c512");
    private static final Base V3_64K = new Base.Committed("v3-c65536"); // has a feature name table
    private static final Base V2_4K = new Base.Committed("v2-c4096");
    private static final Base V2_512 = new Base.Committed("v2-c512");
    private static final Base V2_64K = new Base.Committed("v2-c65536"); // a compressed cluster ends the file
    private static final Base ZSTD = new Base.Committed("compressed-zstd");
    private static final Base EXT_64K = new Base.Committed("ext-l2-c65536");
    private static final Base EXT_32K_ZSTD = new Base.Committed("ext-l2-c32768");
    private static final Base BACKING = new Base.Committed("backing-name"); // 512 B clusters, name + format

    private static final OpenOptions DEFAULTS = OpenOptions.defaults();
    private static final Expected ACCEPTED = new Expected.Accepted();

    private static MalformedCase reject(String name, Base base, Expected.Rejected expected, Mutation m) {
        return new MalformedCase(name, base, m, DEFAULTS, expected);
    }

    private static MalformedCase accept(String name, Base base, Mutation m) {
        return new MalformedCase(name, base, m, DEFAULTS, ACCEPTED);
    }

    // --- the committed-image cases ---------------------------------------------------------------

    /** Cases on committed images: no qemu needed. */
    public static List<MalformedCase> committed() {
        List<MalformedCase> c = new ArrayList<>();
        header(c);
        extensions(c);
        features(c);
        refcounts(c);
        l1(c);
        l2(c);
        compressed(c);
        extendedL2(c);
        truncated(c);
        return c;
    }

    private static void header(List<MalformedCase> c) {
        c.add(reject("header/magic", V3_4K, atOpen("header", "not a qcow2 image"),
                p -> p.putInt(HDR_MAGIC, 0x514649fa)));
        c.add(reject("header/version-1", V3_4K, atOpen("header", "unsupported qcow2 version 1"),
                p -> p.putInt(HDR_VERSION, 1)));
        c.add(reject("header/version-4", V3_4K, atOpen("header", "unsupported qcow2 version 4"),
                p -> p.putInt(HDR_VERSION, 4)));
        c.add(reject("header/cluster-bits-8", V3_4K, atOpen("header", "cluster_bits 8 out of range"),
                p -> p.putInt(HDR_CLUSTER_BITS, 8)));
        c.add(reject("header/cluster-bits-22", V3_4K, atOpen("header", "cluster_bits 22 out of range"),
                p -> p.putInt(HDR_CLUSTER_BITS, 22)));
        c.add(reject("header/cluster-bits-negative", V3_4K, atOpen("header", "out of range"),
                p -> p.putInt(HDR_CLUSTER_BITS, -1)));
        c.add(reject("header/header-length-below-104", V3_4K, atOpen("header", "header_length 96 is less than 104"),
                p -> p.putInt(HDR_HEADER_LENGTH, 96)));
        c.add(reject("header/header-length-above-cluster-size", V3_512,
                atOpen("header", "header_length 520 exceeds the cluster size 512"),
                p -> p.putInt(HDR_HEADER_LENGTH, 520)));
        c.add(reject("header/header-length-huge", V3_4K, atOpen("header", "exceeds the cluster size"),
                p -> p.putInt(HDR_HEADER_LENGTH, 0xfffffff8)));
        c.add(reject("header/header-length-not-multiple-of-8", V3_4K,
                atOpen("header", "header_length 108 is not a multiple of 8"), p -> p.putInt(HDR_HEADER_LENGTH, 108)));
        c.add(reject("header/virtual-size-negative", V3_4K, atOpen("header", "virtual size"),
                p -> p.putLong(HDR_SIZE, -4096)));
        // backing file name (512-byte clusters: the name must end inside the first 512 bytes)
        c.add(reject("header/backing-file-offset-past-first-cluster", BACKING,
                atOpen("header", "lies past the first cluster"), p -> p.putLong(HDR_BACKING_FILE_OFFSET, 520)));
        c.add(reject("header/backing-file-offset-negative", BACKING, atOpen("header", "lies past the first cluster"),
                p -> p.putLong(HDR_BACKING_FILE_OFFSET, -8)));
        c.add(reject("header/backing-name-runs-past-first-cluster", BACKING,
                atOpen("backing file name", "runs past the first cluster"),
                p -> p.putLong(HDR_BACKING_FILE_OFFSET, 496)));
        c.add(reject("header/backing-name-longer-than-1023", BACKING,
                atOpen("header", "backing file name length 1024 exceeds 1023"),
                p -> p.putInt(HDR_BACKING_FILE_SIZE, 1024)));
        c.add(reject("header/backing-name-length-huge", BACKING, atOpen("header", "exceeds 1023"),
                p -> p.putInt(HDR_BACKING_FILE_SIZE, 0xffffffff)));
        c.add(accept("header/backing-name-changed", BACKING,
                p -> p.putBytes(p.backingFileOffset(), "/somewhere/else/entirely.img!".getBytes(
                        StandardCharsets.US_ASCII))));
        // snapshots: the table is never read, but its placement is checked like qemu does
        c.add(reject("header/nb-snapshots-above-65536", V3_4K, atOpen("header", "nb_snapshots 65537 exceeds"),
                p -> p.putInt(HDR_NB_SNAPSHOTS, 65537)));
        c.add(reject("header/snapshots-offset-unaligned", V3_4K, atOpen("header", "is not cluster aligned"), p -> {
            p.putInt(HDR_NB_SNAPSHOTS, 1);
            p.putLong(HDR_SNAPSHOTS_OFFSET, p.clusterSize() + 8);
        }));
        c.add(reject("header/snapshots-offset-past-eof", V3_4K, atOpen("header", "past the end of the file"), p -> {
            p.putInt(HDR_NB_SNAPSHOTS, 1);
            p.putLong(HDR_SNAPSHOTS_OFFSET, p.alignedEnd());
        }));
        // crypt_method: 1 AES, 2 LUKS, anything else unknown
        c.add(reject("header/crypt-method-1-aes", V3_4K, atOpen("header", "encrypted (AES)"),
                p -> p.putInt(HDR_CRYPT_METHOD, 1)));
        c.add(reject("header/crypt-method-2-luks", V3_4K, atOpen("header", "encrypted (LUKS)"),
                p -> p.putInt(HDR_CRYPT_METHOD, 2)));
        c.add(reject("header/crypt-method-3", V3_4K, atOpen("header", "unknown method 3"),
                p -> p.putInt(HDR_CRYPT_METHOD, 3)));
        c.add(reject("header/crypt-method-1-v2", V2_4K, atOpen("header", "encrypted (AES)"),
                p -> p.putInt(HDR_CRYPT_METHOD, 1)));
    }

    private static void extensions(List<MalformedCase> c) {
        int table = Layout.EXT_FEATURE_NAME_TABLE;
        c.add(reject("extension/runs-past-extension-area", V3_64K,
                atOpen("header extension", "runs past the extension area"),
                p -> p.putInt(p.extensionPos(table) + EXT_DATA_LENGTH, (int) p.clusterSize())));
        c.add(reject("extension/length-0x7fffffff", V3_64K, atOpen("header extension", "runs past the extension area"),
                p -> p.putInt(p.extensionPos(table) + EXT_DATA_LENGTH, 0x7fffffff)));
        c.add(reject("extension/length-0xffffffff", V3_64K, atOpen("header extension", "runs past the extension area"),
                p -> p.putInt(p.extensionPos(table) + EXT_DATA_LENGTH, 0xffffffff)));
        // in backing-name.qcow2 the extension area ends where the backing file name starts
        c.add(reject("extension/runs-into-backing-name", BACKING,
                atOpen("header extension", "runs past the extension area"),
                p -> p.putInt(p.extensionPos(Layout.EXT_BACKING_FORMAT) + EXT_DATA_LENGTH, 17)));
        c.add(reject("extension/backing-format-16-bytes", BACKING, atOpen("backing format extension", "too long"),
                p -> p.putInt(p.extensionPos(Layout.EXT_BACKING_FORMAT) + EXT_DATA_LENGTH, 16)));
        c.add(accept("extension/unknown-type-skipped", V3_64K, p -> p.putInt(p.extensionPos(table), 0x12345678)));
        c.add(accept("extension/backing-format-15-bytes", BACKING, p -> {
            long pos = p.extensionPos(Layout.EXT_BACKING_FORMAT);
            // runs over the end marker into the name's first bytes: still in the area
            p.putInt(pos + EXT_DATA_LENGTH, 15);
        }));
        // bitmaps extension (the feature name table rewritten in place, followed by an end marker)
        c.add(reject("extension/bitmaps-nb-bitmaps-0", V3_64K, atOpen("bitmaps extension", "nb_bitmaps 0"),
                bitmaps(24, 0, 0, 4096, 65536 * 3, true)));
        c.add(reject("extension/bitmaps-reserved-not-zero", V3_64K,
                atOpen("bitmaps extension", "reserved field is not zero"), bitmaps(24, 1, 7, 4096, 65536 * 3, true)));
        c.add(reject("extension/bitmaps-directory-size-0", V3_64K,
                atOpen("bitmaps extension", "bitmap_directory_size 0"), bitmaps(24, 1, 0, 0, 65536 * 3, true)));
        c.add(reject("extension/bitmaps-directory-size-huge", V3_64K,
                atOpen("bitmaps extension", "bitmap_directory_size"), bitmaps(24, 1, 0, 1L << 40, 65536 * 3, true)));
        c.add(reject("extension/bitmaps-directory-unaligned", V3_64K,
                atOpen("bitmaps extension", "bitmap_directory_offset"), bitmaps(24, 1, 0, 4096, 65536 * 3 + 8, true)));
        c.add(reject("extension/bitmaps-directory-past-eof", V3_64K,
                atOpen("bitmaps extension", "bitmap_directory_offset"), bitmaps(24, 1, 0, 4096, 65536 * 100, true)));
        c.add(reject("extension/bitmaps-too-short", V3_64K, atOpen("bitmaps extension", "expected at least 24"),
                bitmaps(16, 1, 0, 4096, 65536 * 3, true)));
        // without the autoclear bit the extension is stale: qemu ignores it, so must we
        c.add(accept("extension/bitmaps-stale-without-autoclear-bit", V3_64K, bitmaps(24, 0, 7, 0, 8, false)));
        c.add(accept("extension/bitmaps-well-formed", V3_64K, bitmaps(24, 1, 0, 4096, 65536 * 3, true)));
    }

    /** Replaces the feature name table with a bitmaps extension, optionally setting the autoclear bit. */
    private static Mutation bitmaps(int length, int nb, int reserved, long dirSize, long dirOffset, boolean autoclear) {
        return p -> {
            long pos = p.extensionPos(Layout.EXT_FEATURE_NAME_TABLE);
            p.putInt(pos, Layout.EXT_BITMAPS);
            long data = pos + EXT_HEADER_LENGTH;
            p.putInt(pos + EXT_DATA_LENGTH, length);
            p.putInt(data + Layout.BITMAPS_EXT_NB_BITMAPS, nb);
            p.putInt(data + Layout.BITMAPS_EXT_RESERVED, reserved);
            p.putLong(data + Layout.BITMAPS_EXT_DIRECTORY_SIZE, dirSize);
            if (length >= Layout.BITMAPS_EXT_LENGTH) {
                p.putLong(data + Layout.BITMAPS_EXT_DIRECTORY_OFFSET, dirOffset);
            }
            p.putLong(data + ((length + 7) & ~7), 0); // end of extensions
            if (autoclear) {
                p.orLong(HDR_AUTOCLEAR_FEATURES, 1L << FeatureBits.AUTOCLEAR_BITMAPS);
            }
        };
    }

    private static void features(List<MalformedCase> c) {
        c.add(reject("features/unknown-incompatible-bit-named", V3_64K,
                atOpen("header", "unsupported incompatible feature(s): qcow2j future feature"), p -> {
                    // rename the table's "lazy refcounts" entry (compatible bit 0) to incompatible bit 13
                    long entry = featureNameEntry(p, 1, 0);
                    p.putByte(entry + Layout.FEATURE_NAME_TYPE, 0);
                    p.putByte(entry + Layout.FEATURE_NAME_BIT, 13);
                    byte[] name = new byte[Layout.FEATURE_NAME_LENGTH];
                    byte[] text = "qcow2j future feature".getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(text, 0, name, 0, text.length);
                    p.putBytes(entry + Layout.FEATURE_NAME, name);
                    p.orLong(HDR_INCOMPATIBLE_FEATURES, 1L << 13);
                }));
        c.add(reject("features/unknown-incompatible-bit-unnamed", V3_4K,
                atOpen("header", "unsupported incompatible feature(s): bit 20"),
                p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, 1L << 20)));
        c.add(reject("features/unknown-incompatible-bit-63", V3_64K,
                atOpen("header", "unsupported incompatible feature(s): bit 63"),
                p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, 1L << 63)));
        c.add(reject("features/compression-bit-without-type", V3_4K,
                atOpen("header", "compression type feature bit is set but compression_type is zlib"),
                p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, 1L << FeatureBits.INCOMPAT_COMPRESSION_TYPE)));
        c.add(reject("features/compression-type-without-bit", ZSTD,
                atOpen("header", "requires the compression type feature bit"),
                p -> p.clearLong(HDR_INCOMPATIBLE_FEATURES, 1L << FeatureBits.INCOMPAT_COMPRESSION_TYPE)));
        c.add(reject("features/compression-type-unknown", ZSTD, atOpen("header", "unknown compression_type 2"),
                p -> p.putByte(HDR_COMPRESSION_TYPE, 2)));
        c.add(reject("features/compression-type-255", ZSTD, atOpen("header", "unknown compression_type 255"),
                p -> p.putByte(HDR_COMPRESSION_TYPE, 255)));
        c.add(reject("features/external-data-file", V3_4K, atOpen("header", "external data file"),
                p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, 1L << FeatureBits.INCOMPAT_EXTERNAL_DATA_FILE)));
        c.add(reject("features/corrupt", V3_4K, atOpen("header", "marked corrupt"),
                p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, CORRUPT)));
        c.add(new MalformedCase("features/corrupt-allowed", V3_4K, p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, CORRUPT),
                DEFAULTS.withAllowCorrupt(true), ACCEPTED));
        c.add(accept("features/dirty", V3_4K, p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, DIRTY)));
        c.add(accept("features/unknown-compatible-bit", V3_4K, p -> p.orLong(HDR_COMPATIBLE_FEATURES, 1L << 7)));
        c.add(accept("features/unknown-autoclear-bit", V3_4K, p -> p.orLong(HDR_AUTOCLEAR_FEATURES, 1L << 9)));
        c.add(reject("features/data-file-raw-without-data-file", V3_4K, atOpen("header", "data-file-raw requires"),
                p -> p.orLong(HDR_AUTOCLEAR_FEATURES, 1L << FeatureBits.AUTOCLEAR_DATA_FILE_RAW)));
    }

    /** File offset of the feature name table entry for (type, bit). */
    private static long featureNameEntry(ImagePoker p, int type, int bit) throws IOException {
        long pos = p.extensionPos(Layout.EXT_FEATURE_NAME_TABLE);
        long data = pos + EXT_HEADER_LENGTH;
        int len = p.getInt(pos + EXT_DATA_LENGTH);
        for (long e = data; e + Layout.FEATURE_NAME_ENTRY_LENGTH <= data + len; e += Layout.FEATURE_NAME_ENTRY_LENGTH) {
            if (p.getByte(e + Layout.FEATURE_NAME_TYPE) == type && p.getByte(e + Layout.FEATURE_NAME_BIT) == bit) {
                return e;
            }
        }
        throw new IllegalStateException(p.path() + ": no feature name for type " + type + " bit " + bit);
    }

    private static void refcounts(List<MalformedCase> c) {
        c.add(reject("refcount/order-7", V3_4K, atOpen("header", "refcount_order 7 exceeds 6"),
                p -> p.putInt(HDR_REFCOUNT_ORDER, 7)));
        c.add(reject("refcount/order-huge", V3_4K, atOpen("header", "exceeds 6"),
                p -> p.putInt(HDR_REFCOUNT_ORDER, -1)));
        c.add(reject("refcount/table-clusters-0", V3_4K, atOpen("header", "refcount_table_clusters is 0"),
                p -> p.putInt(HDR_REFCOUNT_TABLE_CLUSTERS, 0)));
        c.add(reject("refcount/table-clusters-too-large", V3_4K, atOpen("header", "exceeds qemu's limit"),
                p -> p.putInt(HDR_REFCOUNT_TABLE_CLUSTERS, 0x10000)));
        c.add(reject("refcount/table-clusters-0xffffffff", V3_4K, atOpen("header", "exceeds qemu's limit"),
                p -> p.putInt(HDR_REFCOUNT_TABLE_CLUSTERS, 0xffffffff)));
        c.add(reject("refcount/table-past-eof", V3_4K, atOpen("refcount table", "past the end of the file"),
                p -> p.putInt(HDR_REFCOUNT_TABLE_CLUSTERS, 100)));
        c.add(reject("refcount/table-offset-unaligned", V3_4K, atOpen("header", "is not cluster aligned"),
                p -> p.putLong(HDR_REFCOUNT_TABLE_OFFSET, p.refcountTableOffset() + 8)));
        c.add(reject("refcount/table-offset-overflowing", V3_4K, atOpen("header", "overflows"),
                p -> p.putLong(HDR_REFCOUNT_TABLE_OFFSET, 0x7fff_ffff_ffff_f000L)));
        c.add(reject("refcount/table-offset-negative", V3_4K, atOpen("header", "overflows"),
                p -> p.putLong(HDR_REFCOUNT_TABLE_OFFSET, 0xffff_ffff_ffff_f000L)));
        c.add(reject("refcount/table-offset-0", V3_4K, atOpen("header", "overlaps the header"),
                p -> p.putLong(HDR_REFCOUNT_TABLE_OFFSET, 0)));
        c.add(reject("refcount/table-offset-past-eof", V3_4K, atOpen("refcount table", "past the end of the file"),
                p -> p.putLong(HDR_REFCOUNT_TABLE_OFFSET, p.alignedEnd())));
        long rt0 = 0; // refcount table entry 0, relative to the table
        c.add(reject("refcount/block-reserved-bits", V3_4K, atOpen("refcount table", "reserved bits"),
                p -> p.orLong(p.refcountTableOffset() + rt0, 1)));
        c.add(reject("refcount/block-unaligned", V3_4K, atOpen("refcount table", "is not cluster aligned"),
                p -> p.putLong(p.refcountTableOffset() + rt0, p.refcountTableEntry(0) + 512)));
        c.add(reject("refcount/block-past-eof", V3_4K, atOpen("refcount table", "past the end of the file"),
                p -> p.putLong(p.refcountTableOffset() + rt0, p.alignedEnd())));
    }

    private static void l1(List<MalformedCase> c) {
        // v3-c4096 is 16 MiB + 1536 bytes: 9 L1 entries of 2 MiB each
        c.add(reject("l1/size-too-small", V3_4K, atOpen("header", "is too small for the virtual size"),
                p -> p.putInt(HDR_L1_SIZE, 8)));
        c.add(reject("l1/size-0", V3_4K, atOpen("header", "is too small for the virtual size"),
                p -> p.putInt(HDR_L1_SIZE, 0)));
        c.add(reject("l1/size-above-32MiB", V3_4K, atOpen("header", "exceeds qemu's limit"),
                p -> p.putInt(HDR_L1_SIZE, MAX_L1_ENTRIES + 1)));
        c.add(reject("l1/size-0xffffffff", V3_4K, atOpen("header", "exceeds qemu's limit"),
                p -> p.putInt(HDR_L1_SIZE, 0xffffffff)));
        c.add(reject("l1/size-past-eof", V3_4K, atOpen("L1 table", "past the end of the file"),
                p -> p.putInt(HDR_L1_SIZE, 1 << 20)));
        c.add(reject("l1/offset-unaligned", V3_4K, atOpen("header", "is not cluster aligned"),
                p -> p.putLong(HDR_L1_TABLE_OFFSET, p.l1TableOffset() + 8)));
        c.add(reject("l1/offset-past-eof", V3_4K, atOpen("L1 table", "past the end of the file"),
                p -> p.putLong(HDR_L1_TABLE_OFFSET, p.alignedEnd())));
        c.add(reject("l1/offset-overflowing", V3_4K, atOpen("header", "overflows"), p -> {
            p.putInt(HDR_L1_SIZE, MAX_L1_ENTRIES); // the largest legal table: 32 MiB past the offset
            p.putLong(HDR_L1_TABLE_OFFSET, 0x7fff_ffff_ffff_f000L);
        }));
        c.add(reject("l1/offset-negative", V3_4K, atOpen("header", "overflows"),
                p -> p.putLong(HDR_L1_TABLE_OFFSET, 0x8000_0000_0000_0000L)));
        c.add(reject("l1/offset-0", V3_4K, atOpen("header", "overlaps the header"),
                p -> p.putLong(HDR_L1_TABLE_OFFSET, 0)));
        c.add(reject("l1/entry-reserved-bit-56", V3_4K, atOpen("L1 table", "reserved bits"),
                p -> p.orLong(p.l1EntryPos(p.firstAllocatedL1()), 1L << 56)));
        c.add(reject("l1/entry-reserved-bit-0", V3_4K, atOpen("L1 table", "reserved bits"),
                p -> p.orLong(p.l1EntryPos(p.firstAllocatedL1()), 1L)));
        c.add(reject("l1/entry-reserved-bit-62", V3_4K, atOpen("L1 table", "reserved bits"),
                p -> p.orLong(p.l1EntryPos(p.firstAllocatedL1()), 1L << 62)));
        c.add(reject("l1/entry-reserved-bit-in-unused-entry", V3_4K, atOpen("L1 table", "reserved bits"),
                p -> p.orLong(p.l1EntryPos(2), 1L << 60))); // entry 2 maps [4M, 6M): no L2 table
        c.add(accept("l1/entry-copied-bit-cleared", V3_4K,
                p -> p.clearLong(p.l1EntryPos(p.firstAllocatedL1()), Layout.COPIED)));
        // L2 table placement
        c.add(reject("l2-table/unaligned", V3_4K, atOpen("L1 table", "is not cluster aligned"),
                p -> p.putLong(p.l1EntryPos(0), p.getLong(p.l1EntryPos(0)) + 512)));
        c.add(reject("l2-table/past-eof", V3_4K, atOpen("L1 table", "ends past the end of the file"),
                p -> p.putLong(p.l1EntryPos(0), p.alignedEnd())));
        c.add(reject("l2-table/offset-bit-55", V3_4K, atOpen("L1 table", "ends past the end of the file"),
                p -> p.orLong(p.l1EntryPos(0), 1L << 55)));
        c.add(reject("l2-table/in-l1-table", V3_4K, atOpen("L1 table", "overlaps the L1 table"),
                p -> p.putLong(p.l1EntryPos(0), p.l1TableOffset())));
        c.add(reject("l2-table/in-refcount-block", V3_4K, atOpen("L1 table", "overlaps the refcount block"),
                p -> p.putLong(p.l1EntryPos(0), p.refcountTableEntry(0))));
        c.add(reject("l2-table/in-refcount-table", V3_4K, atOpen("L1 table", "overlaps the refcount table"),
                p -> p.putLong(p.l1EntryPos(0), p.refcountTableOffset())));
    }

    private static void l2(List<MalformedCase> c) {
        c.add(reject("l2/entry-reserved-bit-1", V3_4K, byValidation("L2 table", "reserved bits"),
                p -> p.orLong(dataEntry(p).pos(), 1L << 1)));
        c.add(reject("l2/entry-reserved-bit-56", V3_4K, byValidation("L2 table", "reserved bits"),
                p -> p.orLong(dataEntry(p).pos(), 1L << 56)));
        c.add(reject("l2/entry-reserved-bit-61-unallocated", V3_4K, byValidation("L2 table", "reserved bits"),
                p -> p.orLong(p.findL2Entry("unallocated", r -> r.entry() == 0).pos(), 1L << 61)));
        c.add(reject("l2/entry-reserved-bit-in-second-table", V3_4K, byValidation("L2 table", "reserved bits"),
                p -> p.orLong(p.findL2Entry("standard, second table",
                        r -> !r.compressed() && r.guestOffset() >= 2L << 20).pos(), 1L << 5)));
        c.add(accept("l2/garbage-past-virtual-size", V3_4K, p -> {
            // the last table maps one cluster of the disk; the entries after it map nothing and are not read
            L2Ref last = p.l2Entries().get(p.l2Entries().size() - 1);
            p.putLong(last.pos() + 8, -1L);
        }));
        c.add(reject("data/unaligned", V3_4K, byValidation("L2 table", "is not cluster aligned"),
                p -> p.putLong(dataEntry(p).pos(), dataEntry(p).entry() + 512)));
        c.add(reject("data/past-eof", V3_4K, byValidation("L2 table", "ends past the end of the file"),
                p -> p.putLong(dataEntry(p).pos(), Layout.COPIED | p.alignedEnd())));
        c.add(reject("data/offset-bit-55", V3_512, byValidation("L2 table", "ends past the end of the file"),
                p -> p.orLong(dataEntry(p).pos(), 1L << 55)));
        c.add(reject("data/zero-flag-in-v2", V2_4K, byValidation("L2 table", "zero flag set in a version 2 image"),
                p -> p.orLong(dataEntry(p).pos(), Layout.L2_ZERO)));
        c.add(reject("data/zero-flag-in-v2-512", V2_512, byValidation("L2 table", "zero flag set in a version 2"),
                p -> p.orLong(p.findL2Entry("unallocated", r -> r.entry() == 0).pos(), Layout.L2_ZERO)));
        // a zero cluster may keep (or lose) its host offset, and past-EOF offsets are not read
        c.add(accept("data/zero-flag-added-v3", V3_4K, p -> {
            // the zero cluster then reads as zeros: accepted only where the data was zeros already
            L2Ref r = p.findL2Entry("unallocated", e -> e.entry() == 0);
            p.orLong(r.pos(), Layout.L2_ZERO);
        }));
        c.add(accept("data/copied-bit-cleared", V3_4K, p -> p.clearLong(dataEntry(p).pos(), Layout.COPIED)));
    }

    private static void compressed(List<MalformedCase> c) {
        c.add(reject("compressed/range-past-eof", V3_4K, byValidation("L2 table", "ends past the end of the file"),
                p -> pastEof(p, compressedEntry(p))));
        c.add(reject("compressed/range-past-eof-512", V2_512, byValidation("L2 table", "ends past the end of the file"),
                p -> pastEof(p, compressedEntry(p))));
        c.add(reject("compressed/sector-count-max", V2_64K, byValidation("L2 table", "ends past the end of the file"),
                p -> {
                    L2Ref r = compressedEntry(p);
                    requireLast(p, p.descriptor(r.entry()).hostOffset());
                    int x = Layout.compressedOffsetBits(p.clusterBits());
                    p.orLong(r.pos(), ((1L << (62 - x)) - 1) << x);
                }));
        c.add(reject("compressed/in-header-cluster", V3_4K, byValidation("L2 table", "inside the header cluster"),
                p -> {
                    L2Ref r = compressedEntry(p);
                    int x = Layout.compressedOffsetBits(p.clusterBits());
                    p.putLong(r.pos(), Layout.L2_COMPRESSED | (r.entry() & ~((1L << x) - 1) & ~Layout.L2_COMPRESSED) | 200);
                }));
        c.add(reject("compressed/offset-bit-56", V3_4K, byValidation("L2 table", "above bit 55"),
                p -> p.orLong(compressedEntry(p).pos(), 1L << 56)));
        c.add(reject("compressed/offset-bit-60-c512", V2_512, byValidation("L2 table", "above bit 55"),
                p -> p.orLong(compressedEntry(p).pos(), 1L << 60)));
        c.add(reject("compressed/deflate-inflates-short", V3_4K,
                whenRead("compressed cluster", "deflate stream ended after 100 bytes"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), deflate(new byte[100])))));
        c.add(reject("compressed/deflate-garbage", V3_4K, whenRead("compressed cluster", "invalid deflate data"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), filled(16, 0xff)))));
        c.add(reject("compressed/deflate-inflates-short-c512", V2_512,
                whenRead("compressed cluster", "deflate stream ended after 7 bytes"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), deflate(new byte[7])))));
        c.add(reject("compressed/zstd-inflates-short", ZSTD, whenRead("compressed cluster", "zstd stream ended after 100"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), Zstd.compress(filled(100, 0x5a))))));
        c.add(reject("compressed/zstd-garbage", ZSTD, whenRead("compressed cluster", "invalid zstd data"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), filled(16, 0xff)))));
        c.add(reject("compressed/zstd-inflates-short-ext-l2", EXT_32K_ZSTD,
                whenRead("compressed cluster", "zstd stream ended"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), Zstd.compress(filled(10, 1))))));
    }

    private static void extendedL2(List<MalformedCase> c) {
        c.add(reject("ext-l2/alloc-and-zero-bits", EXT_64K, byValidation("L2 table", "both allocated and zero"), p -> {
            L2Ref r = p.findL2Entry("allocated subclusters", e -> e.data());
            p.orLong(r.bitmapPos(), (long) L2Entry.allocBits(r.bitmap()) << 32);
        }));
        c.add(reject("ext-l2/one-subcluster-alloc-and-zero", EXT_32K_ZSTD, byValidation("L2 table",
                "both allocated and zero"), p -> {
                    L2Ref r = p.findL2Entry("allocated subclusters", e -> e.data());
                    int lowest = Integer.lowestOneBit(L2Entry.allocBits(r.bitmap()));
                    p.orLong(r.bitmapPos(), (long) lowest << 32);
                }));
        c.add(reject("ext-l2/alloc-bit-without-offset", EXT_64K, byValidation("L2 table", "no host offset"), p -> {
            L2Ref r = p.findL2Entry("a cluster without host offset",
                    e -> !e.compressed() && e.host() == 0 && e.bitmap() != 0);
            p.putLong(r.bitmapPos(), 1L << 31);
        }));
        c.add(reject("ext-l2/cluster-bits-13", EXT_64K, atOpen("header", "extended L2 entries need clusters of at least"),
                p -> p.putInt(HDR_CLUSTER_BITS, 13)));
        c.add(reject("ext-l2/compressed-with-bitmap", EXT_32K_ZSTD, byValidation("L2 table", "non-zero subcluster bitmap"),
                p -> p.putLong(compressedEntry(p).bitmapPos(), 1)));
        c.add(reject("ext-l2/compressed-with-zero-bitmap-bits", EXT_32K_ZSTD,
                byValidation("L2 table", "non-zero subcluster bitmap"),
                p -> p.putLong(compressedEntry(p).bitmapPos(), 1L << 40)));
        c.add(reject("ext-l2/subcluster-past-eof", EXT_64K, byValidation("L2 table", "ends past the end of the file"),
                p -> {
                    // the file ends inside its last data cluster: claiming every subcluster reaches past EOF
                    L2Ref last = lastDataCluster(p);
                    if (last.host() + p.clusterSize() <= p.originalSize()) {
                        throw new IllegalStateException("the last data cluster no longer ends past EOF");
                    }
                    p.putLong(last.bitmapPos(), 0xffff_ffffL);
                }));
        c.add(reject("ext-l2/reserved-bit", EXT_64K, byValidation("L2 table", "reserved bits"),
                p -> p.orLong(p.findL2Entry("allocated subclusters", e -> e.data()).pos(), 1L << 3)));
        // the spec says bit 0 is always 0 with extended L2 entries; qemu ignores it (the bitmap rules)
        c.add(accept("ext-l2/descriptor-zero-flag-ignored", EXT_64K,
                p -> p.orLong(p.findL2Entry("allocated subclusters", e -> e.data()).pos(), Layout.L2_ZERO)));
        c.add(accept("ext-l2/zero-bits-on-unallocated-subclusters", EXT_64K, p -> {
            // unallocated subclusters of a cluster without offset read as zeros either way
            L2Ref r = p.findL2Entry("unallocated", e -> e.entry() == 0 && e.bitmap() == 0);
            p.putLong(r.bitmapPos(), 0xffff_ffffL << 32);
        }));
    }

    private static void truncated(List<MalformedCase> c) {
        c.add(reject("truncated/inside-v2-fields", V3_4K, atOpen("header", "too short for a qcow2 header"),
                p -> p.truncate(50)));
        c.add(reject("truncated/inside-v3-fields", V3_4K, atOpen("header", "ends inside the version 3 header"),
                p -> p.truncate(90)));
        c.add(reject("truncated/at-header-length", V3_4K, atOpen("header extension", "file ends inside the header"),
                p -> p.truncate(108)));
        c.add(reject("truncated/v2-header-only", V2_4K, atOpen("header extension", "file ends inside the header"),
                p -> p.truncate(Layout.V2_HEADER_LENGTH)));
        c.add(reject("truncated/inside-header-extension", V3_64K,
                atOpen("header extension", "file ends inside a header extension"), p -> p.truncate(200)));
        c.add(reject("truncated/inside-backing-name", BACKING, atOpen("backing file name", "end of the file"),
                p -> p.truncate(150)));
        c.add(reject("truncated/inside-refcount-table", V3_4K, atOpen("refcount table", "past the end of the file"),
                p -> p.truncate(p.refcountTableOffset() + 100)));
        c.add(reject("truncated/inside-l1", V3_512, atOpen("L1 table", "past the end of the file"),
                p -> p.truncate(p.l1TableOffset() + 1000)));
        c.add(reject("truncated/inside-l2-table", V3_4K, atOpen("L1 table", "ends past the end of the file"), p -> {
            long last = p.l2Tables().stream().max(Long::compare).orElseThrow();
            p.truncate(last + p.clusterSize() / 2);
        }));
        c.add(reject("truncated/inside-data-cluster", V3_64K, byValidation("L2 table", "ends past the end of the file"),
                p -> {
                    L2Ref last = lastDataCluster(p);
                    requireLast(p, last.host());
                    p.truncate(last.host() + 256);
                }));
        c.add(reject("truncated/inside-data-cluster-v2", V2_4K, byValidation("L2 table", "ends past the end of the file"),
                p -> {
                    L2Ref last = lastDataCluster(p);
                    requireLast(p, last.host());
                    p.truncate(last.host() + 1);
                }));
        c.add(reject("truncated/inside-last-subcluster", EXT_64K, byValidation("L2 table", "ends past the end of the file"),
                p -> p.truncate(p.originalSize() - 1)));
        c.add(reject("truncated/before-compressed-cluster", V2_64K,
                byValidation("L2 table", "ends past the end of the file"), p -> {
                    L2Ref r = compressedEntry(p);
                    requireLast(p, p.descriptor(r.entry()).hostOffset());
                    p.truncate(p.descriptor(r.entry()).hostOffset());
                }));
        c.add(reject("truncated/inside-compressed-stream", V2_64K,
                whenRead("compressed cluster", "deflate stream ended"), breakingData(p -> {
                    // the range is rounded up to a sector, so a cut in the stream's last sector passes the
                    // metadata checks; inflating must still notice the stream is cut short
                    L2Ref r = compressedEntry(p);
                    long start = p.descriptor(r.entry()).hostOffset();
                    requireLast(p, start);
                    long cut = start + (p.originalSize() - start) / 2;
                    if (cut / Layout.SECTOR != (p.originalSize() - 1) / Layout.SECTOR) {
                        throw new IllegalStateException("the cut is not in the stream's last sector");
                    }
                    p.truncate(cut);
                    return r.guestOffset();
                })));
    }

    // --- qemu-built cases ------------------------------------------------------------------------

    private static Base built(String label, Base.Recipe recipe) {
        return new Base.Built(label, recipe);
    }

    private static final Base C2M = built("2 MiB clusters, data, then zlib compressed last", img -> {
        QemuImg.create(img, 8L << 20, "cluster_size=2097152");
        QemuIo.on(img).write(0, 4096, 0x11).write((6L << 20) + 100, 1000, 0x33)
                .writeCompressed(2L << 20, 2L << 20, 0x22).run();
    });

    private static final Base V2_C2M = built("v2, 2 MiB clusters", img -> {
        QemuImg.create(img, (4L << 20) + 512, "compat=0.10,cluster_size=2097152");
        QemuIo.on(img).write(1 << 20, 8192, 0x44).run();
    });

    private static final Base BITMAP = built("64 KiB clusters with a persistent dirty bitmap", img -> {
        QemuImg.create(img, 4L << 20, null);
        QemuIo.on(img).write(0, 65536, 0x55).run();
        Qemu.run("qemu-img", "bitmap", "--add", "-f", "qcow2", img.toString(), "backup-0");
    });

    private static final Base HUGE = built("1 TiB virtual, 64 KiB clusters", img -> {
        QemuImg.create(img, 1L << 40, null);
        QemuIo.on(img).write((1L << 40) - 65536, 65536, 0x66).write(0, 512, 0x67).run();
    });

    private static final Base EXT_16K = built("extended L2 at the minimum 16 KiB clusters", img -> {
        QemuImg.create(img, 1L << 20, "cluster_size=16384,extended_l2=on");
        QemuIo.on(img).write(512, 1024, 0x77).writeZero(16384 + 1024, 512).write(65536, 16384, 0x78).run();
    });

    private static final Base REFCOUNT_64 = built("64-bit refcounts, lazy refcounts", img -> {
        QemuImg.create(img, 1L << 20, "refcount_bits=64,lazy_refcounts=on");
        QemuIo.on(img).write(0, 65536, 0x79).run();
    });

    /** Cases on images qemu makes at test time; they need qemu-img and qemu-io. */
    public static List<MalformedCase> qemuBuilt() {
        List<MalformedCase> c = new ArrayList<>();
        c.add(reject("qemu/bitmap-directory-unaligned", BITMAP, atOpen("bitmaps extension", "bitmap_directory_offset"),
                p -> {
                    long pos = p.extensionPos(Layout.EXT_BITMAPS);
                    long dir = pos + EXT_HEADER_LENGTH + Layout.BITMAPS_EXT_DIRECTORY_OFFSET;
                    p.putLong(dir, p.getLong(dir) + 8);
                }));
        c.add(reject("qemu/bitmap-count-0", BITMAP, atOpen("bitmaps extension", "nb_bitmaps 0"),
                p -> p.putInt(p.extensionPos(Layout.EXT_BITMAPS) + EXT_HEADER_LENGTH + Layout.BITMAPS_EXT_NB_BITMAPS,
                        0)));
        c.add(reject("qemu/c2M-compressed-past-eof", C2M, byValidation("L2 table", "ends past the end of the file"), p -> {
            L2Ref r = compressedEntry(p);
            requireLast(p, p.descriptor(r.entry()).hostOffset());
            int x = Layout.compressedOffsetBits(p.clusterBits()); // 49: 13 bits of sectors
            p.orLong(r.pos(), ((1L << (62 - x)) - 1) << x);
        }));
        c.add(reject("qemu/c2M-deflate-inflates-short", C2M,
                whenRead("compressed cluster", "deflate stream ended after 65536 bytes"),
                breakingData(p -> replaceCompressed(p, compressedEntry(p), deflate(new byte[65536])))));
        c.add(reject("qemu/c2M-data-unaligned", C2M, byValidation("L2 table", "is not cluster aligned"),
                p -> p.putLong(dataEntry(p).pos(), dataEntry(p).entry() + (1 << 20))));
        c.add(reject("qemu/c2M-truncated-inside-data", C2M, byValidation("L2 table", "ends past the end of the file"),
                p -> {
                    L2Ref last = lastDataCluster(p);
                    p.truncate(last.host() + 4096); // cuts the compressed cluster after it too
                }));
        c.add(reject("qemu/v2-c2M-zero-flag", V2_C2M, byValidation("L2 table", "zero flag set in a version 2 image"),
                p -> p.orLong(dataEntry(p).pos(), Layout.L2_ZERO)));
        c.add(reject("qemu/1TiB-l1-too-small", HUGE, atOpen("header", "is too small for the virtual size"),
                p -> p.putInt(HDR_L1_SIZE, p.l1Size() - 1)));
        c.add(reject("qemu/1TiB-last-l2-in-l1", HUGE, atOpen("L1 table", "overlaps the L1 table"),
                p -> p.putLong(p.l1EntryPos(p.l1Size() - 1), p.l1TableOffset())));
        c.add(reject("qemu/ext-l2-c16k-alloc-and-zero", EXT_16K, byValidation("L2 table", "both allocated and zero"),
                p -> {
                    L2Ref r = p.findL2Entry("allocated subclusters", e -> e.data());
                    p.orLong(r.bitmapPos(), (long) L2Entry.allocBits(r.bitmap()) << 32);
                }));
        c.add(reject("qemu/ext-l2-c16k-cluster-bits-13", EXT_16K,
                atOpen("header", "extended L2 entries need clusters of at least"),
                p -> p.putInt(HDR_CLUSTER_BITS, 13)));
        c.add(reject("qemu/refcount-order-7", REFCOUNT_64, atOpen("header", "refcount_order 7 exceeds 6"),
                p -> p.putInt(HDR_REFCOUNT_ORDER, 7)));
        c.add(accept("qemu/lazy-refcounts-dirty", REFCOUNT_64, p -> p.orLong(HDR_INCOMPATIBLE_FEATURES, DIRTY)));
        return c;
    }

    // --- helpers ---------------------------------------------------------------------------------

    private static L2Ref dataEntry(ImagePoker p) throws IOException {
        return p.findL2Entry("a data cluster", L2Ref::data);
    }

    private static L2Ref compressedEntry(ImagePoker p) throws IOException {
        return p.findL2Entry("a compressed cluster", L2Ref::compressed);
    }

    private static L2Ref lastDataCluster(ImagePoker p) throws IOException {
        return p.l2Entries().stream().filter(L2Ref::data).max((a, b) -> Long.compare(a.host(), b.host()))
                .orElseThrow(() -> new IllegalStateException(p.path() + " has no data cluster"));
    }

    /** Fails (the base changed under the corpus) unless nothing in the image lies after {@code host}. */
    private static void requireLast(ImagePoker p, long host) throws IOException {
        if (p.lastHostStructure() != host || p.l1TableOffset() > host
                || p.refcountTableOffset() > host || p.refcountTableEntry(0) > host) {
            throw new IllegalStateException(p.path() + ": the structure at " + host + " is not the last in the file");
        }
    }

    /** Moves a compressed cluster's range past the end of the file (one full sector beyond it). */
    private static void pastEof(ImagePoker p, L2Ref r) throws IOException {
        int x = Layout.compressedOffsetBits(p.clusterBits());
        long roundedEnd = (p.originalSize() + 511) & ~511L;
        long offset = roundedEnd - 100; // 100 bytes before the end, 1 additional sector: 412 bytes past it
        p.putLong(r.pos(), Layout.L2_COMPRESSED | (1L << x) | offset);
    }

    /** Overwrites the compressed bytes of {@code r} with {@code stream}; returns the guest offset it breaks. */
    private static long replaceCompressed(ImagePoker p, L2Ref r, byte[] stream) throws IOException {
        CompressedDescriptor d = p.descriptor(r.entry());
        if (stream.length > d.length()) {
            throw new IllegalStateException("replacement stream of " + stream.length + " bytes does not fit in "
                    + d.length());
        }
        p.putBytes(d.hostOffset(), stream);
        return r.guestOffset();
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            d.setInput(data);
            d.finish();
            byte[] out = new byte[data.length + 64];
            int n = d.deflate(out);
            if (!d.finished()) {
                throw new IllegalStateException("deflate buffer too small");
            }
            return Arrays.copyOf(out, n);
        } finally {
            d.end();
        }
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }
}

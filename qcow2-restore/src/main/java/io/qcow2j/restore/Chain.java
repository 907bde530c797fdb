package io.qcow2j.restore;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.ImageOpening;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.compose.Composition;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * An ordered list of images, oldest (the full backup) first, every one opened and fully validated
 * (header, L1, refcount table and every L2 table) before anything can be written.
 *
 * <p>A backing file name stored in an image is reported in {@link #notes()} and never opened: the
 * order comes from the caller, and the stored names must not contradict it (an incremental that
 * names a file of the chain names its predecessor). Virtual sizes may differ: the restored disk
 * has the newest image's size and bytes past an older image's end read as zeros from that image,
 * exactly as qemu reads a chain whose backing file is shorter than its overlay.
 *
 * <p>Thread-safety: a chain does not change once opened; any number of threads may use it and its
 * images at once (restores one after the other, {@link ComposedDisk} reads, extent queries).
 * {@link #close()} must come after every such use has ended: a read of a closed chain fails.
 */
public final class Chain implements Closeable {

    private final List<Qcow2Image> images;
    private final List<String> notes;

    private Chain(List<Qcow2Image> images, List<String> notes) {
        this.images = List.copyOf(images);
        this.notes = List.copyOf(notes);
    }

    /**
     * Opens and validates the local files {@code paths}, oldest first.
     *
     * @throws InvalidChainException                  no image, or one file given twice
     * @throws io.qcow2j.core.InvalidImageException   an image is not valid qcow2 (names the file)
     */
    public static Chain open(List<Path> paths, OpenOptions options) throws IOException {
        return open(paths, ChainOptions.defaults().withOpen(options));
    }

    /**
     * Opens and validates the local files {@code paths}, oldest first, and checks their order (see
     * {@link #of(List, ChainOptions)}).
     */
    public static Chain open(List<Path> paths, ChainOptions options) throws IOException {
        if (paths.isEmpty()) {
            throw new InvalidChainException(null, "a chain needs at least one image");
        }
        // one stat per image, not one per pair: a 100-link chain would otherwise cost ~20,000 stats
        Map<Object, Integer> seen = new HashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            Integer j = seen.putIfAbsent(fileIdentity(paths.get(i)), i);
            if (j != null) {
                throw twice(paths.get(i).toString(), j, i);
            }
        }
        List<ChainOpening.ImageOpener> openers = new ArrayList<>();
        for (Path p : paths) {
            openers.add(each -> ImageOpening.start(p, each));
        }
        return checked(ChainOpening.openAll(openers, options, 0, true), options);
    }

    /**
     * Opens and validates images from any byte sources (object storage, memory), oldest first,
     * exactly as {@link #open} validates local files. The chain owns the sources and closes them,
     * also when it fails to open.
     *
     * @throws InvalidChainException no image, or one source (by {@link ByteSource#name()}) given twice
     */
    public static Chain of(List<? extends ByteSource> sources, OpenOptions options) throws IOException {
        return of(sources, ChainOptions.defaults().withOpen(options));
    }

    /**
     * As {@link #of(List, OpenOptions)}, with the order check of {@code options}: when any image
     * stores a backing file name (libvirt writes one into every incremental and none into a full
     * backup), the first image must store none (unless {@link ChainOptions#allowBackingBase()}) and
     * every later one must store one; a stored name that names a file of the chain (by base name)
     * must name the image's predecessor. A chain where no image stores a name is taken as given.
     *
     * @throws InvalidChainException the order contradicts the stored backing file names, naming the
     *                               image, the stored name and the file it names
     */
    public static Chain of(List<? extends ByteSource> sources, ChainOptions options) throws IOException {
        return of(sources, options, true);
    }

    /**
     * A chain validated by composing it, and the bytes of the composed disk that are data or
     * compressed: what a restore onto a new sparse target fetches and writes.
     */
    public record Composed(Chain chain, long dataBytes) {
    }

    /**
     * As {@link #of(List, ChainOptions)}, with the L2 tables validated by composing the whole disk
     * once, window by window, instead of in a pass of their own: the composition loads every slice
     * of every allocated L2 table inside each image's disk, through the same reader and checks as
     * the pass, and counts the composed disk's data bytes on the way. When the tables do not all fit
     * the L2 budget (a long chain), the pass and a later composition read each of them twice; this
     * reads each once. The first bad table reported is the first in guest order, then chain order,
     * where the pass reports the first in chain order. The caller closes the chain.
     */
    public static Composed ofComposed(List<? extends ByteSource> sources, ChainOptions options) throws IOException {
        Chain chain = of(sources, options, false);
        try {
            ExecutorService lookups = ChainOpening.pool(chain.images.size(), chain.preferredConcurrency(),
                    options.threadFactory());
            try {
                return new Composed(chain, new Composition(chain.images, lookups).dataBytes());
            } finally {
                lookups.shutdownNow();
            }
        } catch (IOException | RuntimeException e) {
            chain.close();
            throw e;
        }
    }

    /** @param validateTables validate every L2 table in a pass of its own while opening */
    private static Chain of(List<? extends ByteSource> sources, ChainOptions options, boolean validateTables)
            throws IOException {
        try {
            if (sources.isEmpty()) {
                throw new InvalidChainException(null, "a chain needs at least one image");
            }
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < sources.size(); i++) {
                Integer j = seen.putIfAbsent(sources.get(i).name(), i);
                if (j != null) {
                    throw twice(sources.get(i).name(), j, i);
                }
            }
        } catch (IOException | RuntimeException e) {
            closeSources(sources);
            throw e;
        }
        List<ChainOpening.ImageOpener> openers = new ArrayList<>();
        for (ByteSource s : sources) {
            openers.add(each -> ImageOpening.start(s, each));
        }
        // remote images wait a round trip per read: open more of them at once than there are cores
        int ioParallelism = sources.stream().mapToInt(ByteSource::preferredConcurrency).max().orElse(0);
        return checked(ChainOpening.openAll(openers, options, ioParallelism, validateTables), options);
    }

    private static InvalidChainException twice(String name, int first, int second) {
        return new InvalidChainException(name, "appears twice in the chain (positions " + (first + 1) + " and "
                + (second + 1) + ")");
    }

    private static void closeSources(List<? extends ByteSource> sources) {
        for (ByteSource s : sources) {
            try {
                s.close();
            } catch (IOException ignored) {
                // read-only: nothing to lose
            }
        }
    }

    /** The chain of {@code opened}, once its order is consistent with their stored backing names. */
    private static Chain checked(List<Qcow2Image> opened, ChainOptions options) throws IOException {
        try {
            ChainOrder.check(opened, options.allowBackingBase());
        } catch (InvalidChainException e) {
            ChainOpening.closeAll(opened);
            throw e;
        }
        return new Chain(opened, backingNameNotes(opened));
    }

    /**
     * One note per stored backing file name: every incremental of a KubeVirt backup stores the same
     * one (the live disk's path), and a 100-link chain should not print a hundred lines saying so.
     */
    private static List<String> backingNameNotes(List<Qcow2Image> images) {
        Map<String, List<String>> byName = new LinkedHashMap<>();
        for (Qcow2Image img : images) {
            img.header().backingFile().ifPresent(b -> byName.computeIfAbsent(b, k -> new ArrayList<>()).add(img.name()));
        }
        List<String> notes = new ArrayList<>();
        // one short line: the name (escaped and cut, it is the image's text) and that it was not used
        byName.forEach((b, names) -> notes.add((names.size() == 1 ? PrintableText.escape(names.get(0)) + ": stores"
                : names.size() + " images store") + " backing file name '" + PrintableText.name(b) + "' (not opened)"));
        return notes;
    }

    /**
     * The most reads in flight any image's source asks for ({@link ByteSource#preferredConcurrency()}),
     * or 0 when all are local.
     */
    public int preferredConcurrency() {
        return images.stream().mapToInt(i -> i.source().preferredConcurrency()).max().orElse(0);
    }

    /** Whether an image looks like an incremental backup: it stores a backing file name. */
    public static boolean isIncremental(Qcow2Image image) {
        return image.header().backingFile().isPresent();
    }

    /**
     * Checks that every image's compressed clusters can be inflated in this JVM (see
     * {@link Qcow2Image#requireDecompressor()}): a restore asks before it touches a target.
     */
    public void requireDecompressors() throws Qcow2Exception {
        for (Qcow2Image img : images) {
            img.requireDecompressor();
        }
    }

    /**
     * What makes two paths the same image: the file's device and inode (links and symlinks
     * included), else, when it cannot be read (a missing file fails later with its own error), the
     * normalized absolute path.
     */
    private static Object fileIdentity(Path p) {
        try {
            Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
            if (key != null) {
                return key;
            }
        } catch (IOException e) {
            // fall through
        }
        return p.toAbsolutePath().normalize();
    }

    /** The images, oldest first. */
    public List<Qcow2Image> images() {
        return images;
    }

    public Qcow2Image newest() {
        return images.get(images.size() - 1);
    }

    /** Size of the restored disk: the newest image's virtual size. */
    public long virtualSize() {
        return newest().virtualSize();
    }

    /**
     * Heap bytes the images' metadata can take while the chain is read ({@link
     * Qcow2Image#metadataBytes()}, added up): what a restore checks against the free heap.
     */
    public long metadataBytes() {
        long n = 0;
        for (Qcow2Image img : images) {
            n += img.metadataBytes();
        }
        return n;
    }

    /** Things worth telling the user that are not errors (stored backing names). */
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() throws IOException {
        ChainOpening.closeAll(images);
    }

}

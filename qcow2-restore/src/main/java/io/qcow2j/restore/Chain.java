package io.qcow2j.restore;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.ImageOpening;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.compose.Composition;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An ordered list of images, oldest (the full backup) first, every one opened and fully validated
 * (header, L1, refcount table and every L2 table) before anything can be written.
 *
 * <p>A backing file name stored in an image is reported in {@link #notes()} and never opened: the
 * order comes only from the caller. Virtual sizes may differ: the restored disk has the newest
 * image's size and bytes past an older image's end read as zeros from that image, exactly as qemu
 * reads a chain whose backing file is shorter than its overlay.
 */
public final class Chain implements Closeable {
    /** Images opened at once, at most, however many requests a remote source would take. */
    private static final int MAX_OPEN_THREADS = 32;
    /**
     * Images that keep what was read ahead with their header (remote: 256 KiB each) until their
     * tables are read; later ones read it again then.
     */
    private static final int KEPT_READ_AHEADS = 32;

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
        return open(paths, new ChainOptions(options, false));
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
        List<ImageOpener> openers = new ArrayList<>();
        for (Path p : paths) {
            openers.add(each -> ImageOpening.start(p, each));
        }
        return openAll(openers, options, 0, true);
    }

    /**
     * Opens and validates images from any byte sources (object storage, memory), oldest first,
     * exactly as {@link #open} validates local files. The chain owns the sources and closes them,
     * also when it fails to open.
     *
     * @throws InvalidChainException no image, or one source (by {@link ByteSource#name()}) given twice
     */
    public static Chain of(List<? extends ByteSource> sources, OpenOptions options) throws IOException {
        return of(sources, new ChainOptions(options, false));
    }

    /**
     * As {@link #of(List, OpenOptions)}, with the order check of {@code options}: when any image
     * stores a backing file name (libvirt writes one into every incremental and none into a full
     * backup), the first image must store none (unless {@link ChainOptions#allowBackingBase()}) and
     * every later one must store one. A chain where no image stores a name is taken as given.
     *
     * @throws InvalidChainException the order contradicts the stored backing file names
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
            ExecutorService lookups = pool(chain.images.size(), chain.preferredConcurrency(), "qcow2j-compose");
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
        List<ImageOpener> openers = new ArrayList<>();
        for (ByteSource s : sources) {
            openers.add(each -> ImageOpening.start(s, each));
        }
        // remote images wait a round trip per read: open more of them at once than there are cores
        int ioParallelism = sources.stream().mapToInt(ByteSource::preferredConcurrency).max().orElse(0);
        return openAll(openers, options, ioParallelism, validateTables);
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

    /** Reads one image's header with the options it gets. */
    @FunctionalInterface
    private interface ImageOpener {
        ImageOpening start(OpenOptions options) throws IOException;
    }

    /** A step run on every image at once; its result is closed when another image fails. */
    @FunctionalInterface
    private interface Step<T, R extends Closeable> {
        R run(T image) throws IOException;
    }

    /**
     * Threads for work on every image at once: all cores, or for remote images (a round trip per
     * read) up to {@link #MAX_OPEN_THREADS}, never more than images.
     */
    private static ExecutorService pool(int images, int ioParallelism, String name) {
        int threads = Math.min(images, Math.max(Runtime.getRuntime().availableProcessors(),
                Math.min(MAX_OPEN_THREADS, ioParallelism)));
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Opens the images in three steps: every header (on all cores: long chains are common), then the
     * heap check of the whole chain's metadata ({@link #requireHeap}), then every image's tables,
     * validated ({@code validateTables}: every L2 table too, in a pass of its own). A chain that
     * cannot fit is thus refused before any table is held. The first bad image in chain order is
     * reported, so the error does not depend on scheduling.
     */
    private static Chain openAll(List<ImageOpener> openers, ChainOptions chainOptions, int ioParallelism,
            boolean validateTables) throws IOException {
        OpenOptions options = chainOptions.open();
        ExecutorService pool = pool(openers.size(), ioParallelism, "qcow2j-open");
        // one L2 budget for the whole chain: a composition window needs a slice or two per image (the
        // cache keeps at least one, however small its share)
        OpenOptions each = options.withL2CacheBytes(options.l2CacheBytes() / openers.size());
        List<ImageOpening> headers;
        List<Qcow2Image> opened;
        try {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < openers.size(); i++) {
                positions.add(i);
            }
            headers = inParallel(pool, positions, i -> {
                ImageOpening h = openers.get(i).start(each);
                if (i >= KEPT_READ_AHEADS) {
                    h.releaseReadAhead(); // a thousand remote images would hold 256 KiB each until opened
                }
                return h;
            });
            try {
                requireHeap(pool, headers);
                opened = inParallel(pool, headers, h -> {
                    Qcow2Image img = h.open();
                    try {
                        if (validateTables) {
                            img.validateAllTables();
                        }
                        return img;
                    } catch (IOException | RuntimeException e) {
                        img.close();
                        throw e;
                    }
                });
            } catch (IOException | RuntimeException | Error e) {
                closeAll(headers); // those not opened yet; an opened image's source is the image's
                throw e;
            }
        } finally {
            pool.shutdown();
        }
        try {
            checkOrder(opened, chainOptions.allowBackingBase());
        } catch (InvalidChainException e) {
            closeAll(opened);
            throw e;
        }
        return new Chain(opened, backingNameNotes(opened));
    }

    /**
     * Refuses a chain whose metadata cannot fit in the free heap, before any table is read: the
     * bounds from the headers when they fit (the common case, no read), else the heap counted from
     * the tables' entries, read a chunk at a time and not kept (a nearly empty 2 PiB disk has a
     * 32 MiB L1 table of which a few pages are kept).
     */
    private static void requireHeap(ExecutorService pool, List<ImageOpening> headers) throws IOException {
        long[] bytes = new long[headers.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = headers.get(i).metadataBound();
        }
        long need = FreeHeap.RESERVE + Arrays.stream(bytes).sum();
        if (need <= FreeHeap.free(need)) {
            return;
        }
        List<Count> counted = inParallel(pool, headers, h -> new Count(h.countMetadataBytes()));
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = counted.get(i).bytes();
        }
        need = FreeHeap.RESERVE + Arrays.stream(bytes).sum();
        long free = FreeHeap.free(need);
        if (need > free) {
            int largest = 0;
            for (int i = 1; i < bytes.length; i++) {
                largest = bytes[i] > bytes[largest] ? i : largest;
            }
            throw new InsufficientMemoryException(headers.get(largest).name(), "not enough heap for the chain's"
                    + " metadata: its " + bytes.length + " images need up to " + FreeHeap.mib(need) + " (L1 tables,"
                    + " refcount blocks, L2 caches, and the run's own objects; this image " + FreeHeap.mib(
                    bytes[largest]) + ", the most), " + FreeHeap.mib(free) + " of the heap is free (maximum "
                    + FreeHeap.mib(FreeHeap.max()) + "); nothing loaded or written; raise -Xmx or the"
                    + " container's memory limit");
        }
    }

    /** A counted size, closeable so that it can be a {@link Step}'s result. */
    private record Count(long bytes) implements Closeable {
        @Override
        public void close() {
        }
    }

    /**
     * Runs {@code step} on every item at once and returns the results in order. When one fails, the
     * others' results are closed and the first failure in order is thrown; an interrupt stops the
     * rest and is reported as such.
     */
    private static <T, R extends Closeable> List<R> inParallel(ExecutorService pool, List<T> items, Step<T, R> step)
            throws IOException {
        List<Future<R>> futures = new ArrayList<>();
        for (T item : items) {
            futures.add(pool.submit(() -> step.run(item)));
        }
        List<R> done = new ArrayList<>();
        Throwable first = null;
        boolean interrupted = false;
        for (Future<R> f : futures) {
            while (true) {
                try {
                    done.add(f.get());
                } catch (ExecutionException e) {
                    first = first == null ? e.getCause() : first;
                } catch (java.util.concurrent.CancellationException e) {
                    // never started, after an interrupt: nothing to close
                } catch (InterruptedException e) {
                    // stop the other tasks, then keep collecting so that every result is closed:
                    // returning now would leak their files
                    if (!interrupted) {
                        interrupted = true;
                        for (Runnable queued : pool.shutdownNow()) {
                            ((Future<?>) queued).cancel(false);
                        }
                    }
                    continue;
                }
                break;
            }
        }
        // Future.get does not look at the interrupt status of a task that is already done
        if (interrupted || Thread.currentThread().isInterrupted()) {
            Thread.currentThread().interrupt();
            first = new InterruptedIOException("interrupted while opening the chain");
        }
        if (first == null) {
            return done;
        }
        closeAll(done);
        if (first instanceof IOException io) {
            throw io;
        }
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first instanceof Error err) {
            throw err; // an OutOfMemoryError is not an I/O error: the caller reports it as what it is
        }
        throw new IOException(first);
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
     * The evidence of order that real backups carry: a full backup stores no backing file name, an
     * incremental stores one. Any image storing one makes the rule apply to the whole chain.
     */
    private static void checkOrder(List<Qcow2Image> images, boolean allowBackingBase) throws InvalidChainException {
        if (images.stream().noneMatch(Chain::isIncremental)) {
            return;
        }
        Qcow2Image first = images.get(0);
        if (isIncremental(first) && !allowBackingBase) {
            throw new InvalidChainException(first.name(), "the full backup must come first: this image names a"
                    + " backing file ('" + PrintableText.name(first.header().backingFile().get()) + "'), it is an incremental"
                    + " (--allow-backing-base restores a deliberate partial chain)");
        }
        for (int i = 1; i < images.size(); i++) {
            Qcow2Image img = images.get(i);
            if (!isIncremental(img)) {
                throw new InvalidChainException(img.name(), "stores no backing file: a full backup in the middle of"
                        + " a chain (position " + (i + 1) + ") would let older data show through its unallocated"
                        + " clusters");
            }
        }
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
        closeAll(images);
    }

    private static void closeAll(List<? extends Closeable> images) {
        for (Closeable img : images) {
            try {
                img.close();
            } catch (IOException ignored) {
                // closing a read-only file cannot lose data
            }
        }
    }
}

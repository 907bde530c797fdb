package io.qcow2j.restore;

import io.qcow2j.restore.internal.FreeHeap;
import io.qcow2j.core.ImageOpening;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.internal.ParallelIo;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * How {@link Chain} opens its images: every header first, then the heap check of the whole chain's
 * metadata, then every image's tables, all on a pool sized for local or remote sources.
 */
final class ChainOpening {
    private ChainOpening() {
    }

    /** Images opened at once, at most, however many requests a remote source would take. */
    private static final int MAX_OPEN_THREADS = 32;
    /**
     * Images that keep what was read ahead with their header (remote: 256 KiB each) until their
     * tables are read; later ones read it again then.
     */
    private static final int KEPT_READ_AHEADS = 32;

    /** Reads one image's header with the options it gets. */
    @FunctionalInterface
    interface ImageOpener {
        ImageOpening start(OpenOptions options) throws IOException;
    }

    /**
     * Threads for work on every image at once: all cores, or for remote images (a round trip per
     * read) up to {@link #MAX_OPEN_THREADS}, never more than images; made by {@code threads}.
     */
    static ExecutorService pool(int images, int ioParallelism, ThreadFactory threads) {
        return ParallelIo.pool(Math.min(images, Math.max(Runtime.getRuntime().availableProcessors(),
                Math.min(MAX_OPEN_THREADS, ioParallelism))), threads);
    }

    /**
     * Opens the images in three steps: every header (on all cores: long chains are common), then the
     * heap check of the whole chain's metadata ({@link #requireHeap}), then every image's tables,
     * validated ({@code validateTables}: every L2 table too, in a pass of its own). A chain that
     * cannot fit is thus refused before any table is held. The first bad image in chain order is
     * reported, so the error does not depend on scheduling.
     */
    static List<Qcow2Image> openAll(List<ImageOpener> openers, ChainOptions chainOptions, int ioParallelism,
            boolean validateTables) throws IOException {
        OpenOptions options = chainOptions.open();
        ExecutorService pool = pool(openers.size(), ioParallelism, chainOptions.threadFactory());
        // remote images: their L2 tables fetched all at once, on threads of their own (an opening
        // thread waits for its image's), as many as the sources take requests in flight
        ExecutorService tableReads = validateTables && ioParallelism > 0
                ? pool(Integer.MAX_VALUE, ioParallelism, chainOptions.threadFactory()) : null;
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
                            img.validateAllTables(tableReads);
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
            if (tableReads != null) {
                tableReads.shutdownNow(); // what is left was cancelled: an image failed
            }
        }
        return opened;
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
        List<Long> counted = ParallelIo.all(pool, headers, h -> h.countMetadataBytes(), c -> { },
                ParallelIo.OnInterrupt.INTERRUPT, "counting the chain's metadata");
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = counted.get(i);
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

    /** Runs {@code step} on every image at once ({@link ParallelIo#all}); results are closed on failure. */
    private static <T, R extends Closeable> List<R> inParallel(ExecutorService pool, List<T> items,
            ParallelIo.Task<T, R> step) throws IOException {
        return ParallelIo.all(pool, items, step, Closeable::close, ParallelIo.OnInterrupt.INTERRUPT,
                "opening the chain");
    }

    /** Closes each, quietly: read-only sources, nothing to lose. */
    static void closeAll(List<? extends Closeable> images) {
        for (Closeable img : images) {
            try {
                img.close();
            } catch (IOException ignored) {
                // closing a read-only file cannot lose data
            }
        }
    }
}

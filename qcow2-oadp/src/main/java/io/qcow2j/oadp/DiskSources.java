package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.core.SourceAccessException;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.internal.ParallelIo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;

/** Opening a disk's images from its backup location, and saying which checkpoint a problem is in. */
final class DiskSources {
    /** Opens at once: an object store answers each open (a HEAD) after a round trip. */
    private static final int PARALLEL_OPENS = 8;

    private DiskSources() {
    }

    /** The opened images of one disk, oldest first, and their total size. */
    record Opened(List<ByteSource> sources, long bytes) {
    }

    /**
     * Opens every image of {@code disk} on threads of {@code threads}, checking each exists and has
     * the size the index records. On failure every source opened is closed again.
     */
    static Opened open(BackupLocation location, DiskPlan disk, ThreadFactory threads) throws IOException {
        List<DiskImage> images = disk.images();
        ExecutorService pool = ParallelIo.pool(Math.min(images.size(), PARALLEL_OPENS), threads);
        List<ByteSource> sources;
        try {
            // the first failure in chain order, whatever the timing
            sources = ParallelIo.all(pool, images, img -> openOne(location, disk, img), ByteSource::close,
                    ParallelIo.OnInterrupt.INTERRUPT, "opening the images of " + disk.label());
        } finally {
            pool.shutdown();
        }
        long bytes = 0;
        try {
            for (ByteSource s : sources) {
                bytes += s.size();
            }
        } catch (IOException | RuntimeException e) {
            close(sources);
            throw e;
        }
        return new Opened(sources, bytes);
    }

    private static ByteSource openOne(BackupLocation location, DiskPlan disk, DiskImage img) throws IOException {
        String name = location.nameOf(img.key());
        String where = "checkpoint " + img.checkpointId();
        Optional<ByteSource> opened;
        try {
            opened = location.open(img.key());
        } catch (InvalidBackupLayoutException e) {
            throw e;
        } catch (Qcow2Exception e) {
            throw inContext(location, disk, e);
        }
        ByteSource source = opened.orElseThrow(() -> new InvalidBackupLayoutException(name, where,
                "image " + img.file() + " of " + disk.label() + " not found"));
        try {
            long size = source.size();
            if (img.declaredSize() >= 0 && size != img.declaredSize()) {
                throw new InvalidBackupLayoutException(name, where, "object size mismatch: the image of "
                        + disk.label() + " is " + size + " bytes, the index records size " + img.declaredSize()
                        + " (an incomplete upload, or the object was replaced)");
            }
            return source;
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /**
     * The controller's downloader refuses a full image that stores a backing file name and an
     * incremental that stores none (libvirt writes one into every incremental): the order check
     * that keeps a misfiled full backup from hiding newer data. Names are reported, never opened.
     */
    static void checkBackingNames(BackupLocation location, DiskPlan disk, Chain chain)
            throws InvalidBackupLayoutException {
        List<Qcow2Image> images = chain.images();
        for (int i = 0; i < images.size(); i++) {
            Qcow2Image img = images.get(i);
            String where = "checkpoint " + disk.images().get(i).checkpointId();
            Optional<String> backing = img.header().backingFile();
            if (i == 0 && backing.isPresent()) {
                throw new InvalidBackupLayoutException(img.name(), where, "the full backup of " + disk.label()
                        + " unexpectedly stores a backing file name '" + PrintableText.name(backing.get())
                        + "'; refusing to restore");
            }
            if (i > 0 && backing.isEmpty()) {
                throw new InvalidBackupLayoutException(img.name(), where, "the incremental of " + disk.label()
                        + " unexpectedly stores no backing file name (libvirt writes one into every incremental);"
                        + " refusing to restore");
            }
        }
    }

    /** The same problem, with the checkpoint and disk of the offending object in front. */
    static Qcow2Exception inContext(BackupLocation location, DiskPlan d, Qcow2Exception e) {
        String where = d.label();
        for (DiskImage img : d.images()) {
            if (location.nameOf(img.key()).equals(e.resource())) {
                where = "checkpoint " + img.checkpointId() + ", " + where;
            }
        }
        String detail = e.resource() != null && e.getMessage().startsWith(e.resource() + ": ")
                ? e.getMessage().substring(e.resource().length() + 2) : e.getMessage();
        if (e instanceof SourceAccessException) {
            // the backup could not be read, which is not the same as a bad backup: keep the kind
            return new SourceAccessException(e.resource(), null, -1, where + ": " + detail, e);
        }
        return new InvalidBackupLayoutException(e.resource(), null, where + ": " + detail, e);
    }

    private static void close(List<ByteSource> sources) {
        for (ByteSource s : sources) {
            try {
                s.close();
            } catch (IOException ignored) {
                // read-only: nothing to lose
            }
        }
    }
}

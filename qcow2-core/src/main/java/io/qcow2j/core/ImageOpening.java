package io.qcow2j.core;

import io.qcow2j.core.internal.format.ClusterMap;
import io.qcow2j.core.internal.format.HeaderParser;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An image whose header is read and checked and whose tables are not yet: the heap its metadata
 * will take is known (bounded from the header, or counted without keeping anything) before any
 * table is held, so a chain can refuse images that cannot fit together before loading one of them.
 * Owns its source until {@link #open()} hands it to the image or {@link #close()} closes it.
 */
public final class ImageOpening implements Closeable {
    private final ByteSource source;
    private final OpenOptions options;
    private final Header header;
    private final long fileSize;
    /** What the header came through (a read-ahead for a remote source), or null once released. */
    private ByteSource opening;
    /** Whether the source is still this object's: {@link #open()} hands it on (or closes it). */
    private boolean owned = true;

    private ImageOpening(ByteSource source, OpenOptions options, ByteSource opening, Header header, long fileSize) {
        this.source = source;
        this.options = options;
        this.opening = opening;
        this.header = header;
        this.fileSize = fileSize;
    }

    /** Reads and checks the header of the local file {@code path}. */
    public static ImageOpening start(Path path, OpenOptions options) throws IOException {
        return start(FileByteSource.open(path), options);
    }

    /**
     * Reads and checks the header from {@code source}, which it owns from now on (and closes when
     * the header is refused).
     *
     * @throws InvalidImageException when the header is invalid
     */
    public static ImageOpening start(ByteSource source, OpenOptions options) throws IOException {
        try {
            ByteSource opening = ClusterMap.opening(source, options.openingReadAheadBytes());
            Header h = HeaderParser.read(opening, options);
            return new ImageOpening(source, options, opening, h, source.size());
        } catch (IOException | RuntimeException e) {
            closeQuietly(source, e);
            throw e;
        }
    }

    /** The file (or object) name, for messages. */
    public String name() {
        return source.name();
    }

    /** The header, as read and checked. */
    public Header header() {
        return header;
    }

    /**
     * The most heap the image's metadata can take once open ({@link Qcow2Image#metadataBytes()} at
     * its largest), from the header and the file size alone: no read.
     */
    public long metadataBound() {
        return ClusterMap.metadataBound(source, header, fileSize, options.l2CacheBytes());
    }

    /**
     * {@link Qcow2Image#metadataBytes()} of the image once open, counted by reading its L1 and
     * refcount tables a chunk at a time without keeping them: tighter than {@link #metadataBound()}
     * for a large, mostly empty L1 table, at the cost of reading it.
     */
    public long countMetadataBytes() throws IOException {
        return ClusterMap.countMetadataBytes(source, header, fileSize, options.l2CacheBytes());
    }

    /**
     * Drops what was read ahead with the header (remote sources: the object's first clusters), so
     * that many waiting images do not hold it; {@link #open()} then reads them again.
     */
    public void releaseReadAhead() {
        opening = null;
    }

    /**
     * Reads and checks the refcount and L1 tables and returns the image, which owns the source
     * from now on (the source is closed when a table is refused).
     *
     * @throws InvalidImageException when the L1 table or refcount table is invalid
     */
    public Qcow2Image open() throws IOException {
        owned = false;
        try {
            ByteSource via = opening != null ? opening : ClusterMap.opening(source, options.openingReadAheadBytes());
            opening = null;
            ClusterMap map = ClusterMap.read(via, source, header, fileSize, options.l2CacheBytes());
            return new Qcow2Image(source, header, fileSize, map);
        } catch (IOException | RuntimeException e) {
            closeQuietly(source, e);
            throw e;
        }
    }

    /** Closes the source unless {@link #open()} took it: for an image that will not be opened. */
    @Override
    public void close() throws IOException {
        if (owned) {
            owned = false;
            source.close();
        }
    }

    private static void closeQuietly(ByteSource source, Exception e) {
        try {
            source.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
    }
}

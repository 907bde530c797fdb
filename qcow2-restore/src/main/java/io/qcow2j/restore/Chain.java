package io.qcow2j.restore;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Image;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
    private final List<Qcow2Image> images;
    private final List<String> notes;

    private Chain(List<Qcow2Image> images, List<String> notes) {
        this.images = List.copyOf(images);
        this.notes = List.copyOf(notes);
    }

    /** Opens and validates {@code paths}, oldest first. */
    public static Chain open(List<Path> paths, OpenOptions options) throws IOException {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one image");
        }
        List<Qcow2Image> opened = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try {
            for (int i = 0; i < paths.size(); i++) {
                Path p = paths.get(i);
                for (int j = 0; j < i; j++) {
                    if (sameFile(paths.get(j), p)) {
                        throw new InvalidChainException(p.toString(), "appears twice in the chain (positions "
                                + (j + 1) + " and " + (i + 1) + ")");
                    }
                }
                Qcow2Image img = Qcow2Image.open(p, options);
                opened.add(img);
                img.validateAllTables();
                img.header().backingFile().ifPresent(b -> notes.add(p + ": stores backing file name '" + b
                        + "' (ignored: the chain order comes from the caller)"));
            }
            return new Chain(opened, notes);
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /** Wraps already opened images (the chain takes ownership). */
    public static Chain of(List<Qcow2Image> images) {
        return new Chain(images, List.of());
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
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

    /** Things worth telling the user that are not errors (stored backing names). */
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() throws IOException {
        closeAll(images);
    }

    private static void closeAll(List<Qcow2Image> images) {
        for (Qcow2Image img : images) {
            try {
                img.close();
            } catch (IOException ignored) {
                // closing a read-only file cannot lose data
            }
        }
    }
}

package io.qcow2j.restore;

import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Image;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The evidence of order a chain's images carry, checked before anything is written.
 *
 * <p>Presence: a full backup stores no backing file name, an incremental stores one; once any
 * image stores one, the first must not (unless a partial chain is allowed) and every later one
 * must.
 *
 * <p>Names: an image built as an overlay ({@code qemu-img create -b inc1.qcow2 …}) stores its
 * parent's file name. Where a stored name names a file of the chain (by base name, since the files
 * may have moved together), it must name the image's predecessor; where it names no file of the
 * chain but the chain's other names do, or a file of that name lies beside a local image, a link
 * is missing. libvirt's incrementals all store the live disk's in-pod path, which names no file
 * here: a chain whose incrementals all store one and the same name carries no order evidence and
 * is taken as given. Names are compared, never opened.
 */
final class ChainOrder {
    private ChainOrder() {
    }

    /** @throws InvalidChainException naming the image, the stored name and the file it contradicts */
    static void check(List<Qcow2Image> images, boolean allowBackingBase) throws InvalidChainException {
        if (images.stream().noneMatch(Chain::isIncremental)) {
            return;
        }
        checkPresence(images, allowBackingBase);
        checkNames(images);
    }

    private static void checkPresence(List<Qcow2Image> images, boolean allowBackingBase)
            throws InvalidChainException {
        Qcow2Image first = images.get(0);
        if (Chain.isIncremental(first) && !allowBackingBase) {
            throw new InvalidChainException(first.name(), "the full backup must come first: this image names a"
                    + " backing file ('" + PrintableText.name(first.header().backingFile().get()) + "'), it is an incremental"
                    + " (--allow-backing-base restores a deliberate partial chain)");
        }
        for (int i = 1; i < images.size(); i++) {
            Qcow2Image img = images.get(i);
            if (!Chain.isIncremental(img)) {
                throw new InvalidChainException(img.name(), "stores no backing file: a full backup in the middle of"
                        + " a chain (position " + (i + 1) + ") would let older data show through its unallocated"
                        + " clusters");
            }
        }
    }

    private static void checkNames(List<Qcow2Image> images) throws InvalidChainException {
        List<String> stored = new ArrayList<>();
        for (Qcow2Image img : images) {
            stored.add(img.header().backingFile().orElse(null));
        }
        List<String> incrementals = stored.subList(1, stored.size());
        if (incrementals.size() >= 2 && incrementals.stream().distinct().count() == 1) {
            return; // libvirt: every incremental names the live disk, which is the parent of none of them
        }
        Map<String, Integer> byBaseName = new HashMap<>();
        for (int i = images.size() - 1; i >= 0; i--) {
            byBaseName.put(baseName(images.get(i).name()), i); // the earliest, for a name two images share
        }
        boolean namesFiles = false;
        for (int i = 0; i < images.size(); i++) {
            String name = stored.get(i);
            if (name == null) {
                continue;
            }
            Integer named = byBaseName.get(baseName(name));
            boolean predecessor = i > 0 && baseName(images.get(i - 1).name()).equals(baseName(name));
            if (predecessor || named != null && named != i) {
                namesFiles = true;
            }
            if (!predecessor && named != null && named != i) {
                throw outOfOrder(images, i, name, images.get(named).name() + " (position " + (named + 1) + ")");
            }
        }
        for (int i = 1; i < images.size(); i++) {
            String name = stored.get(i);
            if (baseName(images.get(i - 1).name()).equals(baseName(name))) {
                continue;
            }
            Optional<Path> beside = besideImage(images.get(i), name);
            if (namesFiles || beside.isPresent()) {
                throw outOfOrder(images, i, name, beside.map(p -> p + ", a file the chain does not include")
                        .orElse("no image of the chain (its other images name their predecessors)"));
            }
        }
    }

    private static InvalidChainException outOfOrder(List<Qcow2Image> images, int i, String stored, String names) {
        String expected = i == 0 ? "the first image of a partial chain names a file that comes after it"
                : "not its predecessor " + images.get(i - 1).name() + " (position " + i + ")";
        return new InvalidChainException(images.get(i).name(), "stores backing file name '"
                + PrintableText.name(stored) + "', which names " + names + ", " + expected
                + ": the chain is out of order or misses a link; give the images oldest first, each after the one"
                + " it names");
    }

    /**
     * The file a relative stored name would name beside a local image (where qemu looks for it),
     * when one is there. An absolute name (libvirt's in-pod path) is not looked up: it may exist
     * here by chance, and it is not a file of the backup.
     */
    private static Optional<Path> besideImage(Qcow2Image image, String stored) {
        if (!(image.source() instanceof FileByteSource f) || stored.startsWith("/") || stored.contains(":")) {
            return Optional.empty();
        }
        try {
            Path dir = f.path().toAbsolutePath().getParent();
            Path p = dir == null ? null : dir.resolve(stored).normalize();
            return p != null && Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** The last path component: files named by a backup may have moved together. */
    private static String baseName(String name) {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? name : name.substring(slash + 1);
    }
}

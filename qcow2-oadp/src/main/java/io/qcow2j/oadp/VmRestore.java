package io.qcow2j.oadp;

import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ProgressListener;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.RestorePlan;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.compose.Composition;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.TargetKind;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Restores every disk of a VM from a {@link VmPlan}. Every chain is opened and fully validated,
 * every virtual size is checked against its PVC size and its target, and only then is the first
 * target touched.
 *
 * <p>Disks are restored one after the other: each restore already keeps every core busy with its
 * workers, so running disks concurrently would only split the same cores and the same buffer
 * budget between them.
 *
 * <p>{@link #cancel()} may be called from any thread: it ends the disk being restored with a
 * {@link io.qcow2j.restore.RestoreCancelledException} and starts no other; a disk not yet started
 * is left untouched.
 */
public final class VmRestore implements Closeable {

    /**
     * One validated disk.
     *
     * @param plan         the disk's plan
     * @param chain        its open, validated chain
     * @param restore      how its restore will run (target, workers, native capabilities)
     * @param writesZeros  whether the restore writes the zero ranges too (a target that may not read
     *                     as zeros), not only the data
     * @param imageBytes   the images' total size: what copying them whole would read
     */
    public record PreparedDisk(DiskPlan plan, Chain chain, RestorePlan restore, boolean writesZeros,
                               long imageBytes) {
        /** The restored disk's size. */
        public long virtualSize() {
            return chain.virtualSize();
        }

        /**
         * Bytes the restore will write: the disk, or only its data on a target that reads as zeros.
         * The latter composes the whole chain once, which re-reads L2 tables the cache could not keep
         * (a round trip each from object storage): ask for a plan, not before every restore.
         */
        public long bytesToWrite() throws IOException {
            return writesZeros ? chain.virtualSize() : new Composition(chain.images()).dataBytes();
        }
    }

    /**
     * Outcome of one disk.
     *
     * @param pvc    the PVC name
     * @param result what its restore did
     */
    public record DiskResult(String pvc, RestoreResult result) {
    }

    private final VmPlan plan;
    private final List<PreparedDisk> disks;
    /** The options {@link #prepare} validated the disks with: what {@link #run()} restores with. */
    private final RestoreOptions options;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    /** The disk's restore running now, or null: what {@link #cancel()} stops. */
    private volatile Restore current;

    private VmRestore(VmPlan plan, List<PreparedDisk> disks, RestoreOptions options) {
        this.plan = plan;
        this.disks = List.copyOf(disks);
        this.options = options;
    }

    /**
     * Opens and validates every disk of {@code plan}: every image there (its object's size the one
     * the index records, when it records one), valid and decompressible here; in the controller's
     * layout the full image stores no backing file name and every incremental stores one, as its
     * downloader requires; the newest virtual size within the PVC size; targets able to hold the
     * disk. Nothing is written.
     *
     * @param options {@link RestoreOptions#targetIsZero()} affects {@link PreparedDisk#bytesToWrite()}
     * @throws InvalidBackupLayoutException an image is missing, has the wrong size, or is not a valid
     *                                      link of its chain; names the object, checkpoint and disk
     * @throws io.qcow2j.core.SourceAccessException an image cannot be read (names it and its checkpoint)
     */
    public static VmRestore prepare(VmPlan plan, RestoreOptions options) throws IOException {
        List<PreparedDisk> prepared = new ArrayList<>();
        try {
            for (DiskPlan d : plan.disks()) {
                DiskChains.Validated v = DiskChains.open(plan, d, options.chainOptions());
                Chain chain = v.chain();
                long imageBytes = v.imageBytes();
                prepared.add(new PreparedDisk(d, chain, null, false, imageBytes)); // closed with the others on failure
                RestorePlan r;
                try {
                    r = Restore.of(chain, d.target(), options).prepare();
                } catch (InvalidTargetException e) {
                    throw new InvalidTargetException(e.resource(), d.label() + ": " + e.reason(), e);
                }
                boolean writesZeros = r.targetKind() != TargetKind.NEW_FILE && !options.targetIsZero();
                prepared.set(prepared.size() - 1, new PreparedDisk(d, chain, r, writesZeros, imageBytes));
            }
            return new VmRestore(plan, prepared, options);
        } catch (IOException | RuntimeException e) {
            for (PreparedDisk p : prepared) {
                p.chain().close();
            }
            throw e;
        }
    }

    /** The plan this restore carries out. */
    public VmPlan plan() {
        return plan;
    }

    /** The validated disks, in plan order. */
    public List<PreparedDisk> disks() {
        return disks;
    }

    /** Sum of the disks' virtual sizes. */
    public long totalSize() {
        return disks.stream().mapToLong(PreparedDisk::virtualSize).sum();
    }

    /** Restores the disks with the options they were prepared with: see {@link #run(RestoreOptions)}. */
    public List<DiskResult> run() throws IOException {
        return run(options, Map.of());
    }

    /**
     * Restores the disks in plan order. Progress covers all disks: {@code done} and {@code total}
     * add up over the VM. A failure stops at the failing disk; earlier disks are complete.
     */
    public List<DiskResult> run(RestoreOptions options) throws IOException {
        return run(options, Map.of());
    }

    /**
     * As {@link #run(RestoreOptions)}, each disk whose PVC (or disk name) is a key of
     * {@code expectedDigests} held to that digest ({@link RestoreOptions#expectedDigest()}).
     */
    public List<DiskResult> run(RestoreOptions options, Map<String, String> expectedDigests) throws IOException {
        long total = totalSize();
        List<DiskResult> results = new ArrayList<>();
        long before = 0;
        ProgressListener vmProgress = options.progress();
        for (PreparedDisk d : disks) {
            long base = before;
            RestoreOptions o = vmProgress == ProgressListener.NONE ? options : options.toBuilder()
                    .progress((done, t) -> vmProgress.progress(base + done, total)).build();
            String expected = expectedDigests.getOrDefault(d.plan().pvc(), expectedDigests.get(d.plan().diskName()));
            if (expected != null) {
                o = o.toBuilder().expectedDigest(expected).build();
            }
            Restore restore = Restore.of(d.chain(), d.plan().target(), o);
            current = restore;
            if (cancelled.get()) {
                restore.cancel(); // before it runs: it then ends at once, its target untouched
            }
            try {
                RestoreResult r = restore.run();
                results.add(new DiskResult(d.plan().pvc(), r));
            } catch (RestoreIncompleteException e) {
                throw e.withContext(d.plan().label() + (results.isEmpty() ? ""
                        : " (" + results.size() + " earlier disk(s) restored completely)"));
            }
            before += d.virtualSize();
        }
        current = null;
        return results;
    }

    /**
     * Asks a running {@link #run} to stop: the disk being restored ends as {@link Restore#cancel()}
     * ends it, later disks are not started (their targets untouched), and {@code run} throws
     * {@link io.qcow2j.restore.RestoreCancelledException}. A cancel before {@code run} makes it
     * end at its first disk without touching it.
     */
    public void cancel() {
        cancelled.set(true);
        Restore r = current;
        if (r != null) {
            r.cancel();
        }
    }

    @Override
    public void close() throws IOException {
        for (PreparedDisk d : disks) {
            d.chain().close();
        }
    }
}

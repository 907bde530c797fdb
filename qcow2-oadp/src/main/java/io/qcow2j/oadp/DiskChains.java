package io.qcow2j.oadp;

import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import java.io.IOException;
import java.util.List;

/**
 * Opening one disk's chain from its backup location and proving it restorable, as a restore does
 * before it touches a target: every object there with the size the index records, every image
 * valid qcow2 down to its last L2 table and decompressible here, in the controller's layout the
 * full image storing no backing file name and every incremental one, the newest virtual size
 * within the PVC size. {@link VmRestore} and {@link BackupVerifier} share it, so a backup the
 * verifier passes is one the restore accepts.
 */
final class DiskChains {
    private DiskChains() {
    }

    /**
     * A validated chain, which the caller closes, its images' total size, and the bytes a restore
     * onto a new sparse target writes (-1 when not counted).
     */
    record Validated(Chain chain, long imageBytes, long dataBytes) {
    }

    /**
     * @throws InvalidBackupLayoutException an image is missing, has the wrong size, or is not a valid
     *                                      link of its chain; names the object, checkpoint and disk
     * @throws io.qcow2j.core.SourceAccessException an image cannot be read (names it and its checkpoint)
     */
    static Validated open(VmPlan plan, DiskPlan d, ChainOptions options) throws IOException {
        return open(plan, d, options, false);
    }

    /**
     * As {@link #open(VmPlan, DiskPlan, ChainOptions)}, also counting the data bytes: the L2 tables
     * are then validated by the composition that counts them ({@link Chain#ofComposed}), so each is
     * read once however many the L2 budget holds.
     */
    static Validated openCounting(VmPlan plan, DiskPlan d, ChainOptions options) throws IOException {
        return open(plan, d, options, true);
    }

    private static Validated open(VmPlan plan, DiskPlan d, ChainOptions options, boolean count) throws IOException {
        DiskSources.Opened opened = DiskSources.open(plan.location(), d, options.threadFactory());
        Chain chain;
        long dataBytes = -1;
        try {
            // owns the sources from here
            if (count) {
                Chain.Composed c = Chain.ofComposed(opened.sources(), options);
                chain = c.chain();
                dataBytes = c.dataBytes();
            } else {
                chain = Chain.of(opened.sources(), options);
            }
        } catch (InvalidBackupLayoutException e) {
            throw e;
        } catch (Qcow2Exception e) {
            throw DiskSources.inContext(plan.location(), d, e);
        }
        try {
            try {
                chain.requireDecompressors();
                if (plan.layout() == OadpLayout.Kind.CONTROLLER) {
                    DiskSources.checkBackingNames(plan.location(), d, chain);
                }
            } catch (InvalidBackupLayoutException e) {
                throw e;
            } catch (Qcow2Exception e) {
                throw DiskSources.inContext(plan.location(), d, e);
            }
            long size = chain.virtualSize();
            if (d.pvcSizeBytes() >= 0 && size > d.pvcSizeBytes()) {
                throw new InvalidBackupLayoutException(chain.newest().name(), null, d.label()
                        + ": disk of checkpoint " + last(d.checkpointIds()) + " has virtual size " + size
                        + " bytes, larger than the PVC size " + d.pvcSizeBytes() + " bytes in the index");
            }
            return new Validated(chain, opened.bytes(), dataBytes);
        } catch (IOException | RuntimeException e) {
            chain.close();
            throw e;
        }
    }

    private static String last(List<String> ids) {
        return ids.get(ids.size() - 1);
    }
}

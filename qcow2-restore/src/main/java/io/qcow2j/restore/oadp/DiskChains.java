package io.qcow2j.restore.oadp;

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

    /** A validated chain, which the caller closes, and its images' total size. */
    record Validated(Chain chain, long imageBytes) {
    }

    /**
     * @throws InvalidBackupLayoutException an image is missing, has the wrong size, or is not a valid
     *                                      link of its chain; names the object, checkpoint and disk
     * @throws io.qcow2j.core.SourceAccessException an image cannot be read (names it and its checkpoint)
     */
    static Validated open(VmPlan plan, DiskPlan d, ChainOptions options) throws IOException {
        DiskSources.Opened opened = DiskSources.open(plan.location(), d);
        Chain chain;
        try {
            chain = Chain.of(opened.sources(), options); // owns the sources from here
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
            return new Validated(chain, opened.bytes());
        } catch (IOException | RuntimeException e) {
            chain.close();
            throw e;
        }
    }

    private static String last(List<String> ids) {
        return ids.get(ids.size() - 1);
    }
}

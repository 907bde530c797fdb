package io.qcow2j.oadp;

import io.qcow2j.oadp.internal.KubeQuantity;
import io.qcow2j.core.internal.PrintableText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The disks of a chain in the design document's layout: in every checkpoint, {@code files},
 * {@code pvcs} and {@code pvcSizes} have one entry per PVC, paired by position ({@code files[i]} is
 * the image of {@code pvcs[i]}, whatever the PVC order), no PVC or file appears twice, file names
 * are plain names inside the checkpoint's directory, every size is a valid quantity, and every
 * checkpoint has exactly the PVCs of the full checkpoint.
 */
final class DesignDocumentDisks {
    private DesignDocumentDisks() {
    }

    /** One plan per PVC, in the full checkpoint's order, with placeholder targets. */
    static List<DiskPlan> all(VmRestorePlanner.Planning p, List<Checkpoint> chain) throws InvalidBackupLayoutException {
        for (Checkpoint c : chain) {
            checkShape(p, c);
        }
        List<String> pvcs = checkSamePvcs(p, chain);
        List<DiskPlan> disks = new ArrayList<>(pvcs.size());
        Checkpoint newest = chain.get(chain.size() - 1);
        for (String pvc : pvcs) {
            List<DiskImage> images = new ArrayList<>(chain.size());
            for (Checkpoint c : chain) {
                CheckpointFile f = c.files().get(c.pvcs().indexOf(pvc));
                images.add(new DiskImage(c.id(), OadpLayout.checkpointKey(p.namespace, p.vm, c.id(), f.filename()),
                        f.filename(), f.size()));
            }
            long size = KubeQuantity.parseBytes(newest.pvcSizes().get(newest.pvcs().indexOf(pvc))); // checked
            disks.add(new DiskPlan(pvc, null, size, images, PlanTargets.UNASSIGNED));
        }
        return disks;
    }

    private static void checkShape(VmRestorePlanner.Planning p, Checkpoint c) throws InvalidBackupLayoutException {
        String where = "checkpoint " + c.id();
        int n = c.pvcs().size();
        if (c.files().size() != n || c.pvcSizes().size() != n) {
            throw p.indexError(where, "files has " + c.files().size() + " entries, pvcs " + n + ", pvcSizes "
                    + c.pvcSizes().size() + "; they must pair up by position (files[i] is the image of pvcs[i])");
        }
        if (n == 0) {
            throw p.indexError(where, "lists no PVCs");
        }
        Map<String, String> pvcOfFile = new HashMap<>();
        Set<String> seenPvcs = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            String pvc = c.pvcs().get(i);
            String file = c.files().get(i).filename();
            if (!seenPvcs.add(pvc)) {
                throw p.indexError(where, "PVC " + pvc + " is listed twice");
            }
            if (!OadpLayout.isPlainComponent(file)) {
                throw p.indexError(where, "file \"" + PrintableText.name(file) + "\" of PVC " + pvc
                        + " is not a plain file name inside the checkpoint directory (no /, no \"..\")");
            }
            String other = pvcOfFile.putIfAbsent(file, pvc);
            if (other != null) {
                throw p.indexError(where, "file " + file + " is listed for both PVC " + other + " and PVC " + pvc);
            }
            String size = c.pvcSizes().get(i);
            try {
                KubeQuantity.parseBytes(size);
            } catch (IllegalArgumentException e) {
                throw new InvalidBackupLayoutException(p.md.indexFile(), where,
                        "size of PVC " + pvc + " (pvcSizes[" + i + "]): " + e.getMessage(), e);
            }
        }
    }

    /** Returns the PVCs of the chain in the full checkpoint's order. */
    private static List<String> checkSamePvcs(VmRestorePlanner.Planning p, List<Checkpoint> chain)
            throws InvalidBackupLayoutException {
        Checkpoint first = chain.get(0);
        List<String> pvcs = first.pvcs();
        Set<String> expected = Set.copyOf(pvcs);
        for (Checkpoint c : chain.subList(1, chain.size())) {
            for (String pvc : pvcs) {
                if (!c.pvcs().contains(pvc)) {
                    throw p.indexError("checkpoint " + c.id(), "PVC " + pvc + " of the full checkpoint " + first.id()
                            + " is missing (backup " + p.md.backup() + " needs an image of every disk in every checkpoint)");
                }
            }
            for (String pvc : c.pvcs()) {
                if (!expected.contains(pvc)) {
                    throw p.indexError("checkpoint " + c.id(), "PVC " + pvc + " is not in the full checkpoint "
                            + first.id() + ", so it has no base image to restore from");
                }
            }
        }
        return pvcs;
    }
}

package io.qcow2j.oadp;

import io.qcow2j.core.internal.PrintableText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The disks of a chain in the controller's layout, with its downloader's checks: in every
 * checkpoint exactly one file per volume ({@code files[].diskName}); its {@code filename} a plain
 * name; its {@code objectPath}, when recorded, exactly {@code checkpoints/<ns>/<vm>/<id>/<filename>}
 * (built from the request, not from the JSON), so no object of another VM is ever read. The
 * recorded {@code size} is kept for {@link VmRestore#prepare} to compare with the object's.
 * {@code pvcs} (possibly null) only names the disk; {@code pvcSizes} and {@code referencedBy} are
 * not used, as by the downloader.
 */
final class ControllerDisks {
    private ControllerDisks() {
    }

    /** Every volume of the full checkpoint, which every later checkpoint must have exactly. */
    static List<DiskPlan> all(VmRestorePlanner.Planning p, List<Checkpoint> chain) throws InvalidBackupLayoutException {
        Checkpoint first = chain.get(0);
        Set<String> volumes = new LinkedHashSet<>();
        for (Checkpoint c : chain) {
            for (CheckpointFile f : c.files()) {
                if (f.diskName() == null || f.diskName().isEmpty()) {
                    throw p.indexError("checkpoint " + c.id(), "file " + PrintableText.name(f.filename()) + " names no disk (diskName);"
                            + " every disk of VM " + p.namespace + "/" + p.vm + " must be told apart to restore it");
                }
                if (c == first) {
                    volumes.add(f.diskName());
                } else if (!volumes.contains(f.diskName())) {
                    throw p.indexError("checkpoint " + c.id(), "volume " + PrintableText.name(f.diskName()) + " is not in the full"
                            + " checkpoint " + first.id() + ", so it has no base image to restore from");
                }
            }
        }
        if (volumes.isEmpty()) {
            throw p.indexError("checkpoint " + first.id(), "lists no files");
        }
        List<DiskPlan> disks = new ArrayList<>();
        Set<String> pvcs = new java.util.HashSet<>();
        boolean clash = false;
        for (String v : volumes) {
            DiskPlan d = volume(p, chain, v, PlanTargets.UNASSIGNED);
            clash |= !pvcs.add(d.pvc());
            disks.add(d);
        }
        if (clash) { // two volumes paired with one PVC: only the volume names tell them apart
            disks.replaceAll(d -> new DiskPlan(d.diskName(), d.diskName(), -1, d.images(), d.target()));
        }
        return disks;
    }

    /** The chain of one volume. */
    static DiskPlan volume(VmRestorePlanner.Planning p, List<Checkpoint> chain, String volume, Path target)
            throws InvalidBackupLayoutException {
        List<DiskImage> images = new ArrayList<>(chain.size());
        for (Checkpoint c : chain) {
            images.add(image(p, c, volume));
        }
        return new DiskPlan(pvcOf(chain.get(chain.size() - 1), volume), volume, -1, images, target);
    }

    private static DiskImage image(VmRestorePlanner.Planning p, Checkpoint c, String volume)
            throws InvalidBackupLayoutException {
        String where = "checkpoint " + c.id();
        List<CheckpointFile> matches = c.files().stream().filter(f -> volume.equals(f.diskName())).toList();
        if (matches.size() > 1) {
            throw p.indexError(where, "has multiple files for target volume " + volume);
        }
        if (matches.isEmpty()) {
            Set<String> known = new LinkedHashSet<>();
            c.files().forEach(f -> known.add(String.valueOf(f.diskName())));
            throw p.indexError(where, "has no file for target volume " + volume
                    + " (its volumes: " + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
        }
        CheckpointFile f = matches.get(0);
        if (!OadpLayout.isPlainComponent(f.filename())) {
            throw p.indexError(where, "invalid checkpoint filename \"" + PrintableText.name(f.filename())
                    + "\" of volume " + volume + " (it must be a plain file name)");
        }
        String want = OadpLayout.checkpointKey(p.namespace, p.vm, c.id(), f.filename());
        if (f.objectPath() != null && !f.objectPath().equals(want)) {
            throw p.indexError(where, "file " + PrintableText.name(f.filename()) + " has object path \"" + PrintableText.name(f.objectPath())
                    + "\", want \"" + want + "\" under this VM's checkpoint prefix (nothing outside it is read)");
        }
        return new DiskImage(c.id(), want, f.filename(), f.size());
    }

    /** The PVC the checkpoint pairs with the volume ({@code pvcs[i]} of {@code files[i]}), else the volume. */
    private static String pvcOf(Checkpoint c, String volume) {
        if (c.pvcs().size() != c.files().size()) {
            return volume; // pvcs is null, or skips files without a diskName: no pairing to trust
        }
        for (int i = 0; i < c.files().size(); i++) {
            String pvc = c.pvcs().get(i);
            if (volume.equals(c.files().get(i).diskName()) && pvc != null && !pvc.isEmpty()) {
                return pvc;
            }
        }
        return volume;
    }
}

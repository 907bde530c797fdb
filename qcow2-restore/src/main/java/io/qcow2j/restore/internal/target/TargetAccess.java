package io.qcow2j.restore.internal.target;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Why this process may not write a target, and what gives it the right: the message a restore pod's
 * operator needs when the volume's owner, group or mode do not fit the pod's user (the fix is in the
 * pod's security context, not in qcow2j).
 */
public final class TargetAccess {
    private TargetAccess() {
    }

    /**
     * Why {@code path} cannot be written by this process (or, for a directory, a file created in it),
     * with the fix: "a read-only file system: …" or "permission denied (owner …; this process …): …".
     */
    public static String denied(Path path) {
        try {
            if (Files.getFileStore(path).isReadOnly()) {
                return "a read-only file system: mount the volume read-write";
            }
        } catch (IOException | RuntimeException ignored) {
            // described below from its owner and mode
        }
        StringBuilder sb = new StringBuilder("permission denied (");
        boolean device = false;
        int gid = -1;
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            device = (mode & 0170000) == 0060000;
            sb.append(String.format(Locale.ROOT, "owner uid %d, group gid %d, mode %04o; ", uid, gid, mode & 07777));
        } catch (IOException | RuntimeException ignored) {
            // no POSIX attributes: the fix is said without the numbers
        }
        ProcessIds self = ProcessIds.read();
        sb.append(self == null ? "this process's ids are unknown" : String.format(Locale.ROOT,
                "this process runs as uid %d, gid %d, supplementary groups %s", self.uid, self.gid,
                self.groups.isEmpty() ? "none" : self.groups));
        sb.append(")");
        if (device) {
            sb.append(": add the device's group").append(gid >= 0 ? " (gid " + gid + ", usually disk)" : "")
                    .append(" to the pod's securityContext.supplementalGroups, or run as root");
        } else {
            sb.append(": set the pod's securityContext.fsGroup so the volume is writable for the pod's group, or run"
                    + " as the volume's owner");
        }
        return sb.toString();
    }

    /** The process's real uid, gid and supplementary groups, from /proc/self/status (Linux). */
    private record ProcessIds(long uid, long gid, List<Long> groups) {
        static ProcessIds read() {
            try {
                long uid = -1;
                long gid = -1;
                List<Long> groups = List.of();
                for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (l.startsWith("Uid:")) {
                        uid = Long.parseLong(l.substring(4).strip().split("\\s+")[0]);
                    } else if (l.startsWith("Gid:")) {
                        gid = Long.parseLong(l.substring(4).strip().split("\\s+")[0]);
                    } else if (l.startsWith("Groups:")) {
                        String g = l.substring(7).strip();
                        groups = g.isEmpty() ? List.of()
                                : java.util.Arrays.stream(g.split("\\s+")).map(Long::parseLong).toList();
                    }
                }
                return uid < 0 ? null : new ProcessIds(uid, gid, groups);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}

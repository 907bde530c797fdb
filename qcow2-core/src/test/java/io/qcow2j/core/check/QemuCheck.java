package io.qcow2j.core.check;

import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code qemu-img check --output=json IMG}, the oracle of the check tests, with the image opened
 * as qcow2 alone (a backing file name in its header is not followed). qemu exits 2 (corruptions)
 * and 3 (leaks) with its JSON on stdout, and 1 with or without it.
 *
 * @param exitCode qemu-img's exit code
 * @param fields   the JSON's numeric fields, in qemu's order; empty when it printed none
 * @param keys     every JSON key in qemu's order
 * @param stdout   what it printed on stdout
 * @param stderr   what it printed on stderr (its findings and errors)
 */
public record QemuCheck(int exitCode, Map<String, Long> fields, List<String> keys, String stdout, String stderr) {
    /** The counters both checkers report, in qemu's JSON names. */
    public static final List<String> COUNTERS = List.of("check-errors", "corruptions", "leaks",
            "allocated-clusters", "total-clusters", "fragmented-clusters", "compressed-clusters", "image-end-offset");

    private static final Pattern KEY = Pattern.compile("\"([a-z-]+)\":\\s*(\"[^\"]*\"|\\d+)");

    /** Runs qemu-img check on {@code img} (any exit code is a result, not an error). */
    public static QemuCheck run(Path img) throws IOException {
        Qemu.Result r;
        try {
            r = Qemu.run(Qemu.DEFAULT_TIMEOUT,
                    List.of("qemu-img", "check", "--output=json", QemuImg.openSpec(img)));
        } catch (Qemu.CommandFailedException e) {
            if (e.result() == null) {
                throw e; // timed out
            }
            r = e.result();
        }
        Map<String, Long> fields = new LinkedHashMap<>();
        List<String> keys = new java.util.ArrayList<>();
        Matcher m = KEY.matcher(r.stdout());
        while (m.find()) {
            keys.add(m.group(1));
            if (!m.group(2).startsWith("\"")) {
                fields.put(m.group(1), Long.parseLong(m.group(2)));
            }
        }
        return new QemuCheck(r.exitCode(), fields, List.copyOf(keys), r.stdout(), r.stderr());
    }

    /** True when qemu printed a result (it does not when it could not check at all). */
    public boolean printedResult() {
        return fields.containsKey("check-errors");
    }

    /** A counter as qemu reports it; absent counters are 0 (qemu omits zero counters). */
    public long get(String key) {
        return fields.getOrDefault(key, 0L);
    }

    /** Our result's counters under qemu's names. */
    public static Map<String, Long> counters(CheckResult r) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("check-errors", r.checkErrors());
        m.put("corruptions", r.corruptions());
        m.put("leaks", r.leaks());
        m.put("allocated-clusters", r.allocatedClusters());
        m.put("total-clusters", r.totalClusters());
        m.put("fragmented-clusters", r.fragmentedClusters());
        m.put("compressed-clusters", r.compressedClusters());
        m.put("image-end-offset", r.imageEndOffset());
        return m;
    }

    /** qemu's counters, zeros filled in. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String k : COUNTERS) {
            m.put(k, get(k));
        }
        return m;
    }
}

package io.qcow2j.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code qemu-img map --output=json} of one image, parsed and normalised so it can be compared
 * with {@link Qcow2Image#mapExtents}. qemu's output is a flat array of flat objects with number and
 * boolean values, so a regular expression is enough (and keeps jackson out of qcow2-core).
 */
public final class MapJson {

    /**
     * One line of qemu's map.
     *
     * @param offset host offset, or -1 when qemu prints none
     */
    public record Entry(long start, long length, int depth, boolean present, boolean zero, boolean data,
            long offset) {

        public long end() {
            return start + length;
        }

        boolean sameKind(Entry o) {
            return depth == o.depth && present == o.present && zero == o.zero && data == o.data;
        }

        @Override
        public String toString() {
            return String.format("{start %d, length %d, depth %d, present %b, zero %b, data %b%s}", start, length,
                    depth, present, zero, data, offset < 0 ? "" : ", offset " + offset);
        }
    }

    private static final Pattern OBJECT = Pattern.compile("\\{([^{}]*)\\}");
    private static final Pattern FIELD = Pattern.compile("\"([a-z-]+)\"\\s*:\\s*(true|false|-?\\d+)");

    private MapJson() {
    }

    /** Parses qemu's JSON; fails on any object missing one of the fields qemu always prints. */
    public static List<Entry> parse(String json) {
        List<Entry> out = new ArrayList<>();
        Matcher obj = OBJECT.matcher(json);
        while (obj.find()) {
            Map<String, String> f = new HashMap<>();
            Matcher m = FIELD.matcher(obj.group(1));
            while (m.find()) {
                f.put(m.group(1), m.group(2));
            }
            for (String k : List.of("start", "length", "depth", "present", "zero", "data")) {
                if (!f.containsKey(k)) {
                    throw new IllegalArgumentException("map entry without \"" + k + "\": " + obj.group());
                }
            }
            out.add(new Entry(Long.parseLong(f.get("start")), Long.parseLong(f.get("length")),
                    Integer.parseInt(f.get("depth")), Boolean.parseBoolean(f.get("present")),
                    Boolean.parseBoolean(f.get("zero")), Boolean.parseBoolean(f.get("data")),
                    f.containsKey("offset") ? Long.parseLong(f.get("offset")) : -1));
        }
        return out;
    }

    /** Our extents as qemu-img map would print them for this image alone. */
    public static List<Entry> of(List<Extent> extents) {
        List<Entry> out = new ArrayList<>();
        for (Extent e : extents) {
            long host = e.hostOffset() >= 0 ? e.hostOffset() : -1;
            out.add(switch (e.kind()) {
                case DATA -> new Entry(e.guestOffset(), e.length(), 0, true, false, true, host);
                // qemu does not print where a compressed cluster lives
                case COMPRESSED -> new Entry(e.guestOffset(), e.length(), 0, true, false, true, -1);
                case ZERO -> new Entry(e.guestOffset(), e.length(), 0, true, true, false, host);
                case UNALLOCATED -> new Entry(e.guestOffset(), e.length(), 0, false, true, false, host);
            });
        }
        return out;
    }

    /**
     * Removes what depends on the host file system rather than on the image: qemu reports the part
     * of a data cluster that is a hole in a sparse host file as {@code zero: true, data: true}; a
     * copy or a git checkout fills the hole. Such entries become {@code zero: false}, and
     * neighbours that then look alike (same flags, host offsets both absent or contiguous) merge.
     */
    public static List<Entry> normalise(List<Entry> entries) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            Entry n = e.data() && e.zero()
                    ? new Entry(e.start(), e.length(), e.depth(), e.present(), false, true, e.offset())
                    : e;
            int last = out.size() - 1;
            if (last >= 0) {
                Entry p = out.get(last);
                boolean offsetsJoin = p.offset() < 0 ? n.offset() < 0 : n.offset() == p.offset() + p.length();
                if (p.end() == n.start() && p.sameKind(n) && offsetsJoin) {
                    out.set(last, new Entry(p.start(), p.length() + n.length(), p.depth(), p.present(), p.zero(),
                            p.data(), p.offset()));
                    continue;
                }
            }
            out.add(n);
        }
        return out;
    }

    /** A readable, line-per-entry rendering for assertion messages. */
    public static String render(List<Entry> entries) {
        StringBuilder b = new StringBuilder();
        for (Entry e : entries) {
            b.append(e).append('\n');
        }
        return b.toString();
    }
}

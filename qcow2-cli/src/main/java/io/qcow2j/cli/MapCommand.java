package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.Extent;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Image;
import io.qcow2j.restore.Chain;
import io.qcow2j.restore.ChainOptions;
import io.qcow2j.restore.compose.ChainMap;
import io.qcow2j.restore.compose.ComposedExtent;
import io.qcow2j.restore.internal.compose.Runs;
import io.qcow2j.restore.internal.compose.Windows;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code map}: for one image, its extents as {@code qemu-img map --output=json} lists them; for a
 * chain (oldest first), the composed disk's extents and which image supplies each.
 */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = {"Show which guest ranges are data, zero or unallocated.",
            "With several images (oldest first), show the composed chain and which image supplies each extent."})
final class MapCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = "--json", description = "Print JSON (one image: the qemu-img map --output=json list).")
    boolean json;
    @Option(names = "--force-corrupt", description = "Open images even if qemu marked them corrupt.")
    boolean forceCorrupt;
    @Option(names = "--allow-backing-base",
            description = "Accept a first image that stores a backing file name (a deliberate partial chain).")
    boolean allowBackingBase;
    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "qcow2 images, oldest first")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        OpenOptions opts = OpenOptions.defaults().withAllowCorrupt(forceCorrupt);
        PrintWriter out = spec.commandLine().getOut();
        if (images.size() == 1) {
            try (Qcow2Image img = Qcow2Image.open(images.get(0), opts)) {
                img.validateAllTables();
                single(img, out);
            }
        } else {
            try (Chain chain = Chain.open(images, ChainOptions.defaults().withOpen(opts).withAllowBackingBase(allowBackingBase))) {
                chain(chain, out);
            }
        }
        return ExitCode.OK;
    }

    private void single(Qcow2Image img, PrintWriter out) throws java.io.IOException {
        if (!json) {
            out.print(PrintableText.format("%-16s %-16s %-16s %s%n", "Offset", "Length", "Mapped to", "Kind"));
        } else {
            out.print("[");
        }
        // merged across windows as qemu-img map merges; all but the last run of a window are final
        List<Extent> runs = new ArrayList<>();
        boolean[] first = {true};
        Windows.forEach(img.virtualSize(), img::nextMapped, (s, e) -> {
            for (Extent x : img.mapExtents(s, e - s)) {
                Runs.appendExact(runs, x);
            }
            while (runs.size() > 1) {
                printSingle(runs.remove(0), first[0], out);
                first[0] = false;
            }
            return true;
        });
        if (!runs.isEmpty()) {
            printSingle(runs.get(0), first[0], out);
        }
        if (json) {
            out.println("]");
        }
    }

    private void printSingle(Extent e, boolean first, PrintWriter out) {
        if (json) {
            out.print(first ? "" : ",\n");
            out.print(qemuStyle(entry(e, 0, null)));
        } else if (e.kind() != Extent.Kind.UNALLOCATED) {
            out.print(PrintableText.format("%#-16x %#-16x %-16s %s%n", e.guestOffset(), e.length(),
                    e.hostOffset() >= 0 ? String.format("%#x", e.hostOffset()) : "-", e.kind().name().toLowerCase()));
        }
    }

    /** One entry laid out exactly as qemu-img map --output=json prints it. */
    static String qemuStyle(ObjectNode n) {
        StringBuilder sb = new StringBuilder("{ ");
        var it = n.fields();
        while (it.hasNext()) {
            var f = it.next();
            sb.append('"').append(f.getKey()).append("\": ").append(f.getValue().toString());
            if (it.hasNext()) {
                sb.append(", ");
            }
        }
        return sb.append('}').toString();
    }

    static ObjectNode entry(Extent e, int depth, String file) {
        ObjectNode n = Json.object();
        n.put("start", e.guestOffset());
        n.put("length", e.length());
        n.put("depth", depth);
        n.put("present", e.kind() != Extent.Kind.UNALLOCATED);
        n.put("zero", e.kind() == Extent.Kind.ZERO || e.kind() == Extent.Kind.UNALLOCATED);
        n.put("data", e.kind() == Extent.Kind.DATA || e.kind() == Extent.Kind.COMPRESSED);
        if (e.hostOffset() >= 0 && e.kind() != Extent.Kind.COMPRESSED) {
            n.put("offset", e.hostOffset());
        }
        if (file != null) {
            n.put("file", file);
        }
        return n;
    }

    private void chain(Chain chain, PrintWriter out) throws java.io.IOException {
        ChainMap map = ChainMap.of(chain.images());
        int n = chain.images().size();
        if (json) {
            ObjectNode root = Json.object();
            root.put("virtual-size", chain.virtualSize());
            ArrayNode imgs = root.putArray("images");
            for (int i = 0; i < n; i++) {
                ObjectNode o = imgs.addObject();
                o.put("file", chain.images().get(i).name());
                o.put("backup-role", Chain.isIncremental(chain.images().get(i)) ? "incremental" : "full");
                o.put("contributed-bytes", map.contributed()[i]);
            }
            root.put("zero-bytes-from-no-image", map.unallocatedBytes());
            ArrayNode ext = root.putArray("extents");
            for (ComposedExtent c : map.extents()) {
                ext.add(entry(c.extent(), c.image() < 0 ? n : n - 1 - c.image(),
                        c.image() < 0 ? null : chain.images().get(c.image()).name()));
            }
            out.println(Json.pretty(root));
            return;
        }
        out.print(PrintableText.format("%-16s %-16s %-10s %s%n", "Offset", "Length", "Kind", "Image"));
        for (ComposedExtent c : map.extents()) {
            out.print(PrintableText.format("%#-16x %#-16x %-10s %s%n", c.start(), c.length(), c.kind().name().toLowerCase(),
                    c.image() < 0 ? "(none: zeros)" : chain.images().get(c.image()).name()));
        }
        out.println();
        out.println("Bytes supplied per image:");
        for (int i = 0; i < n; i++) {
            out.print(PrintableText.format("  %,20d  %s (%s)%n", map.contributed()[i], chain.images().get(i).name(),
                    Chain.isIncremental(chain.images().get(i)) ? "incremental: stores a backing file name" : "full"));
        }
        out.print(PrintableText.format("  %,20d  (no image: zeros)%n", map.unallocatedBytes()));
    }
}

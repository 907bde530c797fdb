package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.FeatureBits;
import io.qcow2j.core.Header;
import io.qcow2j.core.HeaderExtension;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code info}: the header of one image, with field names like {@code qemu-img info --output=json}. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show an image's header: sizes, features, stored backing file name (never opened).")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = "--json", description = "Print JSON (field names as qemu-img info --output=json).")
    boolean json;
    @Option(names = "--force-corrupt", description = "Open an image even if qemu marked it corrupt.")
    boolean forceCorrupt;
    @Option(names = "--validate", description = "Also load and check every L2 table.")
    boolean validate;
    @Parameters(paramLabel = "IMAGE", description = "qcow2 image")
    Path image;

    @Override
    public Integer call() throws Exception {
        try (Qcow2Image img = Qcow2Image.open(image, OpenOptions.defaults().withAllowCorrupt(forceCorrupt))) {
            if (validate) {
                img.validateAllTables();
            }
            ObjectNode n = describe(img, image);
            if (json) {
                spec.commandLine().getOut().println(Json.pretty(n));
            } else {
                printHuman(n);
            }
        }
        return ExitCode.OK;
    }

    static ObjectNode describe(Qcow2Image img, Path path) throws java.io.IOException {
        Header h = img.header();
        ObjectNode n = Json.object();
        n.put("virtual-size", img.virtualSize());
        n.put("filename", path.toString());
        n.put("cluster-size", h.clusterSize());
        n.put("format", "qcow2");
        n.put("file-size", Files.size(path));
        ObjectNode fs = n.putObject("format-specific");
        fs.put("type", "qcow2");
        ObjectNode d = fs.putObject("data");
        d.put("compat", h.version() == 2 ? "0.10" : "1.1");
        d.put("compression-type", h.compressionType() == Header.COMPRESSION_ZSTD ? "zstd" : "zlib");
        if (h.version() == 3) {
            d.put("lazy-refcounts", h.features().lazyRefcounts());
        }
        d.put("refcount-bits", h.refcountBits());
        if (h.version() == 3) {
            d.put("corrupt", h.features().corrupt());
            d.put("extended-l2", h.features().extendedL2());
        }
        h.externalDataFile().ifPresent(f -> d.put("data-file", f));
        n.put("dirty-flag", h.features().dirty());
        h.backingFile().ifPresent(b -> {
            n.put("backing-filename", b);
            n.put("backing-file-followed", false);
        });
        h.backingFormat().ifPresent(b -> n.put("backing-filename-format", b));
        n.put("encrypted", h.cryptMethod() != 0);
        ObjectNode q = n.putObject("qcow2j");
        // libvirt stores a backing file name in every incremental backup and none in a full one
        q.put("backup-role", h.backingFile().isPresent() ? "incremental" : "full");
        q.put("version", h.version());
        q.put("header-length", h.headerLength());
        q.put("l1-size", h.l1Size());
        q.put("allocated-l2-tables", img.allocatedL2Tables());
        q.put("refcount-table-clusters", h.refcountTableClusters());
        q.put("snapshots", h.nbSnapshots());
        Map<String, String> names = h.featureNames();
        ArrayNode inc = q.putArray("incompatible-features");
        FeatureBits.names(FeatureBits.Kind.INCOMPATIBLE, h.features().incompatible(), names).forEach(inc::add);
        ArrayNode comp = q.putArray("compatible-features");
        FeatureBits.names(FeatureBits.Kind.COMPATIBLE, h.features().compatible(), names).forEach(comp::add);
        ArrayNode auto = q.putArray("autoclear-features");
        FeatureBits.names(FeatureBits.Kind.AUTOCLEAR, h.features().autoclear(), names).forEach(auto::add);
        ArrayNode exts = q.putArray("header-extensions");
        for (HeaderExtension e : h.extensions()) {
            exts.add(e.typeName());
        }
        return n;
    }

    private void printHuman(ObjectNode n) {
        var out = spec.commandLine().getOut();
        out.println("image: " + PrintableText.escape(n.get("filename").asText()));
        out.println("file format: qcow2");
        out.println("virtual size: " + n.get("virtual-size").asLong() + " bytes");
        out.println("file size: " + n.get("file-size").asLong() + " bytes");
        out.println("cluster_size: " + n.get("cluster-size").asLong());
        if (n.has("backing-filename")) {
            out.println("backing file: " + PrintableText.name(n.get("backing-filename").asText())
                    + " (stored in the header; never opened)");
        }
        out.println("Format specific information:");
        n.get("format-specific").get("data").fields()
                .forEachRemaining(e -> out.println("    " + e.getKey().replace('-', ' ') + ": "
                        + PrintableText.name(e.getValue().asText())));
        ObjectNode q = (ObjectNode) n.get("qcow2j");
        out.println("    dirty: " + n.get("dirty-flag").asBoolean());
        q.fields().forEachRemaining(e -> out.println("    " + e.getKey().replace('-', ' ') + ": "
                + PrintableText.escape(e.getValue().isArray() ? joined((ArrayNode) e.getValue()) : e.getValue().asText())));
    }

    private static String joined(ArrayNode a) {
        StringBuilder sb = new StringBuilder();
        a.forEach(x -> sb.append(sb.length() == 0 ? "" : ", ").append(PrintableText.name(x.asText())));
        return sb.length() == 0 ? "-" : sb.toString();
    }
}

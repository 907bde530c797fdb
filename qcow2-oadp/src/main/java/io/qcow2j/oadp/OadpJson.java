package io.qcow2j.oadp;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.restore.internal.FreeHeap;
import io.qcow2j.restore.InsufficientMemoryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the datamover's JSON files into records. The tree model is used instead of data binding so
 * that every refusal can name the file and the exact field ({@code checkpoints[2].files}) in one
 * line, which Jackson's binding exceptions (reference chains, class names) do not.
 */
final class OadpJson {

    /**
     * Metadata files are a few KiB; the cap only stops a mistaken {@code --root} (pointing at a disk
     * image, say) from being read into memory whole.
     */
    static final long MAX_FILE_SIZE = 64L << 20;

    /**
     * Heap a parsed tree takes per JSON token beyond its text: the node, its map entry or list
     * slot, a String's header (its bytes are counted apart, twice). Measured with Jackson's tree
     * model: an index of the controller's shape takes 48 bytes a token, an array of one-letter
     * strings 69, of empty objects 17; this errs on the safe side.
     */
    static final long TREE_BYTES_PER_TOKEN = 128;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            // a repeated key would make the file mean whatever the last writer happened to win
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static final String MANIFEST = "manifest";
    static final String INDEX = "index";

    private OadpJson() {
    }

    static VmManifest readManifest(Path file)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        return parseManifest(file.toString(), readFile(file, MANIFEST, "file not found"));
    }

    static CheckpointIndex readIndex(Path file)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        return parseIndex(file.toString(), readFile(file, INDEX, "file not found"));
    }

    /**
     * A manifest, from either layout. {@code checkpointChain} holds ids; old controller versions
     * wrote whole checkpoint objects there, of which the {@code id} is taken.
     */
    static VmManifest parseManifest(String name, byte[] content)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        Obj root = parse(name, MANIFEST, content);
        JsonNode chain = root.requiredArray("checkpointChain");
        List<String> ids = new ArrayList<>(chain.size());
        for (int i = 0; i < chain.size(); i++) {
            JsonNode e = chain.get(i);
            if (e.isObject()) {
                ids.add(root.element(e, "checkpointChain[" + i + "]").requiredString("id"));
            } else if (e.isTextual()) {
                ids.add(e.textValue());
            } else {
                throw root.error("field \"checkpointChain[" + i + "]\" must be a string (or an object with an id),"
                        + " found " + kind(e));
            }
        }
        return new VmManifest(root.requiredString("namespace"), root.requiredString("name"), ids);
    }

    /**
     * A checkpoint index, from either layout. Null lists (a Go nil slice: {@code pvcs},
     * {@code pvcSizes}, {@code referencedBy}, {@code checkpoints}, {@code files}) read as empty;
     * {@code files} entries are plain names (design document) or objects (controller).
     */
    static CheckpointIndex parseIndex(String name, byte[] content)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        Obj root = parse(name, INDEX, content);
        String vmName = root.requiredString("vmName");
        String namespace = root.requiredString("namespace");
        JsonNode array = root.requiredArrayOrNull("checkpoints");
        List<Checkpoint> checkpoints = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Obj c = root.element(array.get(i), "checkpoints[" + i + "]");
            checkpoints.add(new Checkpoint(
                    c.requiredString("id"),
                    c.requiredString("type"),
                    c.optionalString("parent"),
                    c.optionalString("timestamp"),
                    c.optionalString("vmBackup"),
                    files(c),
                    c.optionalStrings("pvcs"),
                    c.optionalStrings("pvcSizes"),
                    c.optionalStrings("referencedBy")));
        }
        return new CheckpointIndex(vmName, namespace, checkpoints);
    }

    private static List<CheckpointFile> files(Obj c) throws InvalidBackupLayoutException {
        JsonNode array = c.requiredArrayOrNull("files");
        List<CheckpointFile> files = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode e = array.get(i);
            String where = c.path + ".files[" + i + "]";
            if (e.isTextual()) {
                files.add(CheckpointFile.named(e.textValue()));
                continue;
            }
            if (!e.isObject()) {
                throw c.error("field \"" + where + "\" must be a file name or an object, found " + kind(e) + c.context());
            }
            Obj f = new Obj(c.file, c.structure, e, where);
            JsonNode size = e.get("size");
            long bytes = CheckpointFile.UNKNOWN_SIZE;
            if (size != null && !size.isNull()) {
                if (!size.isIntegralNumber() || !size.canConvertToLong()) {
                    throw c.error("field \"" + where + ".size\" must be an integer, found " + OadpJson.oneLine(
                            size.toString()) + c.context());
                }
                bytes = size.longValue();
                if (bytes < 0) {
                    throw c.error("field \"" + where + ".size\" is negative (" + bytes + ")" + c.context());
                }
            }
            files.add(new CheckpointFile(f.requiredString("filename"), f.optionalString("diskName"), bytes,
                    f.optionalString("objectPath")));
        }
        return files;
    }

    /** Reads a local metadata file whole, refusing directories and implausible sizes. */
    private static byte[] readFile(Path file, String structure, String whenMissing)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        String name = file.toString();
        try {
            return new DirectoryBackupLocation(file.toAbsolutePath().getParent())
                    .read(file.getFileName().toString(), MAX_FILE_SIZE)
                    .orElseThrow(() -> new InvalidBackupLayoutException(name, structure, whenMissing));
        } catch (InvalidBackupLayoutException e) {
            throw e.structure() != null ? e : new InvalidBackupLayoutException(name, structure, e.reason(), e);
        } catch (InsufficientMemoryException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidBackupLayoutException(name, structure, "cannot read: " + oneLine(String.valueOf(e)), e);
        }
    }

    private static Obj parse(String name, String structure, byte[] content)
            throws InvalidBackupLayoutException, InsufficientMemoryException {
        JsonNode root;
        try (JsonParser parser = MAPPER.createParser(content)) {
            requireHeapToParse(name, content);
            root = MAPPER.readTree(parser);
            // two documents concatenated, or a half-overwritten file, must not pass as the first one
            if (root != null && parser.nextToken() != null) {
                throw new InvalidBackupLayoutException(name, structure, "malformed JSON"
                        + where(parser.currentTokenLocation()) + ": unexpected content after the top-level value");
            }
        } catch (InvalidBackupLayoutException | InsufficientMemoryException e) {
            throw e; // already says what is wrong; not a read failure
        } catch (JsonProcessingException e) {
            throw new InvalidBackupLayoutException(name, structure, "malformed JSON" + where(e.getLocation())
                    + ": " + oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new InvalidBackupLayoutException(name, structure, "cannot read: " + oneLine(String.valueOf(e)), e);
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidBackupLayoutException(name, structure, "malformed JSON: the file is empty");
        }
        if (!root.isObject()) {
            throw new InvalidBackupLayoutException(name, structure,
                    "expected a JSON object at the top level, found " + kind(root));
        }
        return new Obj(name, structure, root, "");
    }

    /**
     * Refuses a document whose tree cannot fit in the free heap, before building it: its tokens are
     * counted by a streaming pass that keeps nothing (malformed JSON fails here as it would in the
     * tree's parse, with the same location).
     */
    private static void requireHeapToParse(String name, byte[] content) throws IOException {
        long tokens = 0;
        long text = 0;
        try (JsonParser counter = MAPPER.createParser(content)) {
            for (JsonToken t = counter.nextToken(); t != null; t = counter.nextToken()) {
                tokens++;
                if (t == JsonToken.VALUE_STRING || t == JsonToken.FIELD_NAME) {
                    text += counter.getTextLength();
                }
            }
        }
        long need = tokens * TREE_BYTES_PER_TOKEN + 2 * text + FreeHeap.RESERVE;
        long free = FreeHeap.free(need);
        if (need > free) {
            throw new InsufficientMemoryException(name, "not enough heap to parse this metadata: "
                    + content.length + " bytes of JSON, " + tokens + " tokens, need about " + FreeHeap.mib(need)
                    + ", " + FreeHeap.mib(free) + " of the heap is free (maximum " + FreeHeap.mib(FreeHeap.max())
                    + "); nothing written; raise -Xmx or the container's memory limit");
        }
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Exception messages end up on one stderr line, so embedded newlines would split them. */
    static String oneLine(String s) {
        return PrintableText.message(s, PrintableText.MAX_MESSAGE);
    }

    private static String kind(JsonNode node) {
        return node.isNull() ? "null" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A JSON object plus where it sits in its file, so errors can name {@code checkpoints[2].id}. */
    private record Obj(String file, String structure, JsonNode node, String path) {

        private String field(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        InvalidBackupLayoutException error(String reason) {
            return new InvalidBackupLayoutException(file, structure, reason);
        }

        private JsonNode required(String name) throws InvalidBackupLayoutException {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                throw error("missing required field \"" + field(name) + "\"" + context());
            }
            return v;
        }

        /** Names the checkpoint when the object has a usable id, which is what a user searches for. */
        String context() {
            JsonNode id = node.get("id");
            return path.isEmpty() || id == null || !id.isTextual() ? "" : " (checkpoint " + id.asText() + ")";
        }

        String requiredString(String name) throws InvalidBackupLayoutException {
            return string(name, required(name));
        }

        String optionalString(String name) throws InvalidBackupLayoutException {
            JsonNode v = node.get(name);
            return v == null || v.isNull() ? null : string(name, v);
        }

        private String string(String name, JsonNode v) throws InvalidBackupLayoutException {
            if (!v.isTextual()) {
                throw error("field \"" + field(name) + "\" must be a string, found " + kind(v) + context());
            }
            return v.textValue();
        }

        JsonNode requiredArray(String name) throws InvalidBackupLayoutException {
            JsonNode v = required(name);
            if (!v.isArray()) {
                throw error("field \"" + field(name) + "\" must be an array, found " + kind(v) + context());
            }
            return v;
        }

        /** A required array where {@code null} (a Go nil slice) means empty. */
        JsonNode requiredArrayOrNull(String name) throws InvalidBackupLayoutException {
            JsonNode v = node.get(name);
            if (v == null) {
                throw error("missing required field \"" + field(name) + "\"" + context());
            }
            return v.isNull() ? MAPPER.createArrayNode() : requiredArray(name);
        }

        List<String> optionalStrings(String name) throws InvalidBackupLayoutException {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return List.of();
            }
            return strings(name, requiredArray(name));
        }

        private List<String> strings(String name, JsonNode array) throws InvalidBackupLayoutException {
            List<String> out = new ArrayList<>(array.size());
            for (int i = 0; i < array.size(); i++) {
                JsonNode e = array.get(i);
                if (!e.isTextual()) {
                    throw error("field \"" + field(name) + "[" + i + "]\" must be a string, found " + kind(e)
                            + context());
                }
                out.add(e.textValue());
            }
            return out;
        }

        Obj element(JsonNode e, String elementPath) throws InvalidBackupLayoutException {
            if (!e.isObject()) {
                throw error("\"" + elementPath + "\" must be an object, found " + kind(e));
            }
            return new Obj(file, structure, e, elementPath);
        }
    }
}

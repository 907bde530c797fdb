package io.qcow2j.restore.oadp;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            // a repeated key would make the file mean whatever the last writer happened to win
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static final String MANIFEST = "manifest";
    static final String INDEX = "index";

    private OadpJson() {
    }

    static VmManifest readManifest(Path file) throws InvalidBackupLayoutException {
        return readManifest(file, "file not found");
    }

    static VmManifest readManifest(Path file, String whenMissing) throws InvalidBackupLayoutException {
        Obj root = read(file, MANIFEST, whenMissing);
        return new VmManifest(root.requiredString("namespace"), root.requiredString("name"),
                root.requiredStrings("checkpointChain"));
    }

    static CheckpointIndex readIndex(Path file) throws InvalidBackupLayoutException {
        return readIndex(file, "file not found");
    }

    static CheckpointIndex readIndex(Path file, String whenMissing) throws InvalidBackupLayoutException {
        Obj root = read(file, INDEX, whenMissing);
        String vmName = root.requiredString("vmName");
        String namespace = root.requiredString("namespace");
        JsonNode array = root.requiredArray("checkpoints");
        List<Checkpoint> checkpoints = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            Obj c = root.element(array.get(i), "checkpoints[" + i + "]");
            checkpoints.add(new Checkpoint(
                    c.requiredString("id"),
                    c.requiredString("type"),
                    c.optionalString("parent"),
                    c.optionalString("timestamp"),
                    c.optionalString("vmBackup"),
                    c.requiredStrings("files"),
                    c.requiredStrings("pvcs"),
                    c.requiredStrings("pvcSizes"),
                    c.optionalStrings("referencedBy")));
        }
        return new CheckpointIndex(vmName, namespace, checkpoints);
    }

    private static Obj read(Path file, String structure, String whenMissing) throws InvalidBackupLayoutException {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new InvalidBackupLayoutException(name, structure, "is a directory, expected a JSON file");
        }
        JsonNode root;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_SIZE) {
                throw new InvalidBackupLayoutException(name, structure,
                        "file is " + size + " bytes, larger than any plausible metadata file (limit "
                                + MAX_FILE_SIZE + ")");
            }
            try (InputStream in = Files.newInputStream(file); JsonParser parser = MAPPER.createParser(in)) {
                root = MAPPER.readTree(parser);
                // two documents concatenated, or a half-overwritten file, must not pass as the first one
                if (root != null && parser.nextToken() != null) {
                    throw new InvalidBackupLayoutException(name, structure, "malformed JSON"
                            + where(parser.currentTokenLocation()) + ": unexpected content after the top-level value");
                }
            }
        } catch (InvalidBackupLayoutException e) {
            throw e; // already says what is wrong; not a read failure
        } catch (NoSuchFileException e) {
            throw new InvalidBackupLayoutException(name, structure, whenMissing, e);
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

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** Exception messages end up on one stderr line, so embedded newlines would split them. */
    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }

    private static String kind(JsonNode node) {
        return node.isNull() ? "null" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A JSON object plus where it sits in its file, so errors can name {@code checkpoints[2].id}. */
    private record Obj(String file, String structure, JsonNode node, String path) {

        private String field(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        private InvalidBackupLayoutException error(String reason) {
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
        private String context() {
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

        List<String> requiredStrings(String name) throws InvalidBackupLayoutException {
            return strings(name, requiredArray(name));
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

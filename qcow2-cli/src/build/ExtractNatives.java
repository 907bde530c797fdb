import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build step, run by {@code mvn package} through Java's source launcher: copies the build host's
 * native libraries out of the CLI jar into one directory, under the names the libraries' loaders
 * look for, so bin/qcow2-restore can point the JVM at them. Without it every run unpacks zstd-jni,
 * lz4-java and JNA into the temp directory (writes and start-up time on every run), and a
 * read-only or noexec temp directory (a hardened restore pod) leaves zstd images unrestorable.
 *
 * <p>Only Linux is handled; elsewhere the directory stays empty and the launcher passes nothing. A
 * library missing from the jar for this architecture is skipped with a warning: its loader then
 * unpacks from the jar as before.
 *
 * <p>usage: {@code java ExtractNatives.java JAR DIR}
 */
public final class ExtractNatives {
    private ExtractNatives() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java ExtractNatives.java JAR DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        deleteTree(dir); // a library of an older version left behind would be picked by the launcher
        Files.createDirectories(dir);
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            System.out.println("native libraries: not unpacked on " + os + " (the libraries unpack themselves)");
            return;
        }
        String arch = System.getProperty("os.arch");
        // JNA names x86-64 its own way; zstd-jni and lz4-java use the JVM's os.arch
        String jnaArch = arch.equals("amd64") || arch.equals("x86_64") ? "x86-64" : arch;
        try (ZipFile jar = new ZipFile(args[0])) {
            copy(jar, "linux/" + arch + "/", "libzstd-jni-", dir);
            copy(jar, "net/jpountz/util/linux/" + arch + "/", "liblz4-java.so", dir);
            copy(jar, "com/sun/jna/linux-" + jnaArch + "/", "libjnidispatch.so", dir);
        }
    }

    /** Copies the one entry of folder {@code folder} whose name starts with {@code prefix}. */
    private static void copy(ZipFile jar, String folder, String prefix, Path dir) throws IOException {
        ZipEntry found = jar.stream()
                .filter(e -> !e.isDirectory() && e.getName().startsWith(folder + prefix)
                        && e.getName().indexOf('/', folder.length()) < 0 && e.getName().endsWith(".so"))
                .findFirst().orElse(null);
        if (found == null) {
            System.err.println("warning: no " + folder + prefix + "*.so in " + jar.getName()
                    + "; that library will unpack itself at run time");
            return;
        }
        Path out = dir.resolve(found.getName().substring(folder.length()));
        try (InputStream in = jar.getInputStream(found)) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

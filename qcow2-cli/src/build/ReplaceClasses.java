import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Build step, run by {@code mvn package} through Java's source launcher: replaces classes in the
 * CLI jar with those of the same names compiled into a directory (the picocli swap in
 * qcow2-cli/pom.xml). It does what {@code jar --update} did, reproducibly: {@code jar} (Java 17)
 * stamps the entries it writes with the clock, so two builds gave different jars. Every entry of
 * the rewritten jar gets the build's {@code project.build.outputTimestamp} and keeps its place;
 * classes only the directory has are added at the end, sorted by name.
 *
 * <p>usage: {@code java ReplaceClasses.java JAR DIR PACKAGE_PATH TIMESTAMP}, e.g. {@code
 * qcow2-restore.jar target/picocli-classes picocli 2026-12-02T00:00:00Z}
 */
public final class ReplaceClasses {
    private ReplaceClasses() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: java ReplaceClasses.java JAR DIR PACKAGE_PATH TIMESTAMP");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        Path dir = Path.of(args[1]);
        String prefix = args[2].endsWith("/") ? args[2] : args[2] + "/";
        LocalDateTime time = LocalDateTime.ofInstant(OffsetDateTime.parse(args[3]).toInstant(), ZoneOffset.UTC);
        List<String> replacements;
        try (Stream<Path> s = Files.walk(dir.resolve(prefix))) {
            replacements = s.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> dir.relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
        if (replacements.isEmpty()) {
            fail(dir + ": no classes under " + prefix);
        }
        Path out = jar.resolveSibling(jar.getFileName() + ".tmp");
        Set<String> pending = new TreeSet<>(replacements);
        try (ZipFile in = new ZipFile(jar.toFile());
                ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (Enumeration<? extends ZipEntry> e = in.entries(); e.hasMoreElements();) {
                ZipEntry entry = e.nextElement();
                String name = entry.getName();
                if (pending.remove(name)) {
                    put(zip, name, time, Files.newInputStream(dir.resolve(name)));
                } else {
                    put(zip, name, time, entry.isDirectory() ? null : in.getInputStream(entry));
                }
            }
            for (String name : pending) {
                put(zip, name, time, Files.newInputStream(dir.resolve(name)));
            }
        }
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("replaced " + (replacements.size() - pending.size()) + " classes under " + prefix
                + ", added " + pending.size());
    }

    private static void put(ZipOutputStream zip, String name, LocalDateTime time, InputStream data)
            throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(time); // local DOS time, no extended-time field: the same in any time zone
        zip.putNextEntry(entry);
        if (data != null) {
            try (InputStream in = data) {
                in.transferTo(zip);
            }
        }
        zip.closeEntry();
    }

    private static void fail(String message) {
        System.err.println("error: " + message);
        System.exit(1);
    }
}

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Build check, run by {@code mvn package} through Java's source launcher: fails the build when
 * the NOTICE file does not cover what the CLI jar bundles. The shaded jar carries that NOTICE
 * instead of its dependencies' NOTICE files (qcow2-cli/pom.xml), so NOTICE must
 * <ul>
 *   <li>name every bundled dependency by its Maven coordinates ({@code groupId:artifactId}, or
 *       {@code groupId:*} for a whole group),
 *   <li>hold every line of every bundled jar's own NOTICE file (Apache-2.0 section 4(d)), and
 *   <li>name only license files that exist in licenses/.
 * </ul>
 * A new dependency, or a new version whose NOTICE changed, then fails the build until NOTICE
 * says so, instead of shipping without its notice.
 *
 * <p>usage: {@code java CheckNotice.java NOTICE LICENSES_DIR DEPENDENCY_LIST}, the list written by
 * {@code dependency:list} with {@code outputAbsoluteArtifactFilename}.
 */
public final class CheckNotice {
    private static final Pattern DEPENDENCY = Pattern.compile(
            "^\\s*([\\w.-]+):([\\w.-]+):[\\w.-]+(?::[\\w.-]+)?:[\\w.-]+:(?:compile|runtime):(/.+?)(?:\\s.*)?$");

    private CheckNotice() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java CheckNotice.java NOTICE LICENSES_DIR DEPENDENCY_LIST");
            System.exit(2);
        }
        String notice = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        Set<String> noticeLines = new HashSet<>();
        for (String line : notice.split("\\R")) {
            noticeLines.add(normalize(line));
        }
        List<String> problems = new ArrayList<>();
        Matcher m = Pattern.compile("licenses/([\\w.-]*\\w)").matcher(notice);
        while (m.find()) {
            if (!Files.isRegularFile(Path.of(args[1], m.group(1)))) {
                problems.add("NOTICE names licenses/" + m.group(1) + ", which does not exist");
            }
        }
        int dependencies = 0;
        for (String line : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8)) {
            Matcher d = DEPENDENCY.matcher(line);
            if (!d.matches()) {
                continue;
            }
            dependencies++;
            String group = d.group(1);
            String coordinates = group + ":" + d.group(2);
            if (!notice.contains(coordinates) && !notice.contains(group + ":*")) {
                problems.add("NOTICE does not name " + coordinates);
            }
            try (ZipFile jar = new ZipFile(d.group(3))) {
                for (ZipEntry e : jar.stream().toList()) {
                    String name = e.getName().toUpperCase(Locale.ROOT);
                    if (!name.equals("META-INF/NOTICE") && !name.equals("META-INF/NOTICE.TXT")
                            && !name.equals("META-INF/NOTICE.MD")) {
                        continue;
                    }
                    try (InputStream in = jar.getInputStream(e)) {
                        for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                            if (!normalize(l).isEmpty() && !noticeLines.contains(normalize(l))) {
                                problems.add("NOTICE lacks a line of " + coordinates + "'s " + e.getName() + ": " + l.strip());
                            }
                        }
                    }
                }
            }
        }
        if (dependencies == 0) {
            problems.add(args[2] + ": no dependencies listed");
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("error: " + p));
            System.exit(1);
        }
        System.out.println("NOTICE covers the " + dependencies + " bundled dependencies");
    }

    private static String normalize(String line) {
        return line.strip().replaceAll("\\s+", " ");
    }
}

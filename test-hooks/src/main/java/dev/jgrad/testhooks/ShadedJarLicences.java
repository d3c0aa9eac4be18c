package dev.jgrad.testhooks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The licence checks of a module's shaded jar, run after packaging (Failsafe) on the jar itself by a
 * subclass that names it: its NOTICE ({@code src/main/bundle/NOTICE}) names every bundled library (from
 * Maven's own list of the runtime dependencies, {@code target/bundled-dependencies.txt}, so a new or
 * updated one fails here until the NOTICE says what it is) and no other, and every native library; each
 * licence file the NOTICE points to is in the jar and no other is; and the licence and notice files each
 * library ships are kept, byte for byte, under {@code META-INF/licenses/ARTIFACT/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ShadedJarLicences {
    private static final Path BUILD = Path.of(System.getProperty("jgrad.build.directory", "target"));
    private static final Pattern DEPENDENCY = Pattern.compile("^\\s+([^:\\s]+):([^:\\s]+):jar:(?:([^:\\s]+):)?([^:\\s]+):(compile|runtime)\\b.*$");
    /** {@code group:artifact version}, as the NOTICE names a bundled library; a version may end in a qualifier ({@code 33.8.0-jre}). */
    private static final Pattern NAMED_LIBRARY = Pattern.compile("[a-z][a-z0-9.]*:[A-Za-z0-9.-]+ [0-9][A-Za-z0-9.-]*[A-Za-z0-9]");
    private static final Pattern LICENCE_PATH = Pattern.compile("META-INF/licenses/[A-Za-z0-9._/-]*[A-Za-z0-9_/-]");
    /** jline-native's helper libraries, one per platform, which a NOTICE names as one group. */
    private static final String JLINE_NATIVE = "org/jline/nativ/";
    private final String jarName;
    private ZipFile jar;
    private String notice;

    /** A bundled Maven artifact, as the dependency plugin lists it. */
    private record Dependency(String groupId, String artifactId, String classifier, String version) {
        String jarName() {
            return artifactId + "-" + version + (classifier != null ? "-" + classifier : "") + ".jar";
        }

        String named() {
            return groupId + ":" + artifactId + " " + version;
        }
    }

    /**
     * The checks of one shaded jar.
     *
     * @param jarName the jar's file name in the module's build folder, such as {@code gru-examples.jar}
     */
    protected ShadedJarLicences(String jarName) {
        this.jarName = jarName;
    }

    @BeforeAll
    void open() throws IOException {
        jar = new ZipFile(BUILD.resolve(jarName).toFile());
        notice = new String(bytes("META-INF/NOTICE"), StandardCharsets.UTF_8);
    }

    @AfterAll
    void close() throws IOException {
        jar.close();
    }

    @Test
    void licenceAndNoticeAreJgradsOwn() throws IOException {
        assertArrayEquals(Files.readAllBytes(Path.of("../LICENSE")), bytes("META-INF/LICENSE"), "META-INF/LICENSE is the root LICENSE");
        assertArrayEquals(Files.readAllBytes(Path.of("src/main/bundle/NOTICE")), bytes("META-INF/NOTICE"),
                "META-INF/NOTICE is src/main/bundle/NOTICE");
        List<String> strays = jar.stream().map(ZipEntry::getName)
                .filter(n -> n.matches("META-INF/[^/]*(LICEN[CS]E|NOTICE)[^/]*") && !n.equals("META-INF/LICENSE") && !n.equals("META-INF/NOTICE"))
                .toList();
        assertTrue(strays.isEmpty(), "a library's licence or notice file at the top of META-INF, where they overwrite one another: " + strays);
    }

    @Test
    void theNoticeNamesEveryBundledLibraryAtItsVersion() throws IOException {
        List<Dependency> deps = bundled();
        assertFalse(deps.isEmpty(), "no bundled dependency listed in " + BUILD.resolve("bundled-dependencies.txt"));
        List<String> missing = deps.stream().map(Dependency::named).filter(d -> !notice.contains(d)).toList();
        assertTrue(missing.isEmpty(), "src/main/bundle/NOTICE does not name these bundled libraries (or not at this version): " + missing);
    }

    /** The other way round: a library the NOTICE still names after it left the build would make the NOTICE wrong. */
    @Test
    void everyLibraryTheNoticeNamesIsBundledAtThatVersion() throws IOException {
        List<String> bundled = bundled().stream().map(Dependency::named).toList();
        Matcher m = NAMED_LIBRARY.matcher(notice);
        List<String> stale = new ArrayList<>();
        int named = 0;
        while (m.find()) {
            named++;
            if (!bundled.contains(m.group())) {
                stale.add(m.group());
            }
        }
        assertTrue(named >= bundled.size(), "found only " + named + " library names in the NOTICE");
        assertTrue(stale.isEmpty(), "src/main/bundle/NOTICE names libraries the jar does not bundle (or not at that version): " + stale);
    }

    @Test
    void everyLicenceFileInTheJarIsOneTheNoticePointsTo() {
        List<String> unexplained = jar.stream().map(ZipEntry::getName)
                .filter(n -> n.startsWith("META-INF/licenses/") && !n.endsWith("/"))
                .filter(n -> !notice.contains(n) && !notice.contains(n.substring(0, n.lastIndexOf('/') + 1)))
                .toList();
        assertTrue(unexplained.isEmpty(), "licence files in the jar that src/main/bundle/NOTICE does not point to (left over?): " + unexplained);
    }

    @Test
    void theNoticeNamesEveryNativeLibrary() {
        List<String> missing = jar.stream().map(ZipEntry::getName)
                .filter(n -> n.matches(".*\\.so(\\.[0-9]+)*") || n.endsWith(".dll") || n.endsWith(".dylib") || n.endsWith(".jnilib"))
                .filter(n -> !notice.contains(n.substring(n.lastIndexOf('/') + 1)) && !n.startsWith(JLINE_NATIVE))
                .toList();
        assertTrue(missing.isEmpty(), "native libraries in the jar that src/main/bundle/NOTICE does not name: " + missing);
        if (jar.stream().anyMatch(e -> e.getName().startsWith(JLINE_NATIVE))) {
            assertTrue(notice.contains(JLINE_NATIVE + "*/libjlinenative.so"), "jline's native helpers are named as a group");
        }
    }

    @Test
    void everyLicenceFileTheNoticePointsToIsInTheJar() {
        Matcher m = LICENCE_PATH.matcher(notice);
        List<String> absent = new ArrayList<>();
        int found = 0;
        while (m.find()) {
            String p = m.group();
            found++;
            boolean present = p.endsWith("/") ? jar.stream().anyMatch(e -> e.getName().startsWith(p) && !e.isDirectory()) : jar.getEntry(p) != null;
            if (!present) {
                absent.add(p);
            }
        }
        assertTrue(found > 0, "the NOTICE points to licence files");
        assertTrue(absent.isEmpty(), "src/main/bundle/NOTICE points to files the jar does not have: " + absent);
    }

    /** The module's unpack step (the dependency plugin's bundled-licences execution) keeps each library's own files, unchanged. */
    @Test
    void eachLibrarysOwnLicenceFilesAreKept() throws IOException {
        int checked = 0;
        for (Dependency d : bundled()) {
            File source = onClassPath(d);
            try (ZipFile lib = new ZipFile(source)) {
                for (ZipEntry e : lib.stream().toList()) {
                    if (!e.getName().matches("META-INF/[^/]*(LICEN[CS]E|NOTICE)[^/]*")) {
                        continue;
                    }
                    String kept = "META-INF/licenses/" + d.artifactId() + "/" + e.getName().substring("META-INF/".length());
                    assertTrue(jar.getEntry(kept) != null, source.getName() + "'s " + e.getName() + " is not kept as " + kept);
                    assertArrayEquals(lib.getInputStream(e).readAllBytes(), bytes(kept), kept + " differs from " + source.getName() + "'s " + e.getName());
                    checked++;
                }
            }
        }
        assertTrue(checked > 0, "no licence file found in the bundled libraries (Guava ships one); is the class path the runtime one?");
    }

    private static List<Dependency> bundled() throws IOException {
        List<Dependency> out = new ArrayList<>();
        for (String line : Files.readAllLines(BUILD.resolve("bundled-dependencies.txt"))) {
            Matcher m = DEPENDENCY.matcher(line);
            if (m.matches()) {
                out.add(new Dependency(m.group(1), m.group(2), m.group(3), m.group(4)));
            }
        }
        return out;
    }

    private static File onClassPath(Dependency d) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith(File.separator + d.jarName())) {
                return new File(entry);
            }
        }
        throw new AssertionError(d.jarName() + " is not on the test class path");
    }

    private byte[] bytes(String entry) throws IOException {
        ZipEntry e = jar.getEntry(entry);
        assertTrue(e != null, jarName + " has no " + entry);
        return jar.getInputStream(e).readAllBytes();
    }
}

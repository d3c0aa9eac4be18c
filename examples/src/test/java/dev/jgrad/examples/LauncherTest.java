package dev.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ./gru-examples launcher builds the jar when it is missing or older than a source or POM, and
 * otherwise runs it as it is. Run in a copy of the repository's layout whose JDK finder, Maven
 * wrapper and java are stand-ins that only record being called.
 */
class LauncherTest {
    @TempDir
    Path repo;

    private Path jar;
    private Path source;

    private void layout() throws IOException {
        Files.copy(Path.of("..", "gru-examples"), repo.resolve("gru-examples"));
        Path jdk = Files.createDirectories(repo.resolve("jdk/bin"));
        executable(jdk.resolve("java"), "#!/bin/sh\necho \"ran $*\"\n");
        Files.createDirectories(repo.resolve(".mvn"));
        Files.writeString(repo.resolve(".mvn/find-jdk.sh"), "JAVA_HOME=\"$here/jdk\"; export JAVA_HOME\n");
        Files.copy(Path.of("..", ".mvn", "java-options.sh"), repo.resolve(".mvn/java-options.sh"));
        executable(repo.resolve("mvnw"), "#!/bin/sh\necho built >> build.log\nmkdir -p examples/target\n: > examples/target/gru-examples.jar\n");
        Files.writeString(repo.resolve("pom.xml"), "<project/>");
        Files.createDirectories(repo.resolve("examples/src/main/java"));
        Files.writeString(repo.resolve("examples/pom.xml"), "<project/>");
        source = Files.writeString(repo.resolve("examples/src/main/java/Main.java"), "class Main {}");
        jar = repo.resolve("examples/target/gru-examples.jar");
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Launch(String out, String err, int builds) {
    }

    private Launch launch() throws Exception {
        return launch(new ProcessBuilder());
    }

    private Launch launch(ProcessBuilder pb) throws Exception {
        Process p = pb.command("sh", repo.resolve("gru-examples").toString(), "train", "--epochs", "1")
                .redirectOutput(repo.resolve("out.txt").toFile()).redirectError(repo.resolve("err.txt").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher ends");
        assertEquals(0, p.exitValue(), Files.readString(repo.resolve("err.txt")));
        Path log = repo.resolve("build.log");
        return new Launch(Files.readString(repo.resolve("out.txt")), Files.readString(repo.resolve("err.txt")),
                Files.exists(log) ? (int) Files.readAllLines(log).size() : 0);
    }

    private static void age(Path file, long secondsAgo) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(secondsAgo)));
    }

    @Test
    void buildsAMissingJarThenRunsIt() throws Exception {
        layout();
        Launch first = launch();
        assertEquals(1, first.builds());
        assertEquals("gru-examples: building " + jar + " (it is missing) ...\n", first.err());
        assertEquals("ran --add-modules jdk.incubator.vector -XX:+UseSerialGC -Xmx360m -Xmn100m -Djgrad.workspace=220m" + hugePages() + " -jar " + jar + " train --epochs 1\n",
                first.out());
    }

    @Test
    void runsAnUpToDateJarWithoutBuilding() throws Exception {
        layout();
        launch();
        for (Path f : new Path[] {source, repo.resolve("pom.xml"), repo.resolve("examples/pom.xml")}) {
            age(f, 3600);
        }
        Launch again = launch();
        assertEquals(1, again.builds(), "no second build");
        assertEquals("", again.err());
    }

    @Test
    void rebuildsAJarOlderThanASourceOrAPom() throws Exception {
        layout();
        launch();
        age(jar, 3600);
        Launch afterPull = launch();
        assertEquals(2, afterPull.builds(), "rebuilt once the sources are newer");
        assertEquals("gru-examples: building " + jar + " (sources changed since it was built) ...\n", afterPull.err());
        age(source, 7200);
        age(repo.resolve("examples/pom.xml"), 7200);
        age(jar, 3600);
        assertEquals(3, launch().builds(), "the root POM alone is newer: rebuilt too");
    }

    /**
     * With the real JDK finder, which searches the install folders with globbing on: the launcher's
     * own check for newer sources, a glob over the modules, must still see them afterwards. Here the
     * {@code javac} on the PATH is too old, so the finder searches, and finds a JDK in ~/.jdks whose
     * version no real JDK has yet.
     */
    @Test
    void rebuildsAfterTheJdkFinderSearchedTheInstallFolders() throws Exception {
        layout();
        Files.copy(Path.of("..", ".mvn", "find-jdk.sh"), repo.resolve(".mvn/find-jdk.sh"), StandardCopyOption.REPLACE_EXISTING);
        Path old = fakeJdk(repo.resolve("old-jdk"), "17");
        Path found = fakeJdk(repo.resolve("home/.jdks/jdk-99"), "99");
        executable(found.resolve("bin/java"), "#!/bin/sh\necho \"ran $*\"\n");
        ProcessBuilder pb = new ProcessBuilder();
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("HOME", repo.resolve("home").toString());
        pb.environment().put("PATH", old.resolve("bin") + ":/usr/bin:/bin");
        launch(pb);
        age(repo.resolve("pom.xml"), 7200);
        age(repo.resolve("examples/pom.xml"), 7200);
        age(jar, 3600);
        Launch afterPull = launch(pb);
        assertEquals(2, afterPull.builds(), "rebuilt once a module's source is newer");
        assertEquals("gru-examples: building " + jar + " (sources changed since it was built) ...\n", afterPull.err());
        assertTrue(afterPull.out().startsWith("ran "), "the JDK found in ~/.jdks runs the jar");
    }

    /** A stand-in JDK home: bin/javac and a release file naming its version. */
    private static Path fakeJdk(Path home, String version) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        executable(home.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");
        Files.writeString(home.resolve("release"), "JAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    /** The huge-page option the launcher adds where the kernel offers transparent huge pages to programs that ask. */
    private static String hugePages() throws IOException {
        Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        String mode = Files.isReadable(thp) ? Files.readString(thp) : "";
        return mode.contains("[always]") || mode.contains("[madvise]") ? " -XX:+UseTransparentHugePages" : "";
    }
}

package dev.jgrad.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's "Use jgrad in your project" is what docs/consumer-example does: every XML and Java block of
 * that section appears, line for line (indentation aside), in one of the consumer project's files, and the
 * consumer depends on this build's version. (.ci/run builds and tests the consumer against the installed
 * artifacts; this test keeps the README from drifting away from it.)
 */
class ConsumerExampleTest {
    private static final Path ROOT = Path.of("..");
    private static final Path CONSUMER = ROOT.resolve("docs/consumer-example");
    private static final Pattern BLOCK = Pattern.compile("```(xml|java)\\n(.*?)```", Pattern.DOTALL);

    @Test
    void everyCodeBlockOfTheLibrarySectionIsInTheConsumerProject() throws IOException {
        List<List<String>> files = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(CONSUMER)) {
            // the project's sources and pom, not what building it leaves behind (target/, .jqwik-database)
            for (Path p : paths.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/target/"))
                    .filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".xml")).toList()) {
                files.add(stripped(Files.readString(p)));
            }
        }
        Matcher m = BLOCK.matcher(librarySection());
        int blocks = 0;
        while (m.find()) {
            List<String> block = stripped(m.group(2));
            blocks++;
            assertTrue(files.stream().anyMatch(f -> Collections.indexOfSubList(f, block) >= 0),
                    "README \"Use jgrad in your project\", " + m.group(1) + " block " + blocks + " is in no file of " + CONSUMER
                            + ":\n" + String.join("\n", block));
        }
        assertTrue(blocks >= 4, "the section shows the dependencies, the Surefire setup, a cell and its tests; found " + blocks + " blocks");
    }

    @Test
    void theConsumerDependsOnThisVersion() throws IOException {
        String version = System.getProperty("jgrad.version");
        assertTrue(version != null && !version.isBlank(), "Surefire passes jgrad.version (jgrad-testing/pom.xml)");
        String pom = Files.readString(CONSUMER.resolve("pom.xml"));
        Matcher m = Pattern.compile("<groupId>dev\\.jgrad</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        int deps = 0;
        while (m.find()) {
            assertEquals(version, m.group(2), "docs/consumer-example/pom.xml: dev.jgrad:" + m.group(1));
            deps++;
        }
        assertEquals(2, deps, "the consumer depends on nn-layers and jgrad-testing");
        assertTrue(librarySection().contains("version `" + version + "`"), "the README names version " + version);
    }

    @Test
    void ciBuildsTheConsumer() throws IOException {
        assertTrue(Files.readString(ROOT.resolve(".ci/run")).contains("-f docs/consumer-example/pom.xml verify"));
    }

    private static String librarySection() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int start = readme.indexOf("\n## Use jgrad in your project\n");
        assertTrue(start >= 0, "README.md has a section \"Use jgrad in your project\"");
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static List<String> stripped(String text) {
        return text.lines().map(String::strip).toList();
    }
}

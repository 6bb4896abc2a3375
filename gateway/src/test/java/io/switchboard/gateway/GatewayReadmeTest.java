package io.switchboard.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.config.ConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README against the gateway's own {@code --help} text: its settings table (every key, every default, the
 * {@code SWITCHBOARD_<KEY>} rule) and "The two commands" (the run command is the launcher {@code bin/switchboard},
 * which runs the jar the build makes with {@code config/jvm.options}, as the Docker image does; the test command is
 * the one {@code .ci/run} runs). Works on the help text and the files, as a user sees them, not on the classes behind
 * them. {@code LauncherIT} runs the launcher itself, once the jar is built.
 */
class GatewayReadmeTest {

    private static final Pattern OPTION_START =
            Pattern.compile("^\\s+(?:-h, )?--([a-z][a-z0-9-]*)(?:=\\S+)?(?:\\s.*)?$");
    private static final Pattern DEFAULT_AND_ENV = Pattern.compile("Default: (.*?)\\. Env: (\\S+?)\\.(?:\\s|$)");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final String LAUNCHER = "bin/switchboard";
    private static final String JVM_OPTIONS = "config/jvm.options";

    private static Path root;
    private static String readme;
    private static String help;

    @BeforeAll
    static void read() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null
               && !(Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve(".ci")))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "repository root (README.md and .ci/) not found above " + Path.of("").toAbsolutePath());
        root = dir;
        readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        final ConfigLoader.Result result = ConfigLoader.load(new String[] {"--help"}, Map.of());
        assertEquals(0, result.exitCode(), "--help exit code");
        help = result.output();
    }

    /** key -> [default, env] from the help text; option descriptions may wrap over several lines. */
    private static Map<String, String[]> helpSettings() {
        final Map<String, StringBuilder> blocks = new LinkedHashMap<>();
        StringBuilder current = null;
        for (String line : help.split("\\R")) {
            final Matcher m = OPTION_START.matcher(line);
            if (m.matches()) {
                current = new StringBuilder();
                blocks.put(m.group(1), current);
            }
            if (current != null) {
                current.append(line.strip()).append(' ');
            }
        }
        final Map<String, String[]> settings = new LinkedHashMap<>();
        blocks.forEach((key, text) -> {
            if (key.equals("help") || key.equals("config")) {
                return;
            }
            final Matcher m = DEFAULT_AND_ENV.matcher(text.toString().replaceAll("\\s+", " "));
            assertTrue(m.find(), () -> "--" + key + ": no 'Default: … Env: …' in its help: " + text);
            settings.put(key, new String[] {m.group(1), m.group(2)});
        });
        assertTrue(settings.size() > 30, () -> "parsed only " + settings.keySet() + " from --help:\n" + help);
        return settings;
    }

    /** key -> default from the README's table under "## Configuration" ({@code | `a` / `b` | `1` / `2` | … |}). */
    private static Map<String, String> readmeSettings() {
        final String section = section("## Configuration");
        final Map<String, String> settings = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : section.split("\\R")) {
            if (line.startsWith("| key | default |")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            final String[] cells = line.split("\\|");
            final List<String> keys = backticked(cells[1]);
            final List<String> defaults = backticked(cells[2]);
            assertFalse(keys.isEmpty(), () -> "README row without a key: " + line);
            assertTrue(defaults.size() == keys.size() || defaults.size() == 1,
                    () -> "README row: " + keys.size() + " keys but " + defaults.size() + " defaults: " + line);
            for (int i = 0; i < keys.size(); i++) {
                final String key = keys.get(i);
                final String previous = settings.put(key, defaults.get(defaults.size() == 1 ? 0 : i));
                assertTrue(previous == null, () -> "README lists " + key + " twice");
            }
        }
        assertFalse(settings.isEmpty(), "no settings table found in README's Configuration section");
        return settings;
    }

    private static List<String> backticked(String cell) {
        final List<String> out = new ArrayList<>();
        final Matcher m = BACKTICKED.matcher(cell);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The README text from {@code heading} to the next level-2 heading. */
    private static String section(String heading) {
        final int start = readme.indexOf("\n" + heading + "\n");
        assertTrue(start >= 0, () -> "README has no '" + heading + "' section");
        final int end = readme.indexOf("\n## ", start + heading.length() + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    @Test
    void settingsTableListsEveryKeyOfHelpWithItsDefault() {
        final Map<String, String[]> fromHelp = helpSettings();
        final Map<String, String> fromReadme = readmeSettings();
        final TreeSet<String> missing = new TreeSet<>(fromHelp.keySet());
        missing.removeAll(fromReadme.keySet());
        final TreeSet<String> unknown = new TreeSet<>(fromReadme.keySet());
        unknown.removeAll(fromHelp.keySet());
        final List<String> wrongDefaults = new ArrayList<>();
        fromReadme.forEach((key, def) -> {
            final String[] h = fromHelp.get(key);
            if (h != null && !h[0].equals(def)) {
                wrongDefaults.add(key + ": README `" + def + "`, --help `" + h[0] + '`');
            }
        });
        assertTrue(missing.isEmpty() && unknown.isEmpty() && wrongDefaults.isEmpty(),
                () -> "README.md's settings table does not match --help:"
                        + (missing.isEmpty() ? "" : "\n  not in README: " + missing)
                        + (unknown.isEmpty() ? "" : "\n  not in --help: " + unknown)
                        + (wrongDefaults.isEmpty() ? "" : "\n  defaults: " + String.join("; ", wrongDefaults)));
    }

    @Test
    void environmentVariablesFollowTheReadmeRule() {
        assertTrue(section("## Configuration").contains("`SWITCHBOARD_<KEY>` environment variables (`idle-timeout` "
                + "becomes `SWITCHBOARD_IDLE_TIMEOUT`)"), "README's environment rule changed; update this test");
        helpSettings().forEach((key, h) -> assertEquals(
                "SWITCHBOARD_" + key.toUpperCase(Locale.ROOT).replace('-', '_'), h[1], "env of --" + key));
    }

    @Test
    void theTwoCommandsRunTheBuiltJarAndTheCiTestCommand() throws IOException {
        final List<String> commands = new ArrayList<>();
        for (String line : section("## The two commands").split("\\R")) {
            if (line.startsWith("    ") && !line.isBlank()) {
                commands.add(line.strip());
            }
        }
        assertEquals(2, commands.size(), () -> "expected two indented commands, found " + commands);

        // 1. build, then the launcher, which runs the jar the build makes (the shade plugin's finalName).
        final String pom = Files.readString(root.resolve("gateway/pom.xml"), StandardCharsets.UTF_8);
        final Matcher finalName = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(pom);
        assertTrue(finalName.find(), "no <finalName> in gateway/pom.xml");
        final String jar = "gateway/target/" + finalName.group(1) + ".jar";
        assertEquals("./mvnw -q -DskipTests package && " + LAUNCHER, commands.get(0));
        assertTrue(section("## Configuration").contains("`" + LAUNCHER + " --help` lists every setting"),
                "README's --help command is not the launcher's");
        final Path launcher = root.resolve(LAUNCHER);
        assertTrue(Files.isRegularFile(launcher) && Files.isExecutable(launcher), LAUNCHER + " is not executable");
        final String script = Files.readString(launcher, StandardCharsets.UTF_8);
        assertTrue(script.contains("/" + jar + '"'), () -> LAUNCHER + " does not look for " + jar);
        assertTrue(script.contains("config/jvm.options") && Files.isRegularFile(root.resolve(JVM_OPTIONS)),
                LAUNCHER + " does not read " + JVM_OPTIONS);
        // The usage line names the program as the README does, and it serves on the port README promises.
        assertTrue(help.startsWith("Usage: switchboard "), () -> "usage line: " + help.lines()
                .findFirst().orElse(""));
        assertEquals("8080", helpSettings().get("port")[0], "README: 'Run the gateway on port 8080'");
        assertTrue(section("## The two commands").contains("Run the gateway on port 8080"), "README wording changed");

        // 2. the test command is the one .ci/run runs ("`.ci/run` runs that same command").
        assertEquals("./mvnw verify", commands.get(1));
        final String ci = Files.readString(root.resolve(".ci/run"), StandardCharsets.UTF_8);
        assertTrue(ci.lines().map(String::strip).anyMatch(l -> l.matches("\\./mvnw( -B| -ntp)* verify")),
                ".ci/run no longer runs ./mvnw verify (with only -B/-ntp added)");
    }

    @Test
    void theDockerImageAndComposeFilesRunTheSameLauncherAndJvmOptions() throws IOException {
        // One source of truth for the measured JVM settings: the image copies the launcher and its options file and
        // starts through it; neither the Dockerfile nor a compose file sets JAVA_OPTS of its own.
        final String dockerfile = Files.readString(root.resolve("docker/Dockerfile"), StandardCharsets.UTF_8);
        assertTrue(dockerfile.contains("COPY bin/switchboard ") && dockerfile.contains("COPY config/jvm.options "),
                "docker/Dockerfile does not copy the launcher and config/jvm.options");
        assertTrue(dockerfile.contains("ENTRYPOINT [\"/opt/switchboard/bin/switchboard\"]"),
                "docker/Dockerfile's entrypoint is not the launcher");
        final String ignore = Files.readString(root.resolve(".dockerignore"), StandardCharsets.UTF_8);
        assertTrue(ignore.contains("!" + LAUNCHER) && ignore.contains("!" + JVM_OPTIONS),
                ".dockerignore leaves the launcher or its options out of the build context");
        for (String file : List.of("docker/Dockerfile", "docker/compose.yaml", "docker/compose.cluster.yaml")) {
            final List<String> sets = Files.readAllLines(root.resolve(file), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.strip().startsWith("#") && l.contains("JAVA_OPTS")).toList();
            assertTrue(sets.isEmpty(), () -> file + " sets JAVA_OPTS, overriding config/jvm.options: " + sets);
        }
        // The measured defaults themselves (docs/BENCHMARKS.md): Serial GC and a small initial heap.
        final List<String> options = Files.readAllLines(root.resolve(JVM_OPTIONS), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(options.containsAll(List.of("-XX:+UseSerialGC", "-Xms32m", "-XX:+ExitOnOutOfMemoryError")),
                () -> JVM_OPTIONS + ": " + options);
    }
}

package io.switchboard.gateway.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The one place that reads configuration. Sources, in increasing priority: built-in defaults, a properties file
 * ({@code --config FILE}, keys as below), {@code SWITCHBOARD_*} environment variables, command-line flags.
 *
 * <p>Every setting has one key; its flag is {@code --key} and its variable {@code SWITCHBOARD_KEY} (upper case,
 * {@code -} as {@code _}): {@code idle-timeout} is {@code --idle-timeout} and {@code SWITCHBOARD_IDLE_TIMEOUT}.
 * Durations take a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or ISO-8601 {@code PT30S}); sizes
 * in bytes accept {@code KiB}/{@code MiB}. The keys, and the record component each one sets, are the table in
 * {@link Setting}.
 */
public final class ConfigLoader {

    /** The prefix of every environment variable that configures the gateway. */
    public static final String ENV_PREFIX = "SWITCHBOARD_";

    /** The outcome of reading the command line: a configuration, or text to print and an exit code. */
    public record Result(GatewayConfig config, String output, int exitCode) {
        /** Whether the gateway should start. */
        public boolean shouldStart() {
            return config != null;
        }
    }

    private ConfigLoader() {}

    /**
     * Builds the configuration from the command line and the environment.
     *
     * @param args the command-line arguments
     * @param env  the environment, normally {@code System.getenv()}
     * @return the configuration, or the help text / error message with its exit code (0 for {@code --help}, 2 for
     *         invalid settings)
     */
    public static Result load(String[] args, Map<String, String> env) {
        final CommandSpec spec = commandSpec();
        final CommandLine cli = new CommandLine(spec);
        final ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return new Result(null, e.getMessage() + System.lineSeparator() + "See --help.", 2);
        }
        if (parsed.isUsageHelpRequested()) {
            return new Result(null, usage(cli), 0);
        }
        try {
            final GatewayConfig.Builder builder = GatewayConfig.builder();
            final Map<String, String> given = new HashMap<>();
            if (parsed.hasMatchedOption("--config")) {
                final Path file = Path.of(parsed.<String>matchedOptionValue("--config", null));
                applyProperties(builder, readProperties(file), "config file " + file, given);
            }
            for (Setting s : Setting.ALL) {
                final String value = env.get(s.env());
                if (value != null) {
                    apply(builder, s, value, "environment variable " + s.env(), given);
                }
                // Docker/Kubernetes secrets arrive as files: SWITCHBOARD_API_KEY_FILE=/run/secrets/api-key.
                final String file = s.secret() ? env.get(s.env() + "_FILE") : null;
                if (file != null) {
                    apply(builder, s, readSecret(Path.of(file), s.env() + "_FILE"), "file " + file, given);
                }
            }
            for (Setting s : Setting.ALL) {
                if (parsed.hasMatchedOption(s.flag())) {
                    apply(builder, s, parsed.matchedOptionValue(s.flag(), null), "flag " + s.flag(), given);
                }
            }
            return new Result(build(builder, given), null, 0);
        } catch (IllegalArgumentException e) {
            return new Result(null, "Invalid configuration: " + e.getMessage(), 2);
        }
    }

    /** Applies properties file entries; an unknown key is an error so that typos do not pass silently. */
    static void applyProperties(GatewayConfig.Builder builder, Properties props, String source,
                                Map<String, String> given) {
        final List<String> keys = new ArrayList<>(props.stringPropertyNames());
        Collections.sort(keys);
        for (String key : keys) {
            final Setting s = find(key).orElseThrow(() -> new IllegalArgumentException(
                    source + ": unknown setting '" + key + "' (see --help for the keys)"));
            apply(builder, s, props.getProperty(key).trim(), source, given);
        }
    }

    private static void apply(GatewayConfig.Builder builder, Setting s, String value, String source,
                              Map<String, String> given) {
        final String shown = s.secret() ? "(secret)" : "'" + value + "'";
        try {
            s.apply().accept(builder, value);
            given.put(s.key(), shown + " (" + source + ')');
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new IllegalArgumentException(s.key() + " (" + source + "): " + shown + ' ' + e.getMessage(), e);
        }
    }

    /**
     * Builds the configuration. The sections of {@link GatewayConfig} validate their fields and name them in the
     * message ({@code shards: 3}); the loader builds one section at a time, so that it knows which section spoke, and
     * prefixes the message with the setting's key and the value and source it came from, so that it names what the
     * operator wrote ({@code registry-shards '3' (flag --registry-shards): shards: 3 (expected: ...)}).
     */
    private static GatewayConfig build(GatewayConfig.Builder builder, Map<String, String> given) {
        for (Setting.Section<?, ?> section : Setting.SECTIONS) {
            try {
                section.buildFrom(builder);
            } catch (IllegalArgumentException e) {
                throw blame(e, section, given);
            }
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // A check across sections (apiPort next to port 65535): its field name is unique among all settings.
            throw blame(e, null, given);
        }
    }

    private static IllegalArgumentException blame(IllegalArgumentException e, Setting.Section<?, ?> section,
                                                  Map<String, String> given) {
        final String message = String.valueOf(e.getMessage());
        final int colon = message.indexOf(':');
        final Setting s = colon < 0 ? null : settingOfField(section, message.substring(0, colon));
        if (s == null) {
            return e;
        }
        final String value = given.getOrDefault(s.key(), s.defaultValue() + " (default)");
        return new IllegalArgumentException(s.key() + " " + value + ": " + message, e);
    }

    /**
     * The setting whose field a validation message names, looked up within {@code section} ({@code null}: all), or
     * {@code null} when none or several match.
     */
    static Setting settingOfField(Setting.Section<?, ?> section, String field) {
        final List<Setting> found = Setting.ALL.stream()
                .filter(s -> (section == null || s.section() == section) && s.fieldName().equals(field)).toList();
        return found.size() == 1 ? found.get(0) : null;
    }

    private static Properties readProperties(Path file) {
        final Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("config file " + file + ": cannot read it (" + e + ')', e);
        }
        return props;
    }

    private static CommandSpec commandSpec() {
        final CommandSpec spec = CommandSpec.create();
        spec.name("switchboard"); // bin/switchboard, the launcher
        spec.usageMessage().description(
                "Switchboard: a WebSocket chat gateway. Clients connect to ws://HOST:PORT/pinter/imserver/{userId}"
                + " (wss:// with --tls-cert).",
                "Settings, in increasing priority: defaults, --config FILE (properties, keys as below),",
                "SWITCHBOARD_* environment variables (e.g. SWITCHBOARD_IDLE_TIMEOUT), flags.");
        spec.mixinStandardHelpOptions(false);
        spec.usageMessage().sortOptions(false);
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help and exit.")
                                 .build());
        spec.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
                                 .description("A properties file of settings (key=value).").build());
        for (Setting s : Setting.ALL) {
            spec.addOption(OptionSpec.builder(s.flag()).paramLabel("VALUE").type(String.class)
                                     .description(s.description() + " Default: " + s.defaultValue() + ". Env: "
                                                  + s.env() + '.')
                                     .build());
        }
        return spec;
    }

    private static String usage(CommandLine cli) {
        final StringWriter out = new StringWriter();
        cli.setUsageHelpWidth(120);
        cli.usage(new PrintWriter(out));
        return out.toString();
    }

    private static String readSecret(Path file, String variable) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(variable + ": cannot read " + file + " (" + e + ')', e);
        }
    }

    static boolean parseBoolean(String v) {
        final String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("yes") || s.equals("on")) {
            return true;
        }
        if (s.equals("false") || s.equals("no") || s.equals("off")) {
            return false;
        }
        throw new IllegalArgumentException("is not true or false");
    }

    static List<String> parseList(String v) {
        final List<String> out = new ArrayList<>();
        // "none" and "any" are how --help shows an empty list.
        if ("none".equalsIgnoreCase(v.trim()) || "any".equalsIgnoreCase(v.trim())) {
            return out;
        }
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    static List<java.net.URI> parseUris(String v) {
        final List<java.net.URI> out = new ArrayList<>();
        for (String part : parseList(v)) {
            try {
                out.add(new java.net.URI(part));
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("is not a list of URLs (" + e.getMessage() + ')');
            }
        }
        return out;
    }

    static Path parsePath(String v) {
        return v.isBlank() || "none".equalsIgnoreCase(v.trim()) ? null : Path.of(v.trim());
    }

    /** {@code none}, the shown default of an unset secret, reads back as unset. */
    static String noneAsEmpty(String v) {
        return "none".equalsIgnoreCase(v.trim()) ? "" : v;
    }

    static int parseInt(String v) {
        try {
            return Integer.parseInt(v.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
    }

    static int parseBytes(String v) {
        final String s = v.trim();
        final String lower = s.toLowerCase(Locale.ROOT);
        long factor = 1;
        String digits = s;
        if (lower.endsWith("kib") || lower.endsWith("k")) {
            factor = 1024;
            digits = s.substring(0, s.length() - (lower.endsWith("kib") ? 3 : 1));
        } else if (lower.endsWith("mib") || lower.endsWith("m")) {
            factor = 1024 * 1024;
            digits = s.substring(0, s.length() - (lower.endsWith("mib") ? 3 : 1));
        }
        final long n;
        try {
            n = Long.parseLong(digits.trim()) * factor;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a size (e.g. 65536, 64KiB, 1MiB)");
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("is too large");
        }
        return (int) n;
    }

    static Duration parseDuration(String v) {
        final String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            final long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
            switch (s.charAt(s.length() - 1)) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                default: break;
            }
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("is not a duration (e.g. 500ms, 30s, 5m, 1h, PT30S)");
    }

    static GatewayConfig.Cluster.Mode parseMode(String v) {
        try {
            return GatewayConfig.Cluster.Mode.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a cluster mode (none, redis)");
        }
    }

    /** For tests and tools: the keys of every setting, in {@code --help} order. */
    static List<String> keys() {
        final List<String> keys = new ArrayList<>();
        for (Setting s : Setting.ALL) {
            keys.add(s.key());
        }
        return keys;
    }

    static Setting setting(String key) {
        return find(key).orElseThrow();
    }

    private static Optional<Setting> find(String key) {
        requireNonNull(key, "key");
        return Setting.ALL.stream().filter(s -> s.key().equals(key)).findFirst();
    }
}

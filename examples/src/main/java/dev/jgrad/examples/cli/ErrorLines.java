package dev.jgrad.examples.cli;

import java.util.List;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one line a failed command prints: its name once, then what went wrong, and for a misspelt
 * command or option the names it was probably meant to be.
 */
public final class ErrorLines {
    private ErrorLines() {
    }

    /** {@code command: message}, without doubling a prefix the message already has. */
    public static String prefixed(String command, String message) {
        return message.startsWith(command + ": ") ? message : command + ": " + message;
    }

    /** Whether {@code typed} is plausibly a slip for {@code name}: its beginning, or at most two edits away. */
    static boolean looksLike(String typed, String name) {
        String t = typed.replaceFirst("^-+", "");
        String n = name.replaceFirst("^-+", "");
        return (t.length() >= 3 && n.startsWith(t)) || (t.length() >= 4 && editDistance(t, n) <= 2);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * A usage error's message: for an unknown command or option, {@code unknown option '--epoch'}
     * with the close names picocli suggests ({@code (did you mean --epochs?)}) or a pointer to
     * {@code --help}; otherwise picocli's message and that pointer.
     */
    public static String usageError(ParameterException ex) {
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.isUnknownOption()
                    ? u.getUnmatched().stream().filter(a -> a.startsWith("-")).findFirst().orElse(u.getUnmatched().get(0))
                    : u.getUnmatched().get(0);
            List<String> suggestions = u.getSuggestions().stream().filter(s -> looksLike(first, s)).toList();
            String what = u.isUnknownOption() || first.startsWith("-") ? "unknown option"
                    : u.getCommandLine().getSubcommands().isEmpty() ? "unexpected argument" : "unknown command";
            return what + " '" + first + "'" + (suggestions.isEmpty() ? " (try --help)"
                    : " (did you mean " + String.join(" or ", suggestions) + "?)");
        }
        return ex.getMessage() + " (try --help)";
    }
}

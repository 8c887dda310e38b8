package dev.mds.connector.sheets.internal;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Airbyte's {@code names_conversion} with its default options: {@code "Monthly Seat Price"} becomes
 * {@code monthly_seat_price}, {@code "1MyName"} becomes {@code _1_my_name}. Words are runs of capitals followed by
 * small letters, runs of small letters, or runs of digits; anything else separates words (at the start and the end it
 * leaves an underscore, as Airbyte does). Letters are first transliterated as unidecode does for Latin (accents
 * dropped, {@code ß} to {@code ss}) and Cyrillic ({@code прівит світ} to {@code privit_svit}); Airbyte's unidecode
 * covers every script, here letters of other scripts are separators.
 */
public final class NameConversion {
    private static final Pattern TOKEN = Pattern.compile("[A-Z]+[a-z]*|[a-z]+|[0-9]+|([^a-zA-Z0-9]+)");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    private static final Map<Character, String> LATIN = Map.ofEntries(Map.entry('ß', "ss"), Map.entry('æ', "ae"),
            Map.entry('Æ', "AE"), Map.entry('ø', "o"), Map.entry('Ø', "O"), Map.entry('œ', "oe"), Map.entry('Œ', "OE"),
            Map.entry('ł', "l"), Map.entry('Ł', "L"), Map.entry('đ', "d"), Map.entry('Đ', "D"), Map.entry('þ', "th"),
            Map.entry('Þ', "Th"), Map.entry('ð', "d"), Map.entry('Ð', "D"), Map.entry('ı', "i"));
    /** unidecode's Cyrillic, lower case: а..я, then ё і ї є ґ ў. */
    private static final String[] CYRILLIC = {"a", "b", "v", "g", "d", "e", "zh", "z", "i", "i", "k", "l", "m", "n",
        "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "\"", "y", "'", "e", "iu", "ia"};
    private static final Map<Character, String> CYRILLIC_MORE = Map.of('ё', "io", 'і', "i", 'ї', "i", 'є', "ie",
            'ґ', "g", 'ў', "u");

    private NameConversion() {
    }

    /** The converted name; empty when nothing of it is a letter or a digit (the caller reports that). */
    public static String convert(String text) {
        String ascii = transliterate(text);
        List<String> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(ascii);
        while (m.find()) {
            tokens.add(m.group(1) == null ? m.group() : "");
        }
        if (tokens.size() >= 3) {
            List<String> kept = new ArrayList<>();
            kept.add(tokens.get(0));
            for (String t : tokens.subList(1, tokens.size() - 1)) {
                if (!t.isEmpty()) {
                    kept.add(t);
                }
            }
            kept.add(tokens.get(tokens.size() - 1));
            tokens = kept;
        }
        if (!tokens.isEmpty() && !tokens.get(0).isEmpty() && Character.isDigit(tokens.get(0).charAt(0))) {
            tokens.add(0, "");
        }
        String joined = String.join("_", tokens).toLowerCase(Locale.ROOT);
        return joined.chars().allMatch(c -> c == '_') ? "" : joined;
    }

    private static String transliterate(String text) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String mapped = LATIN.get(c);
            if (mapped == null) {
                mapped = cyrillic(c);
            }
            s.append(mapped != null ? mapped : String.valueOf(c));
        }
        return MARKS.matcher(Normalizer.normalize(s, Normalizer.Form.NFKD)).replaceAll("");
    }

    private static String cyrillic(char c) {
        char lower = Character.toLowerCase(c);
        String t = lower >= 'а' && lower <= 'я' ? CYRILLIC[lower - 'а'] : CYRILLIC_MORE.get(lower);
        if (t == null || lower == c || t.isEmpty() || !Character.isLetter(t.charAt(0))) {
            return t;
        }
        return Character.toUpperCase(t.charAt(0)) + t.substring(1);
    }
}

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
 * leaves an underscore, as Airbyte does). Accented letters lose their accents first; Airbyte transliterates all of
 * Unicode (unidecode), here letters without an ASCII base (other than a few Latin ones) are separators.
 */
public final class NameConversion {
    private static final Pattern TOKEN = Pattern.compile("[A-Z]+[a-z]*|[a-z]+|[0-9]+|([^a-zA-Z0-9]+)");
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    private static final Map<Character, String> LATIN = Map.ofEntries(Map.entry('ß', "ss"), Map.entry('æ', "ae"),
            Map.entry('Æ', "AE"), Map.entry('ø', "o"), Map.entry('Ø', "O"), Map.entry('œ', "oe"), Map.entry('Œ', "OE"),
            Map.entry('ł', "l"), Map.entry('Ł', "L"), Map.entry('đ', "d"), Map.entry('Đ', "D"), Map.entry('þ', "th"),
            Map.entry('Þ', "Th"), Map.entry('ð', "d"), Map.entry('Ð', "D"), Map.entry('ı', "i"));

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
        String decomposed = MARKS.matcher(Normalizer.normalize(text, Normalizer.Form.NFKD)).replaceAll("");
        StringBuilder s = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); i++) {
            char c = decomposed.charAt(i);
            String mapped = LATIN.get(c);
            s.append(mapped != null ? mapped : String.valueOf(c));
        }
        return s.toString();
    }
}

package dev.mds.connector.csv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mds.core.BadInputException;
import dev.mds.core.Record;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file whose first bytes are the byte-order mark of another encoding than the declared one is refused at line 1,
 * saying which encoding the mark belongs to, instead of being read as text in the declared encoding: there the mark
 * becomes part of the first column's name ({@code ï»¿id}), or (UTF-16 of the other byte order) every character
 * becomes another one and the whole file one header line of one column, with no records.
 */
class CsvByteOrderMarkTest {
    private static final String TEXT = "\uFEFFid,name\n1,Ann\n2,Bob\n";

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static void refused(Path file, Charset declared, String... expected) {
        assertThatThrownBy(() -> Read.batches(CsvSource.builder().path(file).encoding(declared)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining(file.getFileName() + " line 1")
                .hasMessageContainingAll(expected);
    }

    @Test
    void aByteOrderMarkOfAnotherEncodingThanTheDeclaredOneIsRefusedAtLineOne() throws Exception {
        Path utf8 = write("utf8_bom.csv", TEXT.getBytes(StandardCharsets.UTF_8));
        refused(utf8, StandardCharsets.ISO_8859_1, "UTF-8 byte-order mark", "ISO-8859-1", "encoding(");
        refused(utf8, Charset.forName("windows-1252"), "UTF-8 byte-order mark", "windows-1252");

        Path utf16be = write("utf16be_bom.csv", TEXT.getBytes(StandardCharsets.UTF_16BE));
        refused(utf16be, StandardCharsets.UTF_16LE, "UTF-16BE byte-order mark", "UTF-16LE");
        refused(utf16be, StandardCharsets.ISO_8859_1, "UTF-16BE byte-order mark");
        Path utf16le = write("utf16le_bom.csv", TEXT.getBytes(StandardCharsets.UTF_16LE));
        refused(utf16le, StandardCharsets.UTF_16BE, "UTF-16LE byte-order mark", "UTF-16BE");
        refused(utf16le, StandardCharsets.UTF_8, "UTF-16LE byte-order mark");

        // the mark of the declared encoding is dropped as before, and UTF-16 follows either mark
        List<Record> expected = List.of(Record.of(1L, "Ann"), Record.of(2L, "Bob"));
        assertThat(Read.records(CsvSource.builder().path(utf8))).isEqualTo(expected);
        assertThat(Read.records(CsvSource.builder().path(utf16be).encoding(StandardCharsets.UTF_16BE)))
                .isEqualTo(expected);
        assertThat(Read.records(CsvSource.builder().path(utf16le).encoding(StandardCharsets.UTF_16LE)))
                .isEqualTo(expected);
        assertThat(Read.records(CsvSource.builder().path(utf16le).encoding(StandardCharsets.UTF_16)))
                .isEqualTo(expected);
        // keepByteOrderMark(true) keeps a UTF-8 mark as data in a single-byte encoding, as asked
        assertThat(Read.batches(CsvSource.builder().path(utf8).encoding(StandardCharsets.ISO_8859_1)
                .keepByteOrderMark(true)).get(0).schema().names()).containsExactly("\u00EF\u00BB\u00BFid", "name");
    }

    @Test
    void aUtf8OrUtf32ByteOrderMarkUnderAUtf16EncodingIsRefusedAtLineOneNotReadAsOneColumnOfOtherCharacters()
            throws Exception {
        // even lengths, so that every byte decodes: before, each gave one header column of CJK characters, no record
        Path utf8 = write("utf8_bom.csv", (TEXT + "\n").getBytes(StandardCharsets.UTF_8));
        refused(utf8, StandardCharsets.UTF_16LE, "UTF-8 byte-order mark (EF BB BF)", "UTF-16LE",
                "encoding(StandardCharsets.UTF_8)");
        refused(utf8, StandardCharsets.UTF_16BE, "UTF-8 byte-order mark", "UTF-16BE");
        refused(utf8, StandardCharsets.UTF_16, "UTF-8 byte-order mark", "UTF-16");
        Path utf32le = write("utf32le_bom.csv", TEXT.getBytes(Charset.forName("UTF-32LE")));
        refused(utf32le, StandardCharsets.UTF_16LE, "UTF-32LE byte-order mark (FF FE 00 00)", "UTF-32LE");
        Path utf32be = write("utf32be_bom.csv", TEXT.getBytes(Charset.forName("UTF-32BE")));
        refused(utf32be, StandardCharsets.UTF_16, "UTF-32BE byte-order mark (00 00 FE FF)", "UTF-32BE");
        Path utf16le = write("utf16le_bom.csv", TEXT.getBytes(StandardCharsets.UTF_16LE));
        refused(utf16le, Charset.forName("UTF-32"), "UTF-16LE byte-order mark (FF FE)", "UTF_16LE");

        // the declared encoding's own marks are read as before
        List<Record> expected = List.of(Record.of(1L, "Ann"), Record.of(2L, "Bob"));
        assertThat(Read.records(CsvSource.builder().path(utf32le).encoding(Charset.forName("UTF-32"))))
                .isEqualTo(expected);
        assertThat(Read.records(CsvSource.builder().path(utf32be).encoding(Charset.forName("UTF-32BE"))))
                .isEqualTo(expected);
        assertThat(Read.records(CsvSource.builder().path(utf16le).encoding(StandardCharsets.UTF_16)))
                .isEqualTo(expected);
    }
}

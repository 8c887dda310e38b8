package dev.mds.connector.csv.internal;

import dev.mds.connector.csv.BadRow;
import dev.mds.core.BadInputException;
import dev.mds.core.InputLocation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes chunk files with the header repeated, copying records byte for byte. Each chunk is written to a hidden
 * temporary file, forced to disk and then renamed atomically, so a file with a chunk's name is always complete;
 * chunk files of an earlier split of the same file (same names), and temporary files a crashed split left, are
 * removed before the first new chunk is written, so the directory never mixes two splits.
 */
public final class CsvSplitter {
    private static final Logger LOG = LoggerFactory.getLogger(CsvSplitter.class);
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private CsvSplitter() {
    }

    public static List<Path> split(Format format, Path path, Path directory, int chunkRows) throws IOException {
        Files.createDirectories(directory);
        String fileName = path.getFileName() == null ? "chunk" : path.getFileName().toString();
        String stem = fileName.endsWith(".csv") ? fileName.substring(0, fileName.length() - 4) : fileName;
        List<Path> out = new ArrayList<>();
        try (RecordScanner scanner = new RecordScanner(format, fileName, FileChannel.open(path,
                StandardOpenOption.READ), 0, 1, 1, 1 << 20)) {
            for (byte[] mark : WIDE_MARKS) {
                if (scanner.startsWith(mark)) {
                    throw wide(fileName, "starts with a " + (mark.length == 4 ? "UTF-32" : "UTF-16")
                            + " byte-order mark (" + hex(mark) + ")");
                }
            }
            while (scanner.dropPrefix(UTF8_BOM)) {
                // every mark, as the reader drops them
            }
            Chunk header = scanner.next(1, Long.MAX_VALUE);
            if (header != null) {
                for (int i = header.from(); i < header.to(); i++) {
                    if (header.bytes()[i] == 0) {
                        throw wide(fileName, "holds NUL bytes in its header line, as text in UTF-16 or UTF-32 does");
                    }
                }
            }
            if (header != null && header.records() > 0) {
                // a header with a bare CR line end or a quote it never closes runs to the end of the file: there would
                // be no chunk, as for a file without records, and the loss would go unnoticed (bytes are copied, so
                // they need not be valid UTF-8: a Latin-1 file splits, and its chunks are read in Latin-1)
                List<BadRow> bad = ChunkParser.raw(format, fileName).parse(header).badRows();
                if (!bad.isEmpty()) {
                    throw new BadInputException(bad.get(0).location(), "header: " + bad.get(0).reason()
                            + "; nothing was split");
                }
            }
            byte[] newline = header == null ? null : lineEnd(header);
            byte[] headerBytes = header == null ? null : withLineEnd(header, newline);
            // once the input has opened and its header is known: a wrong path keeps them, a foreign file is refused
            removeEarlierChunks(directory, stem, headerBytes, path);
            if (header == null) {
                return out;
            }
            Chunk c;
            while ((c = scanner.next(chunkRows, Long.MAX_VALUE)) != null) {
                if (c.records() == 0) {
                    continue;
                }
                Path file = directory.resolve(String.format("%s_%05d.csv", stem, out.size() + 1));
                boolean endsLine = c.bytes()[c.to() - 1] == Format.LF;
                writeAtomically(file, headerBytes, ByteBuffer.wrap(c.bytes(), c.from(), c.to() - c.from()),
                        endsLine ? new byte[0] : newline);
                out.add(file);
            }
        }
        syncDirectory(directory);
        LOG.info("split {} into {} files of up to {} records in {}", path, out.size(), chunkRows, directory);
        return out;
    }

    /**
     * Writes the parts to a temporary file next to {@code file}, forces it to disk and renames it to {@code file}
     * in one step: a crash or a failed write (disk full) leaves at most a temporary file, never a partial chunk.
     */
    private static void writeAtomically(Path file, byte[] header, ByteBuffer records, byte[] end) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + TEMP_SUFFIX);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                for (ByteBuffer b : new ByteBuffer[] {ByteBuffer.wrap(header), records, ByteBuffer.wrap(end)}) {
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static final String TEMP_SUFFIX = ".tmp";

    /** The byte-order marks of UTF-32BE, UTF-16BE and UTF-16LE (UTF-32LE's starts with the latter). */
    private static final byte[][] WIDE_MARKS = {{0, 0, (byte) 0xFE, (byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF},
            {(byte) 0xFF, (byte) 0xFE}};

    /** The refusal of an input in UTF-16 or UTF-32, whose records cannot be cut by their bytes. */
    private static BadInputException wide(String fileName, String what) {
        return new BadInputException(InputLocation.of(fileName).withLine(1), "the file " + what + ": split cuts"
                + " records after LF bytes outside quotes, and in UTF-16 or UTF-32 such bytes are parts of characters,"
                + " so the chunks could not be read back; convert the file to UTF-8 first, or read it whole with"
                + " CsvSource.builder().encoding(...); nothing was split");
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02X", b & 0xFF));
        }
        return sb.toString();
    }

    /**
     * Deletes {@code <stem>_<number>.csv} files (an earlier split of the same file, perhaps into more chunks) and the
     * temporary files of an interrupted split. Done first, so that while this split runs, and after it crashed, the
     * directory holds only chunks of this split: a reader never loads a stale chunk along with new ones. A file named
     * like a chunk that does not start with this split's header is not a chunk of this file: it is neither deleted nor
     * overwritten, the split is refused naming it.
     */
    private static void removeEarlierChunks(Path directory, String stem, byte[] header, Path input) throws IOException {
        String chunk = Pattern.quote(stem) + "_\\d{5,}\\.csv";
        Pattern chunks = Pattern.compile(chunk);
        Pattern temps = Pattern.compile("\\." + chunk + Pattern.quote(TEMP_SUFFIX));
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (temps.matcher(name).matches() && Files.isRegularFile(f)) {
                    stale.add(f);
                } else if (chunks.matcher(name).matches()) {
                    if (!Files.isRegularFile(f) || header == null || !startsWith(f, header)) {
                        throw new FileAlreadyExistsException(f.toString(), null, "named like a chunk of " + input
                                + " but not one (it does not start with its header line); the split would replace or"
                                + " delete it: move it, or split into another directory");
                    }
                    stale.add(f);
                }
            }
        }
        for (Path f : stale) {
            Files.delete(f);
        }
        if (!stale.isEmpty()) {
            syncDirectory(directory);
            LOG.info("removed {} chunk files of an earlier split of {} from {}", stale.size(), input, directory);
        }
    }

    private static boolean startsWith(Path file, byte[] prefix) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(prefix.length);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // until the prefix's length or the end of the file
            }
            return !b.hasRemaining() && Arrays.equals(b.array(), prefix);
        }
    }

    /** Makes renames and deletions in {@code directory} durable, where the platform can (not on Windows). */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            LOG.debug("cannot sync directory {}: {}", directory, e.toString());
        }
    }

    private static byte[] lineEnd(Chunk header) {
        byte[] b = header.bytes();
        int to = header.to();
        if (to - header.from() >= 2 && b[to - 1] == Format.LF && b[to - 2] == Format.CR) {
            return new byte[] {Format.CR, Format.LF};
        }
        return new byte[] {Format.LF};
    }

    private static byte[] withLineEnd(Chunk header, byte[] newline) {
        byte[] b = header.bytes();
        int len = header.to() - header.from();
        boolean ends = b[header.to() - 1] == Format.LF;
        byte[] out = new byte[len + (ends ? 0 : newline.length)];
        System.arraycopy(b, header.from(), out, 0, len);
        if (!ends) {
            System.arraycopy(newline, 0, out, len, newline.length);
        }
        return out;
    }
}

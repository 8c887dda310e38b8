package dev.mds.connector.csv.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes chunk files with the header repeated, copying records byte for byte. */
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
        try (RecordScanner scanner = new RecordScanner(format, FileChannel.open(path, StandardOpenOption.READ), 0,
                1, 1, 1 << 20)) {
            scanner.dropPrefix(UTF8_BOM);
            Chunk header = scanner.next(1, Long.MAX_VALUE);
            if (header == null) {
                return out;
            }
            byte[] newline = lineEnd(header);
            byte[] headerBytes = withLineEnd(header, newline);
            Chunk c;
            while ((c = scanner.next(chunkRows, Long.MAX_VALUE)) != null) {
                if (c.records() == 0) {
                    continue;
                }
                Path file = directory.resolve(String.format("%s_%05d.csv", stem, out.size() + 1));
                try (OutputStream os = Files.newOutputStream(file)) {
                    os.write(headerBytes);
                    os.write(c.bytes(), c.from(), c.to() - c.from());
                    if (c.bytes()[c.to() - 1] != Format.LF) {
                        os.write(newline);
                    }
                }
                out.add(file);
            }
        }
        LOG.info("split {} into {} files of up to {} records in {}", path, out.size(), chunkRows, directory);
        return out;
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

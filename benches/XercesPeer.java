// The JDK's built-in Xerces (javax.xml.validation) as a peer for benches/xmllint-compare.sh:
// every schema compiled once, the whole corpus read into memory first, warmed until the JIT
// has settled, then timed in CPU time of the validating thread.
//
// Usage: java benches/XercesPeer.java LIST WARM_SECONDS MEASURE_SECONDS
//   LIST: lines "XSD<TAB>FILE"; prints one summary line and every file judged invalid.

import java.io.ByteArrayInputStream;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

public class XercesPeer {
    /** Counts errors instead of stopping at the first, as xmllint and ijwmo report them all. */
    static final class Count implements ErrorHandler {
        int errors;
        public void warning(SAXParseException e) {}
        public void error(SAXParseException e) { errors++; }
        public void fatalError(SAXParseException e) { errors++; }
    }

    record Item(String file, byte[] bytes, Validator validator, Count count) {}

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        double warm = Double.parseDouble(args[1]);
        double measure = Double.parseDouble(args[2]);
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        Map<String, Validator> validators = new HashMap<>();
        Map<String, Count> counts = new HashMap<>();
        List<Item> corpus = new ArrayList<>();
        long bytes = 0;
        for (String line : lines) {
            String[] parts = line.split("\t");
            Validator v = validators.get(parts[0]);
            if (v == null) {
                Schema schema = factory.newSchema(new File(parts[0]));
                v = schema.newValidator();
                Count c = new Count();
                v.setErrorHandler(c);
                validators.put(parts[0], v);
                counts.put(parts[0], c);
            }
            byte[] b = Files.readAllBytes(Path.of(parts[1]));
            bytes += b.length;
            corpus.add(new Item(parts[1], b, v, counts.get(parts[0])));
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean[] invalid = new boolean[corpus.size()];
        long start = mx.getCurrentThreadCpuTime();
        while (mx.getCurrentThreadCpuTime() - start < (long) (warm * 1e9)) {
            pass(corpus, invalid);
        }
        int passes = 0;
        start = mx.getCurrentThreadCpuTime();
        long used;
        do {
            pass(corpus, invalid);
            passes++;
            used = mx.getCurrentThreadCpuTime() - start;
        } while (used < (long) (measure * 1e9));
        double seconds = used / 1e9;
        double perPass = seconds / passes;
        int bad = 0;
        for (boolean i : invalid) if (i) bad++;
        System.out.printf("xerces files=%d bytes=%d passes=%d cpu_s_per_pass=%.4f files_per_s=%.0f invalid=%d%n",
                corpus.size(), bytes, passes, perPass, corpus.size() / perPass, bad);
        for (int i = 0; i < corpus.size(); i++) {
            if (invalid[i]) System.out.println("invalid\t" + corpus.get(i).file());
        }
    }

    static void pass(List<Item> corpus, boolean[] invalid) throws Exception {
        for (int i = 0; i < corpus.size(); i++) {
            Item it = corpus.get(i);
            it.count().errors = 0;
            try {
                it.validator().validate(new StreamSource(new ByteArrayInputStream(it.bytes())));
            } catch (SAXParseException e) {
                it.count().errors++;
            }
            invalid[i] = it.count().errors > 0;
        }
    }
}

// Run the HermiT reasoner (the HermiT.jar that owlready2 ships, with the OWL API 3.4.3
// bundled in it, behind owlready2's few patched HermiT classes) on each ontology file
// given, one after the other in one JVM. Imports are not followed: nothing is fetched.
// Unsupported datatypes are reported, not ignored in silence.
//
// Prints, one per line, for each file: "file: FILE", "format: F" (the parser that read
// it), "triples: N" (the RDF triples it read), "unparsed: T" (a triple it could not map to
// OWL), "axioms: N", "warning: W" (HermiT), "consistent: true|false", and when consistent
// "unsatisfiable: C" (a class equivalent to owl:Nothing), "subclass: C D" (every named
// superclass D of every class C, entailed or asserted) and "type: I C" (every named class C
// of every named individual I). Exits 0.
//
// Compile: javac -cp owlready2/hermit/HermiT.jar -d . HermitReason.java
// Usage: java -cp "owlready2/hermit:owlready2/hermit/HermiT.jar:." HermitReason FILE...

import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.RDFOntologyFormat;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLNamedIndividual;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyFormat;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;

public final class HermitReason {
    public static void main(String[] args) throws Exception {
        for (String file : args) {
            System.out.println("file: " + file);
            reason(file);
        }
    }

    private static void reason(String file) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(
            new FileDocumentSource(new File(file)), config);
        OWLOntologyFormat format = manager.getOntologyFormat(ontology);
        System.out.println("format: " + format.getClass().getSimpleName());
        if (format instanceof RDFOntologyFormat) {
            RDFParserMetaData meta = ((RDFOntologyFormat) format).getOntologyLoaderMetaData();
            System.out.println("triples: " + meta.getTripleCount());
            for (RDFTriple triple : meta.getUnparsedTriples()) {
                System.out.println("unparsed: " + triple.toString().replace('\n', ' '));
            }
        }
        System.out.println("axioms: " + ontology.getAxiomCount());
        final List<String> warnings = new ArrayList<String>();
        Configuration configuration = new Configuration();
        configuration.ignoreUnsupportedDatatypes = true;  // reported below, so listed in full
        configuration.throwInconsistentOntologyException = false;
        configuration.warningMonitor = new Configuration.WarningMonitor() {
            public void warning(String warning) {
                warnings.add(warning);
            }
        };
        Reasoner reasoner = new Reasoner(configuration, ontology);
        boolean consistent = reasoner.isConsistent();
        for (String warning : warnings) {
            System.out.println("warning: " + warning.replace('\n', ' '));
        }
        System.out.println("consistent: " + consistent);
        if (consistent) {
            entailments(reasoner, ontology);
        }
        reasoner.dispose();
    }

    private static void entailments(Reasoner reasoner, OWLOntology ontology) {
        List<String> lines = new ArrayList<String>();
        for (OWLClass unsatisfiable : reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()) {
            lines.add("unsatisfiable: " + unsatisfiable.getIRI());
        }
        for (OWLClass cls : ontology.getClassesInSignature()) {
            for (OWLClass sup : reasoner.getSuperClasses(cls, false).getFlattened()) {
                if (!sup.isOWLThing()) {
                    lines.add("subclass: " + cls.getIRI() + " " + sup.getIRI());
                }
            }
        }
        for (OWLNamedIndividual individual : ontology.getIndividualsInSignature()) {
            for (OWLClass type : reasoner.getTypes(individual, false).getFlattened()) {
                if (!type.isOWLThing()) {
                    lines.add("type: " + individual.getIRI() + " " + type.getIRI());
                }
            }
        }
        Collections.sort(lines);
        for (String line : lines) {
            System.out.println(line);
        }
    }
}

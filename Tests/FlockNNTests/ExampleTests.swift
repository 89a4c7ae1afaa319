import Foundation
import Testing

@testable import FlockExamples
@testable import FlockNN

@Suite("Examples on shortened runs")
struct ExampleTests {
    @Test("LeNet on digits learns (>= 85% after 4 epochs)")
    func lenet() throws {
        let accuracy = try GlobalRandom.withScope(seed: 0) {
            try LeNetDigits.run(epochs: 4, showProgress: false)  // the digits built into the binary
        }
        #expect(accuracy >= 0.85, "accuracy \(accuracy)")
    }

    @Test("the character transformer's loss falls well below the unigram baseline")
    func characterModel() throws {
        let report = try CharTransformer.run(
            textPath: dataFolder + "/gpl-3.0.txt", steps: 120, batch: 8, context: 16, log: false)
        #expect(report.finalLoss < report.unigramLoss - 0.3, "final \(report.finalLoss), unigram \(report.unigramLoss)")
        #expect(report.initialLoss > report.finalLoss + 0.5)
    }

    @Test("the data built into the binary is Data/ verbatim (run Scripts/embed-data after changing Data/)")
    func embeddedData() throws {
        #expect(EmbeddedData.digitsCSV == (try String(contentsOfFile: dataFolder + "/digits.csv", encoding: .utf8)))
        #expect(EmbeddedData.gplText == (try String(contentsOfFile: dataFolder + "/gpl-3.0.txt", encoding: .utf8)))
        #expect(EmbeddedData.wineCSV == (try String(contentsOfFile: dataFolder + "/wine.csv", encoding: .utf8)))
    }
}

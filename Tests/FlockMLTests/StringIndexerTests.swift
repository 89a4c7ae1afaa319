import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("StringIndexer")
struct StringIndexerTests {
    static let frame: DataFrame = {
        let colors: [String?] = ["red", "blue", "red", "green", "blue", "red", "amber", "green"]
        // Invariant: one column.
        return DataFrame(try! RecordBatch(names: ["color"], columns: [Column(colors)]))
    }()

    static func indices(_ frame: DataFrame, _ column: String = "index") throws -> [Double?] {
        let batch = try frame.collect()
        return try (0..<batch.rowCount).map { row in
            guard case .double(let value)? = try batch.column(column)[row] else { return nil }
            return value
        }
    }

    @Test("the most frequent value gets 0; ties in ascending order; every row indexed")
    func order() throws {
        let model = try StringIndexer(inputColumn: "color", outputColumn: "index").fit(Self.frame)
        #expect(model.labels == ["red", "blue", "green", "amber"])
        #expect(try Self.indices(try model.transform(Self.frame)) == [0, 1, 0, 2, 1, 0, 3, 2])
        let categorical = DataFrame(
            try RecordBatch(names: ["color"], columns: [Column(categorical: ["b", "a", "b", nil])]))
        #expect(try StringIndexer(inputColumn: "color", outputColumn: "index").fit(categorical).labels == ["b", "a"])
    }

    @Test("unseen values and nulls: an error naming the value and the row, skipped rows, or the next index")
    func invalid() throws {
        let model = try StringIndexer(inputColumn: "color", outputColumn: "index").fit(Self.frame)
        let other = DataFrame(
            try RecordBatch(
                names: ["color", "n"],
                columns: [Column(["blue", "violet", nil, "red"]), Column([1, 2, 3, 4] as [Int64?])]))
        do {
            _ = try model.transform(other)
            Issue.record("an unseen value was accepted")
        } catch let error as MLError {
            #expect("\(error)".contains("\"violet\" at row 1"))
        }
        let skipped = try StringIndexerModel(
            inputColumn: "color", outputColumn: "index", labels: model.labels, handleInvalid: .skip
        ).transform(other)
        #expect(try Self.indices(skipped) == [1, 0])
        #expect(try skipped.collect().column("n") == Column([1, 4] as [Int64?]))
        let kept = try StringIndexerModel(
            inputColumn: "color", outputColumn: "index", labels: model.labels, handleInvalid: .keep
        ).transform(other)
        #expect(try Self.indices(kept) == [1, 4, 4, 0])
        #expect(throws: MLError.self) {
            try StringIndexer(inputColumn: "x", outputColumn: "i").fit(
                DataFrame(try RecordBatch(names: ["x"], columns: [Column([1.5] as [Double?])])))
        }
    }

    @Test("a text label indexed, then a classifier, as one pipeline; saved and loaded alike")
    func pipeline() throws {
        let names = ["setosa", "versicolor", "virginica"]
        let rows = 90
        var random = RandomStream(seed: 4)
        var (x, label): ([Double?], [String?]) = ([], [])
        for i in 0..<rows {
            x.append(Double(i % 3) * 5 + random.unit())
            label.append(names[i % 3])
        }
        let frame = DataFrame(try RecordBatch(names: ["x", "species"], columns: [Column(x), Column(label)]))
        let model = try Pipeline(stages: [
            StringIndexer(inputColumn: "species", outputColumn: "label"),
            LogisticRegression(featureColumns: ["x"], labelColumn: "label", regParam: 0.001),
        ]).fit(frame)
        let scored = try model.transform(frame)
        #expect(try MulticlassClassificationEvaluator(metric: .accuracy).evaluate(scored) == 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flock-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        #expect(try ModelFile.loadPipeline(from: path).transform(frame).collect() == scored.collect())
    }
}

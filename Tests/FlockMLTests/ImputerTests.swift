import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Imputer")
struct ImputerTests {
    static let frame: DataFrame = {
        // Invariant: the columns have equal lengths.
        try! DataFrame(
            RecordBatch(
                names: ["a", "b"],
                columns: [
                    Column([1, nil, 3, .nan, 4, 4] as [Double?]), Column([-1, 2, -1, 2, 10, -1] as [Double?]),
                ]))
    }()

    @Test("mean, median and mode fill nulls, NaN and the missing value")
    func strategies() throws {
        func filled(_ strategy: Imputer.Strategy, _ missing: Double? = nil) throws -> [[Double]] {
            let model = try Imputer(inputColumns: ["a", "b"], strategy: strategy, missingValue: missing).fit(Self.frame)
            let out = try model.transform(Self.frame)
            return [
                try GradientBoostingTests.values(out, "a_imputed"), try GradientBoostingTests.values(out, "b_imputed"),
            ]
        }
        #expect(try filled(.mean) == [[1, 3, 3, 3, 4, 4], [-1, 2, -1, 2, 10, -1]])
        // a: 1, 3, 4, 4 -> lower middle 3; b without -1: 2, 2, 10 -> 2.
        #expect(try filled(.median, -1) == [[1, 3, 3, 3, 4, 4], [2, 2, 2, 2, 10, 2]])
        // Modes: a 4; b without -1: 2 (twice).
        #expect(try filled(.mode, -1) == [[1, 4, 3, 4, 4, 4], [2, 2, 2, 2, 10, 2]])
    }

    @Test("a column with nothing to learn from is a clear error; a fitted model saves and loads")
    func errorsAndFiles() throws {
        let empty = DataFrame(try RecordBatch(names: ["a"], columns: [Column([nil, .nan] as [Double?])]))
        #expect(throws: MLError.self) { try Imputer(inputColumns: ["a"]).fit(empty) }
        let model = try Imputer(inputColumns: ["a"], strategy: .median).fit(Self.frame)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flock-imputer-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        #expect(try ModelFile.load(ImputerModel.self, from: path) == model)
    }
}

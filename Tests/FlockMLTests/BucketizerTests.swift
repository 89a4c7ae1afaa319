import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Bucketizer and QuantileDiscretizer")
struct BucketizerTests {
    static func frame(_ x: [Double?]) throws -> DataFrame {
        DataFrame(try RecordBatch(names: ["x"], columns: [Column(x)]))
    }

    @Test("buckets are [s_i, s_(i+1)), the last closed; missing values kept, skipped or refused")
    func buckets() throws {
        let values: [Double?] = [-5, 0, 5, 10, 20, nil, .nan]
        let keep = Bucketizer(inputColumns: ["x"], splits: [[-.infinity, 0, 10, .infinity]], handleInvalid: .keep)
        #expect(
            try GradientBoostingTests.values(try keep.transform(try Self.frame(values)), "x_bucket") == [
                0, 1, 1, 2, 2, 3, 3,
            ])
        let skip = Bucketizer(inputColumns: ["x"], splits: [[-.infinity, 0, 10, .infinity]], handleInvalid: .skip)
        let skipped = try skip.transform(try Self.frame(values))
        #expect(try GradientBoostingTests.values(skipped, "x") == [-5, 0, 5, 10, 20])
        #expect(try GradientBoostingTests.values(skipped, "x_bucket") == [0, 1, 1, 2, 2])
        let closed = Bucketizer(inputColumns: ["x"], splits: [[0, 1, 2]])
        #expect(
            try GradientBoostingTests.values(try closed.transform(try Self.frame([0, 0.5, 1, 2])), "x_bucket") == [
                0, 0, 1, 1,
            ])
        #expect(throws: MLError.self) { try closed.transform(try Self.frame([2.5])) }
        #expect(throws: MLError.self) { try closed.transform(try Self.frame([nil])) }
        #expect(throws: MLError.self) {
            try Bucketizer(inputColumns: ["x"], splits: [[0, 0, 1]]).transform(try Self.frame([0]))
        }
    }

    @Test("quantile splits give about equal buckets and put every value where the tree bins put it")
    func quantiles() throws {
        var random = RandomStream(seed: 12)
        let values = (0..<1_000).map { _ in random.normal() }
        let model = try QuantileDiscretizer(inputColumns: ["x"], numBuckets: 4).fit(try Self.frame(values))
        let buckets = try GradientBoostingTests.values(try model.transform(try Self.frame(values)), "x_bucket")
        var counts = [Int](repeating: 0, count: 4)
        for bucket in buckets { counts[Int(bucket)] += 1 }
        #expect(counts.allSatisfy { (240...260).contains($0) }, "\(counts)")
        let binning = FeatureBinning(columns: [values], maxBins: 4, seed: 1)
        #expect(zip(values, buckets).allSatisfy { Double(binning.bin($0, feature: 0)) == $1 })
        // Fewer distinct values than buckets: one bucket per value.
        let few = try QuantileDiscretizer(inputColumns: ["x"], numBuckets: 10).fit(try Self.frame([1, 2, 2, 3]))
        #expect(few.splits[0].count == 4)
        #expect(throws: MLError.self) {
            try QuantileDiscretizer(inputColumns: ["x"], numBuckets: 1).fit(try Self.frame([1]))
        }
    }

    @Test("a fitted discretizer saves and loads inside a pipeline")
    func saveLoad() throws {
        let frame = try Self.frame((0..<100).map { Double($0) })
        let pipeline = try Pipeline(stages: [QuantileDiscretizer(inputColumns: ["x"], numBuckets: 5)]).fit(frame)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flock-buckets-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(pipeline, to: path)
        let loaded = try ModelFile.loadPipeline(from: path)
        #expect(
            try GradientBoostingTests.values(try loaded.transform(frame), "x_bucket")
                == (try GradientBoostingTests.values(try pipeline.transform(frame), "x_bucket")))
    }
}

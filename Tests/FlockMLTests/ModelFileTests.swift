import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Saving and loading fitted models")
struct ModelFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("flock-ml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let frame: DataFrame = {
        let xs: [Double?] = (0..<500).map { Double($0 % 37) * 0.7 }
        let ys: [Double?] = xs.map { 3 * $0! - 1 + (($0! * 13).truncatingRemainder(dividingBy: 1)) }
        let labels: [Int64?] = xs.map { $0! > 12 ? 1 : 0 }
        // Invariant: equal column lengths.
        return DataFrame(
            try! RecordBatch(names: ["x", "y", "label"], columns: [Column(xs), Column(ys), Column(labels)]))
    }()

    @Test("save then load gives the same model and the same predictions, for every model and a pipeline")
    func roundTrip() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.json").path
        let linear = try LinearRegression(featureColumns: ["x"], labelColumn: "y", regParam: 0.01).fit(Self.frame)
        try ModelFile.save(linear, to: path)
        #expect(try ModelFile.load(LinearRegressionModel.self, from: path) == linear)
        let logistic = try LogisticRegression(featureColumns: ["x"], labelColumn: "label").fit(Self.frame)
        try ModelFile.save(logistic, to: path)
        #expect(try ModelFile.load(LogisticRegressionModel.self, from: path) == logistic)
        let kmeans = try KMeans(featureColumns: ["x", "y"], k: 3).fit(Self.frame)
        try ModelFile.save(kmeans, to: path)
        #expect(try ModelFile.load(KMeansModel.self, from: path) == kmeans)
        let pipeline = try Pipeline(stages: [
            StandardScaler(inputColumns: ["x"], withMean: true),
            LinearRegression(featureColumns: ["x_scaled"], labelColumn: "y"),
        ]).fit(Self.frame)
        try ModelFile.save(pipeline, to: path)
        let loaded = try ModelFile.loadPipeline(from: path)
        #expect(try loaded.transform(Self.frame).collect() == pipeline.transform(Self.frame).collect())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.json"])  // No temp file.
    }

    @Test("a truncated file, another model's file, a newer version, a missing file: clear errors")
    func badFiles() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.json").path
        let linear = try LinearRegression(featureColumns: ["x"], labelColumn: "y").fit(Self.frame)
        try ModelFile.save(linear, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        func problem(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem { _ = try ModelFile.load(KMeansModel.self, from: path) }.contains("not a KMeansModel"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(
            problem { _ = try ModelFile.load(LinearRegressionModel.self, from: path) }.contains(
                "not a FlockML model file"))
        let newer = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: "\"version\" : 1", with: "\"version\" : 9")
        try Data(newer.utf8).write(to: URL(fileURLWithPath: path))
        #expect(problem { _ = try ModelFile.load(LinearRegressionModel.self, from: path) }.contains("format version 9"))
        let broken = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"intercept\"", with: "\"icept\"")
        try Data(broken.utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            problem { _ = try ModelFile.load(LinearRegressionModel.self, from: path) }.contains("fields do not read"))
        #expect(problem { _ = try ModelFile.loadPipeline(from: path + ".missing") }.contains("could not be read"))
    }

    @Test("the fuzz seeds load, and arbitrary bytes never crash the decoder")
    func fuzzSeeds() throws {
        let seeds = try #require(MLFuzzing.seeds["model-file"])
        #expect(seeds.count == 4)
        #expect(throws: Never.self) { try ModelFile.decodePipeline(Data(seeds[0]), source: "seed") }
        #expect(throws: Never.self) { try ModelFile.decodePipeline(Data(seeds[3]), source: "seed") }
        #expect(throws: Never.self) {
            try ModelFile.decode(GBTClassificationModel.self, from: Data(seeds[2]), source: "seed")
        }
        var random = RandomStream(seed: 9)
        for seed in seeds {
            for _ in 0..<200 {
                var bytes = seed
                for _ in 0..<3 { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
                MLFuzzing.modelFile(bytes)
            }
        }
        // Workers' statistics: the seeds decode, and mangled ones never crash the merge.
        for seed in try #require(MLFuzzing.seeds["ml-statistics"]) {
            for _ in 0..<200 {
                var bytes = seed
                for _ in 0..<3 { bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next()) }
                MLFuzzing.statistics(bytes)
            }
        }
    }
}

import FlockData
import FlockNN
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

    @Test("arrays are tensors any safetensors reader finds by path; -0, infinities and NaN survive; JSON files load")
    func arraysAsTensors() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.safetensors").path
        let subnormal = Double.leastNormalMagnitude / 3
        let linear = LinearRegressionModel(
            featureColumns: ["a", "b", "c"], predictionColumn: "p", coefficients: [-0.0, 0.1, subnormal],
            intercept: -0.0)
        try ModelFile.save(linear, to: path)
        let (tensors, metadata) = try Safetensors.read(from: path)
        #expect(
            try tensors["model.coefficients"]?.scalars(as: Double.self).map(\.bitPattern) == [
                (-0.0).bitPattern, 0.1.bitPattern, subnormal.bitPattern,
            ])
        #expect(metadata[ModelFile.metadataKey]?.contains("\"$tensor\":\"model.coefficients\"") == true)
        let loaded = try ModelFile.load(LinearRegressionModel.self, from: path)
        #expect(loaded.coefficients.map(\.bitPattern) == linear.coefficients.map(\.bitPattern))
        #expect(loaded.intercept.sign == .minus)
        let buckets = Bucketizer(inputColumns: ["x"], splits: [[-.infinity, 0, 1, .infinity]])
        try ModelFile.save(buckets, to: path)
        #expect(try ModelFile.load(Bucketizer.self, from: path) == buckets)
        #expect(try Safetensors.read(from: path).tensors["model.splits"]?.shape == [1, 4])
        let tree = RegressionTree(
            features: [0], thresholds: [.nan], missingGoesLeft: [true], leftChildren: [~0], rightChildren: [~1],
            gains: [2], leafValues: [-0.1, 0.1])
        let boosted = GBTClassificationModel(
            featureColumns: ["x"], predictionColumn: "prediction", probabilityColumn: "probability",
            ensemble: BoostedTrees(initialScore: 0.2, trees: [tree]), validationLosses: [])
        try ModelFile.save(boosted, to: path)
        let (treeTensors, _) = try Safetensors.read(from: path)
        #expect(treeTensors["model.ensemble.trees.0.leftChildren"]?.dtype == .int64)
        #expect(try ModelFile.load(GBTClassificationModel.self, from: path).ensemble.trees[0].thresholds[0].isNaN)
        // A file of the first format (the model's JSON alone) still loads.
        try ModelFile.encoded(linear).write(to: URL(fileURLWithPath: path))
        #expect(try ModelFile.load(LinearRegressionModel.self, from: path) == linear)
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
        #expect(problem { _ = try ModelFile.load(LinearRegressionModel.self, from: path) }.contains("is damaged"))
        // The model's JSON in the file, edited: a newer version, a renamed field, a missing tensor.
        let (tensors, metadata) = try Safetensors.decode(bytes, path: path)
        let json = try #require(metadata[ModelFile.metadataKey])
        for (edited, problemText) in [
            (json.replacingOccurrences(of: "\"version\":1", with: "\"version\":9"), "format version 9"),
            (json.replacingOccurrences(of: "\"intercept\"", with: "\"icept\""), "fields do not read"),
            (json.replacingOccurrences(of: "model.coefficients", with: "model.weights"), "tensor \"model.weights\""),
            (String(json.dropLast()), "malformed at byte"),
        ] {
            #expect(edited != json)
            try Safetensors.write(
                tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                metadata: [ModelFile.metadataKey: edited], to: path)
            let found = problem { _ = try ModelFile.load(LinearRegressionModel.self, from: path) }
            #expect(found.contains(problemText), "\(found)")
        }
        #expect(problem { _ = try ModelFile.loadPipeline(from: path + ".missing") }.contains("could not be read"))
    }

    @Test("the fuzz seeds load, and arbitrary bytes never crash the decoder")
    func fuzzSeeds() throws {
        let seeds = try #require(MLFuzzing.seeds["model-file"])
        #expect(seeds.count == 5)
        func json(_ seed: [UInt8]) throws -> Data { try ModelFile.envelope(Data(seed), source: "seed") }
        #expect(throws: Never.self) { try ModelFile.decodePipeline(try json(seeds[0]), source: "seed") }
        #expect(throws: Never.self) { try ModelFile.decodePipeline(try json(seeds[3]), source: "seed") }
        #expect(throws: Never.self) {
            try ModelFile.decode(GBTClassificationModel.self, from: try json(seeds[2]), source: "seed")
        }
        #expect(seeds[4].first == UInt8(ascii: "{"))  // The first format, all JSON.
        #expect(throws: Never.self) {
            try ModelFile.decode(LogisticRegressionModel.self, from: try json(seeds[4]), source: "seed")
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

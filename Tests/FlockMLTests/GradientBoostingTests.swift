import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Histogram gradient-boosted trees")
struct GradientBoostingTests {
    /// A frame of float64 columns (nil: null).
    static func frame(_ columns: [String: [Double?]]) throws -> DataFrame {
        let names = columns.keys.sorted()
        return DataFrame(try RecordBatch(names: names, columns: names.map { Column(columns[$0]!) }))
    }

    /// Column `name` of the frame as numbers (NaN for nulls).
    static func values(_ frame: DataFrame, _ name: String) throws -> [Double] {
        try FeatureColumns.read(try frame.collect(), [name])[0]
    }

    /// `rows` rows of two uniform features, a NaN-free label from `label`.
    static func uniform(rows: Int, seed: UInt64, label: (Double, Double) -> Double) throws -> DataFrame {
        var random = RandomStream(seed: seed)
        let x = (0..<rows).map { _ in random.unit() }
        let z = (0..<rows).map { _ in random.unit() }
        return try frame(["x": x, "z": z, "label": zip(x, z).map { label($0, $1) }])
    }

    @Test("bins: one per distinct value when they fit, else about equal counts; NaN in the missing bin")
    func binning() {
        let few = FeatureBinning.upperBounds(of: [3, 1, 2, 2, .nan, 1], maxBins: 255)
        #expect(few == [1.5, 2.5, .infinity])
        let many = (0..<10_000).map { Double($0) }
        let bounds = FeatureBinning.upperBounds(of: many, maxBins: 10)
        #expect(bounds.count == 10)
        let binning = FeatureBinning(columns: [many + [.nan]], maxBins: 10, seed: 1)
        var counts = [Int](repeating: 0, count: 11)
        for value in many + [.nan] { counts[Int(binning.bin(value, feature: 0))] += 1 }
        #expect(counts[10] == 1, "NaN goes to the missing bin")
        #expect(counts[0..<10].allSatisfy { (900...1_100).contains($0) }, "\(counts)")
        // A value at a bound stays in that bin; one just above moves on.
        #expect(binning.bin(bounds[3], feature: 0) == 3)
        #expect(binning.bin(bounds[3].nextUp, feature: 0) == 4)
    }

    @Test("one split of a step recovers the step: the threshold between the sides, leaves the side means")
    func step() throws {
        // x on a grid of 100 values: one bin each, so the cut can fall exactly at the step.
        var random = RandomStream(seed: 3)
        let x = (0..<2_000).map { _ in Double(random.below(100)) / 100 }
        let train = try Self.frame(["x": x, "z": x.map { _ in random.unit() }, "label": x.map { $0 > 0.3 ? 2 : -1 }])
        var parameters = GBTParameters()
        (parameters.maxIter, parameters.maxLeaves, parameters.stepSize) = (1, 2, 1)
        let model = try GBTRegressor(featureColumns: ["x", "z"], parameters: parameters).fit(train)
        let tree = try #require(model.ensemble.trees.first)
        #expect(tree.features == [0])
        let below = try #require(x.filter { $0 <= 0.3 }.max())
        let above = try #require(x.filter { $0 > 0.3 }.min())
        #expect(tree.thresholds[0] >= below && tree.thresholds[0] < above)
        let predictions = try Self.values(
            try model.transform(try Self.frame(["x": [0.1, 0.9], "z": [0.5, 0.5]])), "prediction")
        #expect(abs(predictions[0] - -1) < 1e-9)
        #expect(abs(predictions[1] - 2) < 1e-9)
    }

    @Test("missing values take the branch that fits them, in training and in prediction")
    func missing() throws {
        // Label 1 for x > 0.5 and for missing x.
        var random = RandomStream(seed: 5)
        var x: [Double?] = []
        var label: [Double?] = []
        for i in 0..<3_000 {
            let value = random.unit()
            x.append(i % 5 == 0 ? nil : value)
            label.append(i % 5 == 0 || value > 0.5 ? 1 : 0)
        }
        let model = try GBTClassifier(featureColumns: ["x"]).fit(try Self.frame(["x": x, "label": label]))
        let scored = try Self.values(try model.transform(try Self.frame(["x": [nil, .nan, 0.1, 0.9]])), "prediction")
        #expect(scored == [1, 1, 0, 1])
    }

    @Test("a histogram is the same bits built from rows or as the parent's minus the sibling's")
    func subtraction() throws {
        var random = RandomStream(seed: 11)
        let columns = (0..<3).map { _ in (0..<5_000).map { _ in random.normal() } }
        let binning = FeatureBinning(columns: columns, maxBins: 64, seed: 1)
        let rows = binning.binned(columns)
        let gradients = QuantizedGradients(
            gradients: (0..<5_000).map { _ in random.normal() }, hessians: (0..<5_000).map { _ in random.unit() })
        let limits = TreeLimits(
            maxLeaves: 8, maxDepth: nil, minRowsInLeaf: 20, minHessianInLeaf: 1e-3, l2: 0, minGain: 0)
        let grower = TreeGrower(rows: rows, binning: binning, limits: limits)
        let grown = grower.grow(
            gradients, sample: nil, features: FeatureChoice(tree: [true, true, true]), shrinkage: 1)
        // Each leaf's value is -G/H of exactly its rows' quantized gradients.
        for (leaf, range) in grown.leafRanges.enumerated() {
            var sum = SIMD4<Int64>()
            for i in range { sum &+= QuantizedGradients.entry(gradients.values[Int(grown.order[i])]) }
            let (g, h, count) = gradients.unscaled(sum)
            #expect(count == range.count)
            #expect(grown.tree.leafValues[leaf] == -g / h, "leaf \(leaf)")
        }
        #expect(grown.tree.leafValues.count == 8)
        #expect(Set(grown.order).count == 5_000)
    }

    @Test("breast cancer: mean test accuracy of four folds within one point of scikit-learn's HistGradientBoosting")
    func accuracy() throws {
        let reference = try JSONDecoder().decode(
            [String: Double].self,
            from: Data(contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_gbt.json")))
        var accuracies: [Double] = []
        for fold in 0..<4 {
            let (train, test, features, label) = try LogisticRegressionTests.split("breast_cancer", fold: fold)
            let model = try GBTClassifier(featureColumns: features, labelColumn: label).fit(train)
            accuracies.append(
                try MulticlassClassificationEvaluator(metric: .accuracy, labelColumn: label)
                    .evaluate(try model.transform(test)))
            #expect(abs(model.featureImportances.reduce(0, +) - 1) < 1e-9)
        }
        let accuracy = accuracies.reduce(0, +) / 4
        let theirs = try #require(reference["breast_cancer"])
        #expect(accuracy >= theirs - 0.01, "Flock \(accuracies), scikit-learn's mean \(theirs)")
    }

    @Test("the same model bit for bit on every fit; training loss falls round by round")
    func deterministic() throws {
        let train = try Self.uniform(rows: 4_000, seed: 8) { x, z in sin(6 * x) + z * z }
        var parameters = GBTParameters()
        (parameters.maxIter, parameters.subsamplingRate, parameters.featureSubsetRate) = (30, 0.7, 0.5)
        let first = try GBTRegressor(featureColumns: ["x", "z"], parameters: parameters).fit(train)
        let second = try GBTRegressor(featureColumns: ["x", "z"], parameters: parameters).fit(train)
        #expect(first == second)
        // The training rows as their own validation set: the loss must fall every round.
        let batch = try train.collect()
        let both = DataFrame(
            try RecordBatch(
                names: batch.names + ["held"],
                columns: batch.columns + [Column([Bool?](repeating: true, count: batch.rowCount))]))
        let doubled = try both.union(
            DataFrame(try both.collect().adding("held", Column([Bool?](repeating: false, count: batch.rowCount)))))
        parameters.subsamplingRate = 1
        parameters.featureSubsetRate = 1
        let watched = try GBTRegressor(
            featureColumns: ["x", "z"], validationIndicatorColumn: "held", parameters: parameters
        )
        .fit(doubled)
        let losses = watched.validationLosses
        #expect(losses.count == 30)
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "\(losses)")
    }

    @Test("early stopping keeps the trees up to the best validation round")
    func earlyStopping() throws {
        // Pure noise labels: validation loss stops improving almost at once.
        var random = RandomStream(seed: 21)
        let rows = 3_000
        let frame = try Self.frame([
            "x": (0..<rows).map { _ in random.unit() }, "label": (0..<rows).map { _ in random.below(2) == 0 ? 0 : 1 },
            "held": (0..<rows).map { Double($0 % 3 == 0 ? 1 : 0) },
        ])
        var parameters = GBTParameters()
        (parameters.maxIter, parameters.earlyStoppingRounds) = (200, 5)
        let model = try GBTClassifier(featureColumns: ["x"], validationIndicatorColumn: "held", parameters: parameters)
            .fit(frame)
        let losses = model.validationLosses
        let best = losses.indices.min { losses[$0] < losses[$1] }!
        #expect(losses.count < 200)
        #expect(losses.count == best + 1 + 5)
        #expect(model.ensemble.trees.count == best + 1)
    }

    @Test("save, load, predict gives the same predictions; a broken tree in a file is a clear error")
    func saveLoad() throws {
        let train = try Self.uniform(rows: 1_000, seed: 2) { x, z in x + z > 1 ? 1 : 0 }
        var parameters = GBTParameters()
        parameters.maxIter = 5
        let model = try GBTClassifier(featureColumns: ["x", "z"], parameters: parameters).fit(train)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flock-gbt-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(GBTClassificationModel.self, from: path)
        #expect(loaded == model)
        #expect(
            try Self.values(try model.transform(train), "probability_1")
                == (try Self.values(try loaded.transform(train), "probability_1")))
        // A tree whose node points back at the root would loop forever: refused on load.
        let tree = model.ensemble.trees[0]
        let broken = RegressionTree(
            features: tree.features, thresholds: tree.thresholds, missingGoesLeft: tree.missingGoesLeft,
            leftChildren: [0] + tree.leftChildren.dropFirst(), rightChildren: tree.rightChildren, gains: tree.gains,
            leafValues: tree.leafValues)
        let brokenModel = GBTClassificationModel(
            featureColumns: model.featureColumns, predictionColumn: model.predictionColumn,
            probabilityColumn: model.probabilityColumn,
            ensemble: BoostedTrees(initialScore: model.ensemble.initialScore, trees: [broken]), validationLosses: [])
        try ModelFile.save(brokenModel, to: path)
        #expect(throws: MLError.self) { try ModelFile.load(GBTClassificationModel.self, from: path) }
    }

    @Test("bad input: a third class, one class, a text feature, maxBins out of range")
    func badInput() throws {
        let three = try Self.frame(["x": [1, 2, 3], "label": [0, 1, 2]])
        #expect(throws: MLError.self) { try GBTClassifier(featureColumns: ["x"]).fit(three) }
        let one = try Self.frame(["x": [1, 2, 3], "label": [1, 1, 1]])
        #expect(throws: MLError.self) { try GBTClassifier(featureColumns: ["x"]).fit(one) }
        let text = DataFrame(
            try RecordBatch(
                names: ["x", "label"], columns: [Column(["a", "b"] as [String?]), Column([0, 1] as [Double?])]))
        #expect(throws: MLError.self) { try GBTRegressor(featureColumns: ["x"]).fit(text) }
        var parameters = GBTParameters()
        parameters.maxBins = 256
        #expect(throws: MLError.invalidParameter(name: "maxBins", value: "256", allowed: "an integer <= 255")) {
            try GBTRegressor(featureColumns: ["x"], parameters: parameters).fit(one)
        }
    }
}

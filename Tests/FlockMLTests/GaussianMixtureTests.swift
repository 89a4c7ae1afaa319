import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Gaussian mixture by EM")
struct GaussianMixtureTests {
    /// 30% of the rows around (0, 0) stretched along x, 70% around (6, 6) tilted.
    static func mixture(rows: Int) throws -> DataFrame {
        var random = RandomStream(seed: 21)
        var (xs, ys): ([Double?], [Double?]) = ([], [])
        for i in 0..<rows {
            let (a, b) = (random.normal(), random.normal())
            if i % 10 < 3 {
                xs.append(2 * a)
                ys.append(0.5 * b)
            } else {
                xs.append(6 + a)
                ys.append(6 + 0.8 * a + 0.6 * b)
            }
        }
        return DataFrame(try RecordBatch(names: ["x", "y"], columns: [Column(xs), Column(ys)]))
    }

    @Test("two components: weights, means and covariances recovered; probabilities sum to 1; saved and loaded")
    func recovers() throws {
        let frame = try Self.mixture(rows: 40_000)
        let model = try GaussianMixture(featureColumns: ["x", "y"], k: 2, seed: 5).fit(frame)
        let narrow = model.means[0][0] < 3 ? 0 : 1
        let wide = 1 - narrow
        #expect(abs(model.weights[narrow] - 0.3) < 0.01, "\(model.weights)")
        for (got, want) in zip(model.means[narrow] + model.means[wide], [0.0, 0, 6, 6]) {
            #expect(abs(got - want) < 0.05, "\(model.means)")
        }
        for (got, want) in zip(model.covariances[narrow] + model.covariances[wide], [4.0, 0, 0, 0.25, 1, 0.8, 0.8, 1]) {
            #expect(abs(got - want) < 0.08, "\(model.covariances)")
        }
        let scored = try model.transform(frame).collect()
        let p0 = try FeatureMatrix(scored, columns: ["probability_0", "probability_1"]).values
        for row in stride(from: 0, to: p0.count, by: 2) { #expect(abs(p0[row] + p0[row + 1] - 1) < 1e-12) }
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("gmm-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(GaussianMixtureModel.self, from: saved) == model)
    }

    @Test("the same seed, the same model however the rows are cut; bad parameters named")
    func sameBitsAndBadInput() throws {
        let batch = try Self.mixture(rows: 20_000).collect()
        let models = try [1 << 18, 3_001].map {
            try GaussianMixture(featureColumns: ["x", "y"], k: 3, maxIter: 20).fit(DataFrame(batch, morselRows: $0))
        }
        #expect(models[0] == models[1])
        let frame = DataFrame(batch)
        #expect(throws: MLError.self) { try GaussianMixture(featureColumns: ["x"], k: 0).fit(frame) }
        #expect(throws: MLError.self) { try GaussianMixture(featureColumns: ["x"], regCovar: -1).fit(frame) }
        let constant = DataFrame(try RecordBatch(names: ["x"], columns: [Column([1.0, 1, 1, 1] as [Double?])]))
        #expect(throws: MLError.self) { try GaussianMixture(featureColumns: ["x"], regCovar: 0).fit(constant) }
    }
}

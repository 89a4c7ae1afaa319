import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("PCA and the symmetric eigendecomposition")
struct PCATests {
    @Test("eigenpairs of a 2 x 2 by hand, and of a random 7 x 7: A v = λ v, orthonormal, descending")
    func eigen() {
        let (values, vectors) = SymmetricEigen.decompose([2, 1, 1, 2], n: 2)
        #expect(abs(values[0] - 3) < 1e-14 && abs(values[1] - 1) < 1e-14)
        let h = 0.5.squareRoot()
        #expect(abs(vectors[0][0] - h) < 1e-14 && abs(vectors[0][1] - h) < 1e-14)
        #expect(abs(vectors[1][0] - h) < 1e-14 && abs(vectors[1][1] + h) < 1e-14)
        var random = RandomStream(seed: 9)
        let n = 7
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                a[i * n + j] = random.unit() * 4 - 2
                a[j * n + i] = a[i * n + j]
            }
        }
        let (lambda, v) = SymmetricEigen.decompose(a, n: n)
        #expect(zip(lambda, lambda.dropFirst()).allSatisfy { $0 >= $1 })
        for (i, vector) in v.enumerated() {
            for r in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + a[r * n + $1] * vector[$1] }
                #expect(abs(av - lambda[i] * vector[r]) < 1e-10)
            }
            for (j, other) in v.enumerated() {
                #expect(abs(dot(vector, other) - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test("rows stretched along a known direction: the first component finds it and holds its variance")
    func knownDirection() throws {
        var random = RandomStream(seed: 4)
        let direction = [2.0, -1, 2].map { $0 / 3 }  // A unit vector.
        var columns = [[Double?]](repeating: [], count: 3)
        for _ in 0..<20_000 {
            let along = random.normal() * 10
            for j in 0..<3 { columns[j].append(5 + along * direction[j] + random.normal() * 0.1) }
        }
        let frame = DataFrame(try RecordBatch(names: ["a", "b", "c"], columns: columns.map { Column($0) }))
        let model = try PCA(inputColumns: ["a", "b", "c"], k: 2).fit(frame)
        let first = model.components[0]
        #expect(abs(abs(dot(first, direction)) - 1) < 1e-4, "\(first)")
        #expect(first[0] > 0)  // The largest entry (2/3, first of equals) positive.
        #expect(model.explainedVarianceRatio[0] > 0.99)
        let projected = try model.transform(frame).collect()
        let scores = try FeatureMatrix(projected, columns: ["pca_0"]).values
        let mean = scores.reduce(0, +) / Double(scores.count)
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count - 1)
        #expect(abs(mean) < 1e-9)
        #expect(abs(variance - model.explainedVariance[0]) < 1e-8 * variance)
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("pca-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: saved) }
        try ModelFile.save(model, to: saved)
        #expect(try ModelFile.load(PCAModel.self, from: saved) == model)
        #expect(throws: MLError.self) { try PCA(inputColumns: ["a", "b", "c"], k: 4).fit(frame) }
        #expect(throws: MLError.self) { try PCA(inputColumns: ["a"], k: 0).fit(frame) }
    }

    @Test("iris: the components (up to sign) and explained variances of scikit-learn's PCA")
    func iris() throws {
        struct Reference: Decodable {
            let components: [[Double]]
            let explainedVariance: [Double]
            let explainedVarianceRatio: [Double]

            enum CodingKeys: String, CodingKey {
                case components
                case explainedVariance = "explained_variance"
                case explainedVarianceRatio = "explained_variance_ratio"
            }
        }
        let reference = try JSONDecoder().decode(
            Reference.self,
            from: Data(contentsOf: LogisticRegressionTests.fixtures.appendingPathComponent("sklearn_pca.json")))
        let (train, _, features, _) = try LogisticRegressionTests.split("iris")
        let model = try PCA(inputColumns: features, k: 2).fit(train)
        for (ours, theirs) in zip(model.components, reference.components) {
            let sign = dot(ours, theirs) < 0 ? -1.0 : 1.0
            for (a, b) in zip(ours, theirs) { #expect(abs(a * sign - b) < 1e-9, "\(ours) vs \(theirs)") }
        }
        for (a, b) in zip(model.explainedVariance, reference.explainedVariance) { #expect(abs(a - b) < 1e-9 * b) }
        for (a, b) in zip(model.explainedVarianceRatio, reference.explainedVarianceRatio) { #expect(abs(a - b) < 1e-9) }
    }

    @Test("randomized: the top components and variances of the full decomposition, 60 mixed inputs")
    func randomized() throws {
        var random = RandomStream(seed: 4)
        let (rows, d) = (1_500, 60)
        // Input j has spread 0.9^j, mixed a little into its neighbour: distinct eigenvalues.
        var columns = [[Double?]](repeating: [], count: d)
        for _ in 0..<rows {
            let z = (0..<d).map { random.normal() * pow(0.9, Double($0)) }
            for j in 0..<d { columns[j].append(z[j] + 0.3 * z[(j + 1) % d]) }
        }
        let names = (0..<d).map { "x\($0)" }
        let frame = DataFrame(try RecordBatch(names: names, columns: columns.map { Column($0) }))
        let full = try PCA(inputColumns: names, k: 5, solver: .full).fit(frame)
        let fast = try PCA(inputColumns: names, k: 5, solver: .randomized, seed: 3).fit(frame)
        for c in 0..<5 {
            #expect(abs(fast.explainedVariance[c] - full.explainedVariance[c]) <= 1e-10 * full.explainedVariance[0])
            #expect(abs(fast.explainedVarianceRatio[c] - full.explainedVarianceRatio[c]) <= 1e-10)
            let gap = zip(fast.components[c], full.components[c]).map { abs($0 - $1) }.max()!
            #expect(gap < 1e-7, "component \(c) differs by \(gap)")
        }
        #expect(try PCA(inputColumns: names, k: 5, solver: .randomized, seed: 3).fit(frame) == fast)
    }
}

import FlockData
import Foundation
import Testing

@testable import FlockML

@Suite("Progress lines of long fits")
struct ProgressTests {
    /// Lines a fit reports, kept in order.
    final class Lines: @unchecked Sendable {  // state guarded by `lock`
        private let lock = NSLock()
        private var lines: [String] = []
        var all: [String] { lock.withLock { lines } }
        func add(_ line: String) { lock.withLock { lines.append(line) } }
    }

    @Test("logistic regression reports each L-BFGS iteration; k-means each round and the end; the models unchanged")
    func lines() throws {
        let (train, _, features, label) = try LogisticRegressionTests.split("wine")
        let logged = Lines()
        let logistic = try LogisticRegression(
            featureColumns: features, labelColumn: label, maxIter: 30, progress: logged.add
        ).fit(train)
        #expect(logged.all.count == logistic.iterations || logged.all.count == logistic.iterations - 1)
        #expect(logged.all.first?.hasPrefix("iteration 1/30: loss ") == true, "\(logged.all)")
        #expect(logged.all.allSatisfy { $0.hasSuffix(" s") })
        #expect(
            try LogisticRegression(featureColumns: features, labelColumn: label, maxIter: 30).fit(train) == logistic)
        let rounds = Lines()
        let kmeans = try KMeans(featureColumns: features, k: 3, maxIter: 5, tol: 0, progress: rounds.add).fit(train)
        #expect(rounds.all.count == kmeans.iterations + 1, "\(rounds.all)")
        #expect(
            rounds.all.last?.hasPrefix("done after \(kmeans.iterations) rounds: cost \(kmeans.trainingCost)") == true)
    }

    @Test("the mixture reports each EM round and the end; ALS each round's training RMSE, falling")
    func mixtureAndALS() throws {
        let rounds = Lines()
        let mixture = try GaussianMixture(
            featureColumns: ["x", "y"], k: 2, maxIter: 5, tol: 0, progress: rounds.add
        ).fit(try GaussianMixtureTests.mixture(rows: 2_000))
        #expect(rounds.all.count == mixture.iterations + 1, "\(rounds.all)")
        #expect(rounds.all.last?.hasPrefix("done after \(mixture.iterations) rounds") == true)
        let als = Lines()
        _ = try ALS(rank: 3, maxIter: 4, progress: als.add).fit(try ALSTests.ratings().train)
        let errors = als.all.compactMap { Double($0.split(separator: " ")[4].dropLast()) }
        #expect(errors.count == 4 && zip(errors, errors.dropFirst()).allSatisfy { $0 >= $1 }, "\(als.all)")
    }

    @Test("a forest and boosted trees report a line per tree: its number, leaves and the time")
    func trees() throws {
        let x: [Double?] = (0..<300).map { Double($0 % 30) }
        let frame = DataFrame(try RecordBatch(names: ["x", "y"], columns: [Column(x), Column(x.map { $0! * 2 })]))
        let forest = Lines()
        var parameters = RandomForestParameters()
        parameters.numTrees = 4
        _ = try RandomForestRegressor(
            featureColumns: ["x"], labelColumn: "y", parameters: parameters, progress: forest.add
        ).fit(frame)
        #expect(forest.all.count == 4)
        #expect(forest.all.last?.hasPrefix("tree 4/4: ") == true && forest.all.last?.hasSuffix(" s") == true)
        let boosted = Lines()
        var boosting = GBTParameters()
        boosting.maxIter = 3
        _ = try GBTRegressor(featureColumns: ["x"], labelColumn: "y", parameters: boosting, progress: boosted.add)
            .fit(frame)
        #expect(boosted.all.count == 3)
        #expect(boosted.all.enumerated().allSatisfy { $1.hasPrefix("round \($0 + 1)/3: ") }, "\(boosted.all)")
        #expect(boosted.all.allSatisfy { $0.hasSuffix(" s") })
    }
}

// The program FlockMLTests run: `FlockMLTestWorker SCENARIO WORKERS` starts a local cluster
// of WORKERS worker processes (this same binary again, serving FlockML's tasks), fits
// estimators on it and in-process, and checks that the models are the same bit for bit;
// prints "ok" and exits 0 when they are, prints what differed and exits 1 otherwise.
import FlockData
import FlockML
import FlockRuntime
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

try await Cluster.serveIfWorker(try TaskRegistry(MLTasks.all, actors: MLTasks.actors))
let scenario = CommandLine.arguments.dropFirst().first ?? "fits"
let workers = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 2
let cluster = try await Cluster.local(workers: workers, tasks: try TaskRegistry(MLTasks.all, actors: MLTasks.actors))

/// Fails the scenario with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        print("check failed: \(message())")
        exit(1)
    }
}

/// `rows` rows of six features, a class (0, 1, 2) that depends on them with noise, and a
/// noisy linear target, in batches of 3,001 rows (so partitions do not fall on blocks);
/// feature x3 is NaN in row `nanRow`.
func table(rows count: Int, nanRow: Int? = nil) throws -> DataFrame {
    var state: UInt64 = 17
    func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53) - 0.5
    }
    var columns = [[Double?]](repeating: [], count: 6)
    var classes: [Int64?] = []
    var target: [Double?] = []
    for _ in 0..<count {
        let x = (0..<6).map { j in uniform() * Double(j + 1) }
        for j in 0..<6 { columns[j].append(j == 3 && columns[j].count == nanRow ? .nan : x[j]) }
        let score = x[0] - 0.5 * x[1] + 0.3 * x[3] + uniform()
        classes.append(score < -0.4 ? 0 : score < 0.4 ? 1 : 2)
        target.append(3 * x[0] - x[2] + 0.25 * x[5] + 7 + 0.1 * uniform())
    }
    let batch = try RecordBatch(
        names: (0..<6).map { "x\($0)" } + ["class", "y"],
        columns: columns.map { Column($0) } + [Column(classes), Column(target)])
    return try DataFrame(
        batches: stride(from: 0, to: count, by: 3_001).map { batch.slice($0..<min($0 + 3_001, count)) })
}

let features = (0..<6).map { "x\($0)" }

/// Counts progress lines from any thread.
final class RoundCounter: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
switch scenario {
case "fits":
    let frame = try table(rows: 40_000)
    let linear = LinearRegression(featureColumns: features, labelColumn: "y", regParam: 0.01)
    let logistic = LogisticRegression(featureColumns: features, labelColumn: "class", regParam: 0.001, maxIter: 25)
    let binary = LogisticRegression(
        featureColumns: features, labelColumn: "binary", regParam: 0.01, elasticNetParam: 0.5, maxIter: 25,
        standardization: false)
    let binaryFrame = try frame.withColumn("binary", (col("class") == 2).cast(.int64))
    let kmeans = KMeans(featureColumns: features, k: 5, maxIter: 10, seed: 3)
    let bayes = NaiveBayes(featureColumns: features, labelColumn: "class", modelType: .gaussian)
    let pca = PCA(inputColumns: features, k: 3)
    let mixture = GaussianMixture(featureColumns: features, k: 3, maxIter: 5)
    let svm = LinearSVC(featureColumns: features, labelColumn: "binary", regParam: 0.01, maxIter: 25)
    let (linearHere, logisticHere, binaryHere, kmeansHere) = (
        try linear.fit(frame), try logistic.fit(frame), try binary.fit(binaryFrame), try kmeans.fit(frame)
    )
    let (bayesHere, pcaHere, mixtureHere) = (try bayes.fit(frame), try pca.fit(frame), try mixture.fit(frame))
    let svmHere = try svm.fit(binaryFrame)
    for partitions in [1, 7] {
        let linearThere = try await linear.fit(frame, on: cluster, partitions: partitions)
        check(linearThere == linearHere, "linear regression, \(partitions) partitions: \(linearThere) vs \(linearHere)")
        let logisticThere = try await logistic.fit(frame, on: cluster, partitions: partitions)
        check(
            logisticThere == logisticHere,
            "multinomial logistic regression, \(partitions) partitions: \(logisticThere) vs \(logisticHere)")
        let binaryThere = try await binary.fit(binaryFrame, on: cluster, partitions: partitions)
        check(binaryThere == binaryHere, "binomial elastic-net logistic regression, \(partitions) partitions")
        let kmeansThere = try await kmeans.fit(frame, on: cluster, partitions: partitions)
        check(kmeansThere == kmeansHere, "k-means||, \(partitions) partitions: \(kmeansThere) vs \(kmeansHere)")
        check(try await bayes.fit(frame, on: cluster, partitions: partitions) == bayesHere, "Gaussian naive Bayes")
        check(try await pca.fit(frame, on: cluster, partitions: partitions) == pcaHere, "PCA")
        check(
            try await mixture.fit(frame, on: cluster, partitions: partitions) == mixtureHere, "Gaussian mixture")
        check(try await svm.fit(binaryFrame, on: cluster, partitions: partitions) == svmHere, "linear SVM")
    }
    // Cross-validation with its fits on the workers, two at a time: the same choice.
    let grid = [0.1, 0.001].map {
        LogisticRegression(featureColumns: features, labelColumn: "class", regParam: $0, maxIter: 15)
    }
    let validator = CrossValidator(
        candidates: grid, evaluator: MulticlassClassificationEvaluator(metric: .logLoss, labelColumn: "class"))
    let chosenHere = try validator.fit(frame)
    let chosenThere = try await validator.fit(frame, on: cluster, parallelism: 2)
    check(
        chosenThere.averageMetrics == chosenHere.averageMetrics && chosenThere.bestIndex == chosenHere.bestIndex
            && chosenThere.bestModel == chosenHere.bestModel,
        "cross-validation: \(chosenThere.averageMetrics) vs \(chosenHere.averageMetrics)")
    // A scaler's moments; and a table of 5 rows in 7 partitions (some empty).
    let scaler = StandardScaler(inputColumns: features)
    check(try await scaler.fit(frame, on: cluster, partitions: 7) == (try scaler.fit(frame)), "standard scaler")
    let ranges = MinMaxScaler(inputColumns: features)
    check(try await ranges.fit(frame, on: cluster, partitions: 7) == (try ranges.fit(frame)), "min-max scaler")
    let tiny = try table(rows: 5)
    check(
        try await linear.fit(tiny, on: cluster, partitions: 7) == (try linear.fit(tiny)),
        "linear regression on 5 rows in 7 partitions")
    // A persisted frame is read as it is, in its own partitions.
    let persisted = try await frame.persist(on: cluster, partitions: 3)
    check(try await linear.fit(persisted, on: cluster) == linearHere, "linear regression on a persisted frame")
    // Bad data fails with the in-process error, naming the column and the row.
    let bad = try table(rows: 40_000, nanRow: 33_333)
    let local = "\((try? linear.fit(bad)).map { "\($0)" } ?? "")"
    check(local.isEmpty, "NaN was accepted in-process")
    do {
        _ = try await linear.fit(bad, on: cluster, partitions: 5)
        check(false, "NaN was accepted on the cluster")
    } catch {
        check("\(error)".contains("column \"x3\" holds nan at row 33333"), "the NaN error: \(error)")
    }
case "trees":
    // Boosted trees with row and feature subsampling and a missing value: the workers'
    // shards give the in-process trees.
    let frame = try table(rows: 40_000, nanRow: 20_000)
    var parameters = GBTParameters()
    (parameters.maxIter, parameters.maxLeaves, parameters.subsamplingRate) = (12, 15, 0.8)
    parameters.featureSubsetRate = 0.7
    let classifier = GBTClassifier(featureColumns: features, labelColumn: "binary", parameters: parameters)
    let regressor = GBTRegressor(featureColumns: features, labelColumn: "y", parameters: parameters)
    let binaryFrame = try frame.withColumn("binary", (col("class") == 2).cast(.int64))
    let (classifierHere, regressorHere) = (try classifier.fit(binaryFrame), try regressor.fit(frame))
    for partitions in [1, 7] {
        let classifierThere = try await classifier.fit(binaryFrame, on: cluster, partitions: partitions)
        check(classifierThere == classifierHere, "GBT classifier, \(partitions) partitions")
        let regressorThere = try await regressor.fit(frame, on: cluster, partitions: partitions)
        check(regressorThere == regressorHere, "GBT regressor, \(partitions) partitions")
    }
    // Early stopping: the rows a column marks are scored in the driver after every tree; the
    // trees and the validation losses are the in-process ones.
    var stopping = parameters
    (stopping.maxIter, stopping.earlyStoppingRounds, stopping.stepSize) = (40, 2, 0.5)
    let marked = try binaryFrame.withColumn(
        "held", ((col("x1") * lit(100.0)).cast(.int64) % lit(5) == lit(0)).cast(.int64))
    let stopper = GBTClassifier(
        featureColumns: features, labelColumn: "binary", validationIndicatorColumn: "held", parameters: stopping)
    let stoppedHere = try stopper.fit(marked)
    let stoppedThere = try await stopper.fit(marked, on: cluster, partitions: 7)
    check(stoppedThere == stoppedHere, "early-stopped GBT classifier")
    check(stoppedHere.validationLosses.count < 40, "no early stop: \(stoppedHere.validationLosses.count) rounds")
    do {
        var wrong = stopper
        wrong.validationIndicatorColumn = "y_held"
        _ = try await wrong.fit(marked, on: cluster, partitions: 3)
        check(false, "a missing indicator column was accepted on the cluster")
    } catch {
        check("\(error)".contains("no column \"y_held\""), "the indicator error: \(error)")
    }
    // Three classes, one boosted model per class: the cluster's models are the in-process ones.
    var few = parameters
    few.maxIter = 4
    let perClass = OneVsRest(
        classifier: GBTClassifier(featureColumns: features, parameters: few), labelColumn: "class")
    let perClassThere = try await perClass.fit(frame, on: cluster, partitions: 7)
    check(perClassThere.models.count == 3, "one model per class")
    check(perClassThere == (try perClass.fit(frame)), "one-vs-rest boosted trees")
    // From a frame that lives in the cluster's object store: its labels are read there.
    let persisted = try await frame.persist(on: cluster, partitions: 3)
    check(
        try await perClass.fit(persisted, on: cluster, partitions: nil) == perClassThere,
        "one-vs-rest boosted trees from a persisted frame")
    // A class other than 0 and 1 fails as in-process.
    do {
        _ = try await classifier.fit(frame.withColumn("binary", col("class")), on: cluster, partitions: 3)
        check(false, "class 2 was accepted on the cluster")
    } catch {
        check("\(error)".contains("takes two classes"), "the class error: \(error)")
    }
case "kill-trees":
    // kill -9 of a worker while boosted trees grow: its shard is reloaded, the trees so far
    // replayed on it, and the model is the same.
    let frame = try table(rows: 40_000)
    var parameters = GBTParameters()
    (parameters.maxIter, parameters.maxLeaves) = (40, 31)
    let regressor = GBTRegressor(featureColumns: features, labelColumn: "y", parameters: parameters)
    let expected = try regressor.fit(frame)
    let before = try await cluster.statistics()
    let rounds = RoundCounter()
    var watched = regressor
    watched.progress = { _ in rounds.add() }
    let fitting = Task { try await watched.fit(frame, on: cluster, partitions: 4) }
    while rounds.value < 5 { try await Task.sleep(for: .milliseconds(5)) }
    kill(before.workerProcessIDs[0], SIGKILL)
    let roundsAtKill = rounds.value
    let model = try await fitting.value
    print("killed at round \(roundsAtKill) of \(parameters.maxIter)")
    check(roundsAtKill < parameters.maxIter, "the fit ended before the kill could matter")
    check(model == expected, "the model after the kill differs")
    check(try await cluster.statistics().workerRestarts >= 1, "the killed worker was not replaced")
case "kill":
    // kill -9 of a worker while the multinomial fit runs: its shards' tasks run again and
    // the model is the same.
    let frame = try table(rows: 40_000)
    let logistic = LogisticRegression(featureColumns: features, labelColumn: "class", maxIter: 40, tol: 0)
    let expected = try logistic.fit(frame)
    let before = try await cluster.statistics()
    let fitting = Task { try await logistic.fit(frame, on: cluster, partitions: 6) }
    var unfinished = 0
    while unfinished == 0 {
        try await Task.sleep(for: .milliseconds(5))
        unfinished = try await cluster.statistics().unfinishedTasks
    }
    try await Task.sleep(for: .milliseconds(200))
    kill(before.workerProcessIDs[0], SIGKILL)
    let killedAt = ContinuousClock.now
    let model = try await fitting.value
    print("the fit went on \(ContinuousClock.now - killedAt) after the kill")
    check(ContinuousClock.now - killedAt > .milliseconds(50), "the fit ended before the kill could matter")
    check(model == expected, "the model after the kill differs")
    check(try await cluster.statistics().workerRestarts >= 1, "the killed worker was not replaced")
default:
    check(false, "unknown scenario \(scenario)")
}
await cluster.shutdown()
print("ok")
exit(0)

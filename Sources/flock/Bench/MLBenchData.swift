import FlockData
import Foundation

/// The data sets of `flock bench ml`, generated from fixed seeds (the same on every
/// machine) and written as raw float64 files for the peers to read.
enum MLBenchData {
    /// Rows around `centers` random centres in [-10, 10)^width, unit normal noise.
    static func blobs(rows: Int, width: Int, centers: Int) -> [Double] {
        var random = RandomStream(seed: 42)
        let middles = (0..<centers * width).map { _ in random.unit() * 20 - 10 }
        return (0..<rows * width).map { i in middles[(i / width % centers) * width + i % width] + random.normal() }
    }

    /// Features with unit normal values and labels drawn from a logistic model of half of
    /// them (so the best accuracy is well below 1).
    static func classification(rows: Int, width: Int) -> (features: [Double], labels: [Double]) {
        var random = RandomStream(seed: 7)
        let weights = (0..<width).map { $0 % 2 == 0 ? random.unit() * 2 - 1 : 0 }
        var features = [Double]()
        features.reserveCapacity(rows * width)
        var labels = [Double]()
        for _ in 0..<rows {
            var z = 0.3
            for j in 0..<width {
                let x = random.normal()
                features.append(x)
                z += weights[j] * x
            }
            labels.append(random.unit() < 1 / (1 + exp(-z)) ? 1 : 0)
        }
        return (features, labels)
    }

    /// Two classes the way scikit-learn's `make_classification` builds them: two clusters
    /// per class at vertices of a hypercube (side 2) in `informative` dimensions, each a
    /// normal cloud under its own random linear map; two features that are linear mixes
    /// of the informative ones; the rest pure noise; 1% of the labels flipped at random.
    static func hypercube(rows: Int, width: Int, informative: Int, seed: UInt64)
        -> (features: [Double], labels: [Double])
    {
        var random = RandomStream(seed: seed)
        let clusters = 4
        var vertices: [[Double]] = []
        while vertices.count < clusters {
            let vertex = (0..<informative).map { _ in random.below(2) == 0 ? -1.0 : 1.0 }
            if !vertices.contains(vertex) { vertices.append(vertex) }
        }
        let maps = (0..<clusters).map { _ in (0..<informative * informative).map { _ in random.unit() * 2 - 1 } }
        let redundant = 2
        let mix = (0..<informative * redundant).map { _ in random.unit() * 2 - 1 }
        var features = [Double]()
        features.reserveCapacity(rows * width)
        var labels = [Double]()
        labels.reserveCapacity(rows)
        var noise = [Double](repeating: 0, count: informative)
        for _ in 0..<rows {
            let cluster = random.below(clusters)
            for j in 0..<informative { noise[j] = random.normal() }
            var point = vertices[cluster]
            for j in 0..<informative {
                for i in 0..<informative { point[j] += noise[i] * maps[cluster][i * informative + j] }
            }
            features.append(contentsOf: point)
            for r in 0..<redundant {
                features.append((0..<informative).reduce(0) { $0 + point[$1] * mix[$1 * redundant + r] })
            }
            for _ in informative + redundant..<width { features.append(random.normal()) }
            let label = Double(cluster % 2)
            labels.append(random.unit() < 0.01 ? Double(random.below(2)) : label)
        }
        return (features, labels)
    }
}

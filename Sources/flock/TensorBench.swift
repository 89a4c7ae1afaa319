import Flock
import Foundation

/// `flock bench tensor`: GEMM on both backends against the bare BLAS call, elementwise
/// add and exp against memcpy of the same size, and LeNet-sized conv2d layers; each with
/// 1 and 2 threads. Ratios are computed from numbers measured in the same run.
struct TensorBench {
    let repeats: Int
    let quick: Bool

    func run(into report: inout BenchReport) throws {
        let savedBackend = GEMMBackend.active
        defer {
            GEMMBackend.select(savedBackend)
            GEMMBackend.setThreadCount(ThreadPool.defaultThreadCount)
        }
        for threads in [1, 2] {
            GEMMBackend.setThreadCount(threads)
            try gemm(threads: threads, into: &report)
            try elementwise(threads: threads, into: &report)
            try convolution(threads: threads, into: &report)
        }
    }

    private func gemm(threads: Int, into report: inout BenchReport) throws {
        var generator = RandomGenerator(seed: 1)
        for n in quick ? [256, 512] : [256, 512, 1024, 2048] {
            let a = try Tensor.randomNormal([n, n], generator: &generator)
            let b = try Tensor.randomNormal([n, n], generator: &generator)
            let flops = 2 * Double(n) * Double(n) * Double(n)
            let reps = n >= 2048 ? max(3, repeats / 2) : repeats
            var blasDirect: Timing?
            if let blas = BLAS.shared {
                var c = [Float](repeating: 0, count: n * n)
                let direct = try a.withUnsafeScalars(as: Float.self) { pa in
                    try b.withUnsafeScalars(as: Float.self) { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            measure(repeats: reps) {
                                blas.sgemmRowMajor(
                                    m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                            }
                        }
                    }
                }
                blasDirect = direct
                report.add(
                    "gemm/blas-direct/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops / direct.median / 1e9,
                    best: flops / direct.best / 1e9, note: blas.name)
                GEMMBackend.select(.blas)
                let viaFlock = try measure(repeats: reps) { _ = try a.matmul(b) }
                report.add(
                    "gemm/blas/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops / viaFlock.median / 1e9,
                    best: flops / viaFlock.best / 1e9, note: "Tensor.matmul")
                report.addRatio(
                    "gemm/blas-vs-direct/t\(threads)/n\(n)", value: direct.median / viaFlock.median,
                    note: "target >= 0.95")
            }
            GEMMBackend.select(.native)
            let native = try measure(repeats: reps) { _ = try a.matmul(b) }
            report.add(
                "gemm/native/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops / native.median / 1e9,
                best: flops / native.best / 1e9, note: "\(CPULevel.active)")
            if let blasDirect {
                report.addRatio(
                    "gemm/native-vs-blas/t\(threads)/n\(n)", value: blasDirect.median / native.median,
                    note: threads == 1 && n == 1024 ? "target >= 0.80" : "")
            }
        }
    }

    private func elementwise(threads: Int, into report: inout BenchReport) throws {
        let count = (quick ? 16 : 64) << 20 / 4
        let megabytes = Double(count * 4) / 1e9
        var generator = RandomGenerator(seed: 2)
        let a = try Tensor.randomUniform([count], low: -4, high: 4, generator: &generator)
        let b = try Tensor.randomUniform([count], low: -4, high: 4, generator: &generator)
        let label = "\((count * 4) >> 20)MiB"

        // memcpy of the same size, split across the same number of threads.
        let source = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        defer {
            source.deallocate()
            destination.deallocate()
        }
        memset(source, 1, count * 4)
        memset(destination, 0, count * 4)
        let chunk = count * 4 / threads
        let copy = measure(repeats: repeats) {
            ThreadPool.shared.parallelFor(chunks: threads) { part in
                memcpy(destination + part * chunk, source + part * chunk, chunk)
            }
        }
        let copyRate = 2 * megabytes / copy.median
        report.add(
            "memcpy/t\(threads)/\(label)", unit: "GB/s", median: copyRate, best: 2 * megabytes / copy.best,
            note: "floor: read + write")

        let add = try measure(repeats: repeats) { _ = try a + b }
        let addRate = 3 * megabytes / add.median
        report.add(
            "add/t\(threads)/\(label)", unit: "GB/s", median: addRate, best: 3 * megabytes / add.best,
            note: "2 reads + 1 write")
        report.addRatio("add-vs-memcpy/t\(threads)/\(label)", value: addRate / copyRate, note: "target >= 0.60")

        let exp = measure(repeats: repeats) { _ = a.exp() }
        let expRate = 2 * megabytes / exp.median
        report.add(
            "exp/t\(threads)/\(label)", unit: "GB/s", median: expRate, best: 2 * megabytes / exp.best,
            note: "1 read + 1 write")
        report.addRatio("exp-vs-memcpy/t\(threads)/\(label)", value: expRate / copyRate, note: "target >= 0.60")
    }

    private func convolution(threads: Int, into report: inout BenchReport) throws {
        var generator = RandomGenerator(seed: 3)
        let batch = 64
        // LeNet-5's two convolutions on 28x28 digits (conv1 padded to keep 28x28).
        let layers: [(String, [Int], [Int], (Int, Int))] = [
            ("conv1-1x28x28-6x5x5", [batch, 1, 28, 28], [6, 1, 5, 5], (2, 2)),
            ("conv2-6x14x14-16x5x5", [batch, 6, 14, 14], [16, 6, 5, 5], (0, 0)),
        ]
        for (name, inputShape, weightShape, padding) in layers {
            let input = try Tensor.randomNormal(inputShape, generator: &generator)
            let weight = try Tensor.randomNormal(weightShape, generator: &generator)
            let bias = try Tensor.randomNormal([weightShape[0]], generator: &generator)
            let timing = try measure(repeats: repeats * 4) {
                _ = try input.conv2d(weight: weight, bias: bias, padding: padding)
            }
            report.add(
                "conv2d/t\(threads)/\(name)/batch\(batch)", unit: "images/s", median: Double(batch) / timing.median,
                best: Double(batch) / timing.best, note: "\(GEMMBackend.active)")
        }
    }
}

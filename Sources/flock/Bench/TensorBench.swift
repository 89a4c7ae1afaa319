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

    /// GEMM GFLOP/s. All native runs come before any BLAS run: OpenBLAS's worker threads
    /// busy-wait for a while after each call, and on a 2-core machine they would steal the
    /// core our pool's worker needs.
    private func gemm(threads: Int, into report: inout BenchReport) throws {
        var generator = RandomGenerator(seed: 1)
        let sizes = quick ? [256, 512] : [256, 512, 1024, 2048]
        let operands = try sizes.map { n in
            (
                try Tensor.randomNormal([n, n], generator: &generator),
                try Tensor.randomNormal([n, n], generator: &generator)
            )
        }
        func flops(_ n: Int) -> Double { 2 * Double(n) * Double(n) * Double(n) }
        func repetitions(_ n: Int) -> Int { n >= 2048 ? max(3, repeats / 2) : repeats }

        GEMMBackend.select(.native)
        var native: [Timing] = []
        for (n, (a, b)) in zip(sizes, operands) {
            let timing = try measure(repeats: repetitions(n)) { _ = try a.matmul(b) }
            native.append(timing)
            report.add(
                "gemm/native/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops(n) / timing.median / 1e9,
                best: flops(n) / timing.best / 1e9, note: "\(CPULevel.active)")
        }
        guard let blas = BLAS.shared else { return }
        GEMMBackend.select(.blas)
        for (index, (n, (a, b))) in zip(sizes, operands).enumerated() {
            var c = [Float](repeating: 0, count: n * n)
            let direct = try a.withUnsafeScalars(as: Float.self) { pa in
                try b.withUnsafeScalars(as: Float.self) { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        measure(repeats: repetitions(n)) {
                            // Invariant: the buffers are non-empty (n > 0).
                            blas.sgemmRowMajor(
                                m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                        }
                    }
                }
            }
            report.add(
                "gemm/blas-direct/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops(n) / direct.median / 1e9,
                best: flops(n) / direct.best / 1e9, note: blas.name)
            let viaFlock = try measure(repeats: repetitions(n)) { _ = try a.matmul(b) }
            report.add(
                "gemm/blas/t\(threads)/n\(n)", unit: "GFLOP/s", median: flops(n) / viaFlock.median / 1e9,
                best: flops(n) / viaFlock.best / 1e9, note: "Tensor.matmul")
            report.addRatio(
                "gemm/blas-vs-direct/t\(threads)/n\(n)", value: direct.median / viaFlock.median, note: "target >= 0.95")
            report.addRatio(
                "gemm/native-vs-blas/t\(threads)/n\(n)", value: direct.median / native[index].median,
                note: threads == 1 && n == 1024 ? "target >= 0.80" : "")
        }
        // Let OpenBLAS's threads stop spinning before the next measurements.
        Thread.sleep(forTimeInterval: 0.5)
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
        let backends: [GEMMBackend] = BLAS.shared == nil ? [.native] : [.native, .blas]
        for (name, inputShape, weightShape, padding) in layers {
            let input = try Tensor.randomNormal(inputShape, generator: &generator)
            let weight = try Tensor.randomNormal(weightShape, generator: &generator)
            let bias = try Tensor.randomNormal([weightShape[0]], generator: &generator)
            for backend in backends {
                GEMMBackend.select(backend)
                let timing = try measure(repeats: repeats * 4) {
                    _ = try input.conv2d(weight: weight, bias: bias, padding: padding)
                }
                let label = backend == .native ? "native" : "blas"
                report.add(
                    "conv2d/\(label)/t\(threads)/\(name)/batch\(batch)", unit: "images/s",
                    median: Double(batch) / timing.median, best: Double(batch) / timing.best,
                    note: "\(GEMMBackend.active)")
            }
        }
    }
}

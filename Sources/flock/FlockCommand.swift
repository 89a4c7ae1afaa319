import ArgumentParser
import Flock

/// The `flock` command-line tool: one binary for demos, examples, launching and benchmarks.
@main
struct FlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flock",
        abstract: "Flock: distributed machine learning in Swift.",
        subcommands: [
            DemoCommand.self, ExampleCommand.self, LaunchCommand.self, BenchCommand.self, InfoCommand.self,
            StartCommand.self, StatusCommand.self, StopCommand.self, TokenCommand.self, DataCommand.self,
            SQLCommand.self,
        ])

    /// Restarts with the allocator settings for large columns first (`AllocatorSettings`),
    /// watches for idle time to give memory back (`IdleMemoryRelease`), then runs the
    /// command line.
    static func main() async {
        AllocatorSettings.restartIfNeeded()
        IdleMemoryRelease.start()
        await main(nil)
    }
}

/// `flock info`: what this machine gives Flock (CPU level, BLAS, threads).
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show the kernels, BLAS and thread pool Flock uses here.")

    func run() throws {
        print("CPU vector level: \(CPULevel.detected) (kernels use \(CPULevel.active))")
        print("BLAS: \(BLAS.shared?.name ?? "none found (FLOCK_BLAS to choose)")")
        print("GEMM backend: \(GEMMBackend.active)")
        print("threads: \(ThreadPool.shared.threadCount) (FLOCK_NUM_THREADS to change)")
    }
}

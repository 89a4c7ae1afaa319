import FlockTensor
import Foundation
import Synchronization

/// The generator that parameter initialisation and dropout draw from (PyTorch's
/// `torch.manual_seed`): seed it once for reproducible models.
///
/// It is process-wide, except inside `withScope`, which gives the current task (and the
/// code it calls synchronously) a generator of its own: concurrent jobs (or tests) that
/// each seed their own scope cannot disturb each other's streams.
public enum GlobalRandom {
    private static let processGenerator = Mutex(RandomGenerator(seed: 0))

    /// A generator owned by one scope.
    final class ScopedGenerator: @unchecked Sendable {  // `generator` guarded by `lock`
        var generator: RandomGenerator
        let lock = NSLock()
        init(seed: UInt64) { generator = RandomGenerator(seed: seed) }
    }

    @TaskLocal static var scope: ScopedGenerator?

    /// Runs `body` with a generator of its own, seeded with `seed`.
    public static func withScope<R>(seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $scope.withValue(ScopedGenerator(seed: seed)) { try body() }
    }

    /// Restarts the current stream (the scope's, else the process's) from `seed`.
    public static func seed(_ seed: UInt64) {
        withGenerator { $0 = RandomGenerator(seed: seed) }
    }

    /// Runs `body` with exclusive access to the current generator.
    public static func withGenerator<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        if let scope {
            return try scope.lock.withLock { try body(&scope.generator) }
        }
        return try processGenerator.withLock { try body(&$0) }
    }

    /// The current generator's state, to save in a checkpoint.
    public static var state: RandomGenerator {
        get { withGenerator { $0 } }
        set { withGenerator { $0 = newValue } }
    }
}

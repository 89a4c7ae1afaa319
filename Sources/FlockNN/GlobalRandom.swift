import FlockTensor
import Synchronization

/// The process-wide generator that parameter initialisation and dropout draw from
/// (PyTorch's `torch.manual_seed`): seed it once for reproducible models.
public enum GlobalRandom {
    private static let generator = Mutex(RandomGenerator(seed: 0))

    /// Restarts the stream from `seed`.
    public static func seed(_ seed: UInt64) {
        generator.withLock { $0 = RandomGenerator(seed: seed) }
    }

    /// Runs `body` with exclusive access to the generator.
    public static func withGenerator<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        try generator.withLock { try body(&$0) }
    }

    /// The generator's state, to save in a checkpoint.
    public static var state: RandomGenerator {
        get { generator.withLock { $0 } }
        set { generator.withLock { $0 = newValue } }
    }
}

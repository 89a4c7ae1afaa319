import FlockComm
import FlockNN
import FlockTensor

/// Data-parallel training of a module: every rank holds a full replica, runs its own
/// share of each batch, and after `backward()` every rank holds the gradients averaged
/// over all ranks, so identical optimizer steps keep the replicas identical.
///
///     let model = DistributedDataParallel(try makeModel(), group: group)  // rank 0's weights
///     let loss = try crossEntropy(model(batch.features), batch.labels)
///     try loss.backward()          // gradients averaged across ranks when it returns
///     try optimizer.step()
///
/// Underneath: parameters are grouped into buckets (reverse registration order, about the
/// order backward finishes them; the first bucket small so communication starts early).
/// A hook on each parameter counts it ready when its gradient is final; a full bucket's
/// gradients go to one coalesced all-reduce (`.mean`, read straight from the gradient
/// tensors through shared memory) queued on the group's communication thread, so it runs
/// while backward computes the next gradients. Buckets
/// launch in index order on every rank.
/// When the last bucket has launched, the hook waits for all of them and writes the
/// averages back into `grad`.
///
/// What can go wrong: a parameter that gets no gradient would leave its bucket waiting
/// forever, so `forward` checks which parameters the output reaches and throws
/// `DataParallelError.unusedParameters` naming them, unless `allowUnusedParameters` (then
/// they count as ready with a zero gradient). A failed all-reduce (dead peer, timeout)
/// is thrown by `backward()`.
public final class DistributedDataParallel {
    /// The wrapped replica.
    public let module: Module
    /// The ranks it trains with.
    public let group: ProcessGroup
    /// Whether parameters the output does not reach are allowed (averaged as zeros).
    public let allowUnusedParameters: Bool

    private let buckets: [GradientBucket]
    /// The hooks this wrapper put on the model's parameters, removed when it goes away.
    private var hooks: [(Parameter, GradientHookToken)] = []
    private let location: [ObjectIdentifier: Int]
    private var nextLaunch = 0
    private var synchronizing = true
    private var iterationPending = false

    /// Wraps `module`: copies rank 0's parameters and buffers to every rank and installs
    /// the gradient hooks. `bucketCapacityBytes` bounds a bucket (PyTorch's 25 MiB default;
    /// the first is capped at 1 MiB).
    /// - Throws: `CommError` when the broadcast fails (for example, different
    ///   architectures on different ranks show up as a mismatch).
    public init(
        _ module: Module, group: ProcessGroup, bucketCapacityBytes: Int = 25 << 20, allowUnusedParameters: Bool = false
    ) throws {
        self.module = module
        self.group = group
        self.allowUnusedParameters = allowUnusedParameters
        for (_, parameter) in module.namedParameters() {
            parameter.value = try group.broadcast(parameter.value, from: 0).wait()
        }
        for (_, buffer) in module.namedBuffers() {
            buffer.value = try group.broadcast(buffer.value, from: 0).wait()
        }
        var buckets: [GradientBucket] = []
        var current: [Parameter] = []
        var currentBytes = 0
        for parameter in module.parameters().reversed() where parameter.requiresGrad {
            guard [.float32, .float64].contains(parameter.value.dtype) else {
                throw DataParallelError.unsupportedType(parameter.value.dtype)
            }
            let bytes = parameter.value.count * parameter.value.dtype.byteSize
            let capacity = buckets.isEmpty ? min(bucketCapacityBytes, 1 << 20) : bucketCapacityBytes
            if !current.isEmpty && (currentBytes + bytes > capacity || current[0].value.dtype != parameter.value.dtype)
            {
                buckets.append(GradientBucket(parameters: current))
                (current, currentBytes) = ([], 0)
            }
            current.append(parameter)
            currentBytes += bytes
        }
        if !current.isEmpty { buckets.append(GradientBucket(parameters: current)) }
        self.buckets = buckets
        var location: [ObjectIdentifier: Int] = [:]
        for (index, bucket) in buckets.enumerated() {
            for parameter in bucket.parameters { location[ObjectIdentifier(parameter)] = index }
        }
        self.location = location
        var hooks: [(Parameter, GradientHookToken)] = []
        for bucket in buckets {
            for parameter in bucket.parameters {
                let token = parameter.addGradientReadyHook { [weak self] parameter in try self?.gradientReady(parameter)
                }
                hooks.append((parameter, token))
            }
        }
        self.hooks = hooks
    }

    /// A model outlives its wrapper: a later wrapper (or plain training) must not pay for, or
    /// trip over, this one's hooks.
    deinit {
        for (parameter, token) in hooks { parameter.removeGradientReadyHook(token) }
    }

    /// The number of gradient buckets (each one all-reduce per step).
    public var bucketCount: Int { buckets.count }

    /// Runs the replica on this rank's inputs and prepares the gradient averaging of the
    /// backward pass that follows.
    /// - Throws: `DataParallelError` when the previous backward pass did not finish
    ///   averaging, or the output does not reach some parameters (see the type's notes).
    public func forward(_ input: Variable) throws -> Variable {
        if synchronizing && iterationPending {
            let waiting = buckets.flatMap { bucket in bucket.isReady ? [] : bucket.parameters }
            throw DataParallelError.unfinishedReduction(parameters: names(of: waiting))
        }
        let output = try module(input)
        guard synchronizing, GradMode.isEnabled, output.requiresGrad else { return output }
        let reached = Set(output.parametersReached().map(ObjectIdentifier.init))
        let unused = buckets.flatMap { $0.parameters }.filter { !reached.contains(ObjectIdentifier($0)) }
        if !unused.isEmpty && !allowUnusedParameters {
            throw DataParallelError.unusedParameters(names(of: unused))
        }
        iterationPending = true
        for parameter in unused { try gradientReady(parameter) }
        return output
    }

    /// `forward` on a tensor input.
    public func callAsFunction(_ input: Tensor) throws -> Variable { try forward(Variable(input)) }
    /// `forward` on a variable input.
    public func callAsFunction(_ input: Variable) throws -> Variable { try forward(input) }

    /// Runs `body` (forward and backward passes) without averaging: gradients accumulate
    /// locally, and the first synchronized backward pass after it averages the sum.
    public func noSync<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = synchronizing
        synchronizing = false
        defer { synchronizing = previous }
        return try body()
    }

    /// Counts `parameter` ready; launches every consecutive full bucket; after the last,
    /// waits for all and stores the averages.
    private func gradientReady(_ parameter: Parameter) throws {
        guard synchronizing, iterationPending, let index = location[ObjectIdentifier(parameter)] else { return }
        buckets[index].readyCount += 1
        while nextLaunch < buckets.count && buckets[nextLaunch].isReady {
            try buckets[nextLaunch].launch(on: group)
            nextLaunch += 1
        }
        guard nextLaunch == buckets.count else { return }
        nextLaunch = 0
        iterationPending = false
        for bucket in buckets { try bucket.unpack() }
    }

    private func names(of parameters: [Parameter]) -> [String] {
        let wanted = Set(parameters.map(ObjectIdentifier.init))
        return module.namedParameters().filter { wanted.contains(ObjectIdentifier($0.1)) }.map(\.0)
    }
}

/// Why data-parallel training cannot go on.
public enum DataParallelError: Error, CustomStringConvertible {
    /// The output does not depend on these parameters, so they would never be averaged.
    case unusedParameters([String])
    /// The previous backward pass did not give these parameters a gradient (or was never run).
    case unfinishedReduction(parameters: [String])
    /// Gradients of this dtype cannot be averaged (float32 and float64 can).
    case unsupportedType(DType)

    public var description: String {
        switch self {
        case .unusedParameters(let names):
            "parameters \(names) did not take part in producing the output, so their gradients would never be "
                + "averaged; pass allowUnusedParameters: true to average them as zeros"
        case .unsupportedType(let dtype):
            "DistributedDataParallel averages float32 and float64 gradients, not \(dtype)"
        case .unfinishedReduction(let names):
            "the previous backward pass did not finish averaging gradients: parameters \(names) got none "
                + "(call backward() on a loss computed from every output, once per forward)"
        }
    }
}

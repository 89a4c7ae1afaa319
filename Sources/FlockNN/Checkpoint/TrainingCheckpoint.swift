import FlockTensor

/// Saves and restores everything a training run needs to continue exactly: model
/// parameters and buffers (`model.<name>`), optimizer state (`optimizer.<key>`), the step
/// counter and the global random generator, in one safetensors file written atomically.
/// PyTorch can read the model tensors with `safetensors.torch.load_file`.
public enum TrainingCheckpoint {
    /// Writes a checkpoint of `model` (and `optimizer`) at `step` to `path`, with
    /// `extraMetadata` (string pairs the caller reads back with `restore`).
    public static func save(
        model: Module, optimizer: Optimizer? = nil, step: Int, extraMetadata: [String: String] = [:], to path: String
    ) throws {
        var tensors = model.stateDictionary().map { ("model.\($0.0)", $0.1) }
        if let optimizer { tensors += optimizer.stateTensors().map { ("optimizer.\($0.0)", $0.1) } }
        let random = GlobalRandom.state
        let metadata = extraMetadata.merging([
            "format": "pt", "flock.step": String(step), "flock.rng.state": String(random.state),
            "flock.rng.increment": String(random.increment),
        ]) { $1 }
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }

    /// Loads a checkpoint like `load` and returns its step with all its metadata.
    public static func restore(into model: Module, optimizer: Optimizer? = nil, from path: String) throws -> (
        step: Int, metadata: [String: String]
    ) {
        let (tensors, metadata) = try Safetensors.read(from: path)
        let step = try apply(tensors, metadata, path: path, model: model, optimizer: optimizer)
        return (step, metadata)
    }

    /// Loads a checkpoint into `model` (and `optimizer`), restores the global random
    /// generator, and returns the saved step. Nothing is changed if the file is invalid
    /// or does not match the model.
    @discardableResult
    public static func load(into model: Module, optimizer: Optimizer? = nil, from path: String) throws -> Int {
        try restore(into: model, optimizer: optimizer, from: path).step
    }

    static func apply(
        _ tensors: [String: Tensor], _ metadata: [String: String], path: String, model: Module, optimizer: Optimizer?
    ) throws -> Int {
        guard let stepText = metadata["flock.step"], let step = Int(stepText) else {
            throw CheckpointError.missingEntry(path: path, name: "flock.step")
        }
        var modelState: [String: Tensor] = [:]
        var optimizerState: [String: Tensor] = [:]
        for (name, tensor) in tensors {
            if name.hasPrefix("model.") {
                modelState[String(name.dropFirst(6))] = tensor
            } else if name.hasPrefix("optimizer.") {
                optimizerState[String(name.dropFirst(10))] = tensor
            }
        }
        try model.loadStateDictionary(modelState)
        try optimizer?.loadStateTensors(optimizerState)
        if let state = metadata["flock.rng.state"].flatMap(UInt64.init),
            let increment = metadata["flock.rng.increment"].flatMap(UInt64.init)
        {
            GlobalRandom.state = RandomGenerator(state: state, increment: increment)
        }
        return step
    }
}

import FlockTensor

/// Non-trainable module state saved with the model (e.g. BatchNorm's running mean).
public final class Buffer {
    /// The current value.
    public var value: Tensor
    /// Creates a buffer holding `value`.
    public init(_ value: Tensor) { self.value = value }
}

/// Why a module call or a state-dictionary load failed.
public enum ModuleError: Error, Equatable, CustomStringConvertible {
    /// A subclass did not override `forward`.
    case forwardNotImplemented(type: String)
    /// The input does not fit the module.
    case invalidInput(module: String, reason: String)
    /// A state dictionary lacks entries the model has, or has entries it does not.
    case stateMismatch(missing: [String], unexpected: [String])
    /// A saved tensor's shape or dtype differs from the model's.
    case stateShapeMismatch(name: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .forwardNotImplemented(let type): "\(type) does not override forward(_:)"
        case .invalidInput(let module, let reason): "\(module): \(reason)"
        case .stateMismatch(let missing, let unexpected):
            "state dictionary does not match the model: missing \(missing), unexpected \(unexpected)"
        case .stateShapeMismatch(let name, let expected, let got):
            "state dictionary entry '\(name)' has shape \(got), the model expects \(expected)"
        }
    }
}

/// A neural-network building block: subclass it, store parameters, buffers and
/// submodules as properties, and override `forward`.
///
/// Parameters are discovered, not registered: `namedParameters()` walks the stored
/// properties by reflection (`Parameter`, `Buffer`, `Module`, and arrays of them) in
/// declaration order and names them with dotted paths (`layers.0.weight`), which the
/// state dictionary, the optimizers and data-parallel training all use.
open class Module {
    /// Whether the module is in training mode (dropout active, batch statistics used).
    public private(set) var isTraining = true

    /// Creates a module in training mode.
    public init() {}

    /// Computes the module's output; subclasses override it.
    open func forward(_ input: Variable) throws -> Variable {
        throw ModuleError.forwardNotImplemented(type: String(describing: type(of: self)))
    }

    /// Calls `forward`.
    public func callAsFunction(_ input: Variable) throws -> Variable { try forward(input) }

    /// Calls `forward` on a constant input.
    public func callAsFunction(_ input: Tensor) throws -> Variable { try forward(Variable(input)) }

    /// Sets training mode on this module and every submodule.
    public func train(_ training: Bool = true) {
        isTraining = training
        for (_, child) in namedChildren() { child.train(training) }
    }

    /// Sets evaluation mode (`train(false)`).
    public func eval() { train(false) }

    /// Direct submodules with their property names (array elements as `name.index`).
    public func namedChildren() -> [(String, Module)] {
        members().compactMap { name, member in (member as? Module).map { (name, $0) } }
    }

    /// Every parameter of this module and its submodules, with dotted names, each once.
    public func namedParameters() -> [(String, Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return collect(prefix: "") { $0 as? Parameter }.filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    /// Every parameter, in `namedParameters` order.
    public func parameters() -> [Parameter] { namedParameters().map(\.1) }

    /// Every buffer with dotted names.
    public func namedBuffers() -> [(String, Buffer)] { collect(prefix: "") { $0 as? Buffer } }

    /// The model's state: parameters and buffers by dotted name.
    public func stateDictionary() -> [(String, Tensor)] {
        namedParameters().map { ($0.0, $0.1.value) } + namedBuffers().map { ($0.0, $0.1.value) }
    }

    /// Replaces parameter and buffer values from a state dictionary (PyTorch's
    /// `load_state_dict`). With `strict` (the default) every name must match both ways;
    /// without, the entries that match are loaded and the rest reported. Keys that earlier
    /// Flock versions wrote for a `Sequential` (`layers.0.weight`, now `0.weight` as in
    /// PyTorch) are accepted too.
    /// - Returns: the model's names the state lacks, and the state's names the model lacks.
    /// - Throws: `ModuleError.stateMismatch` (strict) naming them, or
    ///   `.stateShapeMismatch` when a matching entry's shape or dtype differs; the model is
    ///   left unchanged in both cases.
    @discardableResult
    public func loadStateDictionary(_ state: [String: Tensor], strict: Bool = true) throws -> (
        missing: [String], unexpected: [String]
    ) {
        let parameters = namedParameters()
        let buffers = namedBuffers()
        let names = Set(parameters.map(\.0) + buffers.map(\.0))
        var state = state
        for key in state.keys where !names.contains(key) {
            if let renamed = Self.sequentialRename(key), names.contains(renamed), state[renamed] == nil {
                state[renamed] = state.removeValue(forKey: key)
            }
        }
        let missing = names.subtracting(state.keys).sorted()
        let unexpected = Set(state.keys).subtracting(names).sorted()
        guard !strict || (missing.isEmpty && unexpected.isEmpty) else {
            throw ModuleError.stateMismatch(missing: missing, unexpected: unexpected)
        }
        let current = Dictionary(uniqueKeysWithValues: stateDictionary())
        for (name, tensor) in state {
            guard let expected = current[name] else { continue }
            guard tensor.shape == expected.shape, tensor.dtype == expected.dtype else {
                throw ModuleError.stateShapeMismatch(name: name, expected: expected.shape, got: tensor.shape)
            }
        }
        for (name, parameter) in parameters { if let value = state[name] { parameter.value = value } }
        for (name, buffer) in buffers { if let value = state[name] { buffer.value = value } }
        return (missing, unexpected)
    }

    /// The array property whose elements are named by their index alone, as PyTorch's
    /// `nn.Sequential` names its children (`0.weight`, not `layers.0.weight`); nil: named
    /// `property.index` like any array.
    class var indexNamedArray: String? { nil }

    /// `layers.N.rest` as `N.rest` (and `a.layers.N.rest` as `a.N.rest`): the names of a
    /// `Sequential`'s entries before they followed PyTorch.
    private static func sequentialRename(_ key: String) -> String? {
        if key.hasPrefix("layers."), key.dropFirst(7).first?.isNumber == true { return String(key.dropFirst(7)) }
        guard let range = key.range(of: ".layers."), key[range.upperBound...].first?.isNumber == true else {
            return nil
        }
        return key.replacingCharacters(in: range, with: ".")
    }

    /// Stored properties of this module's class chain, arrays expanded as `name.index`.
    private func members() -> [(String, Any)] {
        var result: [(String, Any)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        var levels: [[(String, Any)]] = []
        while let current = mirror, current.subjectType != Module.self {
            var level: [(String, Any)] = []
            for child in current.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("$__lazy_storage_$_") ? String(label.dropFirst(18)) : label
                if let array = child.value as? [Any] {
                    let bare = name == type(of: self).indexNamedArray
                    for (index, element) in array.enumerated() {
                        level.append((bare ? "\(index)" : "\(name).\(index)", element))
                    }
                } else {
                    level.append((name, child.value))
                }
            }
            levels.append(level)
            mirror = current.superclassMirror
        }
        // Superclass properties first, as declared.
        for level in levels.reversed() { result += level }
        return result
    }

    private func collect<T>(prefix: String, _ match: (Any) -> T?) -> [(String, T)] {
        var result: [(String, T)] = []
        for (name, member) in members() {
            if let found = match(member) {
                result.append((prefix + name, found))
            } else if let child = member as? Module {
                result += child.collect(prefix: prefix + name + ".", match)
            }
        }
        return result
    }
}

import FlockTensor

/// Why a backward pass failed.
public enum AutogradError: Error, Equatable, CustomStringConvertible {
    /// backward() was called on something that is not a single value without a gradient.
    case nonScalarOutput(shape: [Int])
    /// The output does not depend on anything that needs a gradient.
    case noGradientPath
    /// An operation produced a gradient of the wrong shape (a bug in that operation).
    case gradientShapeMismatch(operation: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .nonScalarOutput(let shape):
            "backward: the output has shape \(shape); pass a gradient of that shape or reduce it to a scalar first"
        case .noGradientPath:
            "backward: the output does not depend on any parameter or variable that requires a gradient"
        case .gradientShapeMismatch(let operation, let expected, let got):
            "backward: \(operation) produced a gradient of shape \(got) for an input of shape \(expected)"
        }
    }
}

extension Variable {
    /// Computes the gradient of this value with respect to every parameter it depends on
    /// and adds it to their `grad`. A scalar output uses gradient 1; otherwise pass
    /// `gradient` with the output's shape.
    ///
    /// Nodes are processed in dependency order: a node runs once all its consumers have
    /// passed their gradient to it, so each parameter's gradient is complete when it is
    /// accumulated, and its `gradientReadyHooks` fire at that moment.
    public func backward(gradient: Tensor? = nil) throws {
        guard let root = node else { throw AutogradError.noGradientPath }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == value.shape else {
                throw AutogradError.gradientShapeMismatch(
                    operation: "backward seed", expected: value.shape, got: gradient.shape)
            }
            seed = gradient
        } else {
            guard value.count == 1 else { throw AutogradError.nonScalarOutput(shape: value.shape) }
            seed = try Tensor.ones(value.shape, dtype: value.dtype)
        }

        // Count, for every node, how many recorded uses will send it a gradient.
        var pending: [ObjectIdentifier: Int] = [:]
        var stack = [root]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        while let current = stack.popLast() {
            for case let input? in current.inputs {
                let id = ObjectIdentifier(input)
                pending[id, default: 0] += 1
                if seen.insert(id).inserted { stack.append(input) }
            }
        }

        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        var ready = [root]
        while let current = ready.popLast() {
            let id = ObjectIdentifier(current)
            guard let gradient = gradients.removeValue(forKey: id) else { continue }
            if let parameter = current.parameter {
                try parameter.accumulate(gradient)
                for (_, hook) in parameter.gradientReadyHooks { try hook(parameter) }
                continue
            }
            guard let backward = current.backward else { continue }
            let inputGradients = try backward(gradient)
            for (input, inputGradient) in zip(current.inputs, inputGradients) {
                guard let input else { continue }
                let inputID = ObjectIdentifier(input)
                if let inputGradient {
                    guard inputGradient.shape == input.shape else {
                        throw AutogradError.gradientShapeMismatch(
                            operation: current.operation, expected: input.shape, got: inputGradient.shape)
                    }
                    if let existing = gradients[inputID] {
                        gradients[inputID] = try existing + inputGradient
                    } else {
                        gradients[inputID] = inputGradient
                    }
                }
                pending[inputID, default: 1] -= 1
                if pending[inputID] == 0 { ready.append(input) }
            }
        }
    }
}

import FlockTensor

/// One recorded operation in the autograd graph: the nodes of its inputs and how to turn
/// the gradient of its output into gradients of those inputs. Leaf nodes stand for a
/// `Parameter` (or any variable created with `requiresGrad`) and have no inputs.
final class GradientNode {
    /// The operation's name, for error messages.
    let operation: String
    /// Input nodes; nil for inputs that need no gradient.
    let inputs: [GradientNode?]
    /// Maps the output gradient to one gradient per input (nil where not needed).
    let backward: ((Tensor) throws -> [Tensor?])?
    /// The parameter this leaf accumulates into, if any.
    let parameter: Parameter?
    /// The shape of the value this node produced (gradients must match it).
    let shape: [Int]

    init(operation: String, inputs: [GradientNode?], shape: [Int], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.operation = operation
        self.inputs = inputs
        self.backward = backward
        self.parameter = nil
        self.shape = shape
    }

    init(leaf parameter: Parameter?, shape: [Int]) {
        operation = "leaf"
        inputs = []
        backward = nil
        self.parameter = parameter
        self.shape = shape
    }
}

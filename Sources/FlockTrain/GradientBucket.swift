import FlockComm
import FlockNN
import FlockTensor

/// A group of parameters whose gradients are averaged across ranks in one all-reduce:
/// packed into one flat tensor when the last of them is ready, unpacked when the
/// all-reduce completes.
final class GradientBucket {
    let parameters: [Parameter]
    let dtype: DType
    /// How many of `parameters` have their final gradient for the current backward pass.
    var readyCount = 0
    /// The all-reduce in flight, between launch and unpacking.
    var pending: CollectiveWork<Tensor>?

    init(parameters: [Parameter]) {
        self.parameters = parameters
        dtype = parameters.first?.value.dtype ?? .float32
    }

    var isReady: Bool { readyCount == parameters.count }

    /// Starts averaging the packed gradients (zeros for a parameter without one).
    func launch(on group: ProcessGroup) throws {
        let flat = try parameters.map { parameter in
            try (parameter.grad ?? Tensor.zeros(parameter.value.shape, dtype: dtype)).reshaped([-1])
        }
        pending = try group.allReduce(Tensor.concatenate(flat, axis: 0), op: .mean)
    }

    /// Waits for the all-reduce and stores each parameter's share as its gradient.
    func unpack() throws {
        guard let pending else { return }
        self.pending = nil
        let averaged = try pending.wait()
        var offset = 0
        for parameter in parameters {
            let count = parameter.value.count
            parameter.grad = try averaged[.range(offset, offset + count)].reshaped(parameter.value.shape)
            offset += count
        }
        readyCount = 0
    }
}

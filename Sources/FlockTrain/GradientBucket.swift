import FlockComm
import FlockNN
import FlockTensor

/// A group of parameters whose gradients are averaged across ranks in one all-reduce,
/// launched when the last of them is ready; each parameter's gradient then becomes its
/// slice of the flat result (a view, no copy).
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

    /// Starts averaging: one coalesced all-reduce (`.mean`) of the gradients (zeros for a
    /// parameter without one), which shared memory reads straight from the gradient
    /// tensors and divides while each block is in cache: no packing copy, no extra pass.
    func launch(on group: ProcessGroup) throws {
        let gradients = try parameters.map { try $0.grad ?? Tensor.zeros($0.value.shape, dtype: dtype) }
        pending = try group.allReduceCoalesced(gradients, op: .mean)
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

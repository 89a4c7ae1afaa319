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

    /// Starts averaging: packs every gradient (zeros for a parameter without one) into one
    /// flat tensor, already divided by the world size, and all-reduces its sum (one pass
    /// over the gradients instead of a copy plus a division afterwards).
    func launch(on group: ProcessGroup) throws {
        var flat = Tensor(uninitializedShape: [parameters.reduce(0) { $0 + $1.value.count }], dtype: dtype)
        let scale = 1 / Double(group.worldSize)
        switch dtype {
        case .float64: try pack(into: &flat, scale: scale)
        default: try pack(into: &flat, scale: Float(scale))
        }
        pending = try group.allReduce(flat, op: .sum)
    }

    private func pack<T: TensorElement & BinaryFloatingPoint>(into flat: inout Tensor, scale: T) throws {
        try flat.withUnsafeMutableScalars(as: T.self) { packed in
            var offset = 0
            for parameter in parameters {
                let count = parameter.value.count
                if let gradient = parameter.grad {
                    try gradient.withUnsafeScalars(as: T.self) { values in
                        for i in 0..<count { packed[offset + i] = values[i] * scale }
                    }
                } else {
                    packed.baseAddress!.advanced(by: offset).initialize(repeating: 0, count: count)
                }
                offset += count
            }
        }
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
